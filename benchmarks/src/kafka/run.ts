/**
 * `pnpm bench:kafka [--quick|--full] [--only scenario,...] [--events N] [--runs N] [--app-node current|24|PATH]`:
 * the Kafka benchmarks of issues #8 and #16 (kafkajs and @platformatic/kafka) on the local broker
 * (started if it is not running, and then stopped at the end; a broker that was already running
 * is left alone). Writes
 * `benchmarks/results/kafka-<mode>-<timestamp>.json` and `benchmarks/results/kafka-latest.md`.
 * Scenarios, definitions and how to read the table: benchmarks/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from '../harness.js';
import { ensureBroker, kafkaClient, stopBroker, Topics } from './cluster.js';
import { javaHeapMb, javaUnavailable, type Context, type ModeSettings } from './context.js';
import { eosCommitScenarios } from './eos-commits.js';
import { runIdle } from './idle.js';
import { runKeyedState } from './keyed-state.js';
import { runLatency } from './latency.js';
import { runRecovery } from './recovery.js';
import { appNodes } from './node-binaries.js';
import { besideTheirTwins, platformaticLatencyScenarios, platformaticThroughputScenarios } from './platformatic-scenarios.js';
import { ScenarioSkipped, toMarkdown, type Report, type ScenarioResult } from './report.js';
import { runCeiling, runEngine, runFlagship } from './throughput.js';

const usage = `Usage: pnpm bench:kafka [--quick | --full] [--only scenario,...] [--events N] [--runs N] [--latency-rate N] [--state-keys N] [--app-node current|24|PATH] [--no-java-build] [--latency-hops]
  --quick          a few minutes: 50,000 events, 1 run, latency at 2,000 events/s, recovery over 100,000 keys (default)
  --full           1,000,000 events, 3 runs, latency at 5,000 events/s, recovery over 1,000,000 keys
  --only           scenario ids or groups: ceiling, pipe, tributary, kstreams, platformatic, engine, metrics-off, latency, latency10k, latency-nocache, recovery, scaling, eos-commits, state, semi-space, heap-cap, idle
  --events N       events pre-loaded for the throughput scenarios (overrides the mode)
  --runs N         runs per scenario (overrides the mode)
  --latency-rate N events/s of the latency scenarios (overrides the mode)
  --state-keys N   distinct keys of the keyed-state scenario (default 1,000,000)
  --app-node X     the Node of the app processes: current (this one, the default), 24 (.scratch/node24, installed
                   when missing) or a path; apps on @platformatic/kafka need >= 22.22 and take Node 24 when X is older
  --no-java-build  do not run Maven when the reference jar is missing
  --latency-hops   the latency scenarios also time each hop: the input and both repartition topics, read as the output is`;

const distDirectory = dirname(fileURLToPath(import.meta.url));
const benchmarksDirectory = join(distDirectory, '..', '..');
const repositoryRoot = join(benchmarksDirectory, '..');

function modeSettings(name: 'quick' | 'full'): ModeSettings {
  const cores = cpus().length;
  return name === 'quick'
    ? { name, events: 50_000, runs: 1, partitions: 4, cores, latencyRate: 2_000, latencySeconds: 30, latencyWarmupSeconds: 10, recoveryKeys: 100_000, recoveryEvents: 20_000, stateKeys: 1_000_000, runTimeoutMs: 300_000 }
    : { name, events: 1_000_000, runs: 3, partitions: 4, cores, latencyRate: 5_000, latencySeconds: 120, latencyWarmupSeconds: 20, recoveryKeys: 1_000_000, recoveryEvents: 200_000, stateKeys: 1_000_000, runTimeoutMs: 1_200_000 };
}

interface Arguments {
  mode: ModeSettings;
  only: Set<string> | undefined;
  javaBuild: boolean;
  appNode: string;
  latencyHops: boolean;
}

function parseArguments(argv: readonly string[]): Arguments {
  let mode = modeSettings('quick');
  let only: Set<string> | undefined;
  let javaBuild = true;
  let appNode = 'current';
  let latencyHops = false;
  const overrides: Partial<Record<'events' | 'runs' | 'latencyRate' | 'stateKeys', number>> = {};
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    if (flag === '--') continue;
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    } else if (flag === '--quick' || flag === '--full') mode = modeSettings(flag === '--quick' ? 'quick' : 'full');
    else if (flag === '--no-java-build') javaBuild = false;
    else if (flag === '--latency-hops') latencyHops = true;
    else if (flag === '--app-node') {
      appNode = argv[++index] ?? '';
      if (appNode === '') throw new Error(`Option '--app-node' takes current, 24 or the path of a node binary.\n${usage}`);
    }
    else if (flag === '--only') only = new Set((argv[++index] ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0));
    else if (flag === '--events' || flag === '--runs' || flag === '--latency-rate' || flag === '--state-keys') {
      const value = Number(argv[++index]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`Option '${flag}' takes a positive integer.\n${usage}`);
      overrides[flag === '--events' ? 'events' : flag === '--runs' ? 'runs' : flag === '--latency-rate' ? 'latencyRate' : 'stateKeys'] = value;
    } else throw new Error(`Unknown option '${flag}'.\n${usage}`);
  }
  return { mode: { ...mode, ...overrides }, only, javaBuild, appNode, latencyHops };
}

/** The semi-space of the `semi-space` scenarios, MB: Node 20's default, a quarter of Node 24's. */
const semiSpaceMb = 16;

/** The input rate of the `latency10k` scenarios, events/s. */
const highLatencyRate = 10_000;

/** The input rate of the `latency-nocache` scenarios, events/s: with every update sent, neither implementation keeps up with 10,000 here. */
const noCacheLatencyRate = 2_000;

/** Every scenario, in the order they run within a round. */
function scenarioList(mode: ModeSettings): { result: ScenarioResult; group: string; run: (context: Context) => Promise<ScenarioResult['runs'][number]> }[] {
  const guarantees = [
    ['alo', 'at_least_once', 'at-least-once'],
    ['eos', 'exactly_once', 'exactly-once'],
  ] as const;
  const threadCounts = [...new Set([1, mode.cores])];
  const list: ReturnType<typeof scenarioList> = [];
  list.push({ group: 'ceiling', result: { id: 'ceiling', kind: 'throughput', label: 'ceiling: kafkajs pipe, no processing', runs: [] }, run: runCeiling });
  list.push({
    group: 'pipe',
    result: { id: 'tributary-pipe-alo-1t', kind: 'throughput', label: 'Tributary stateless pipe (bytes in, bytes out), at-least-once, 1 thread', runs: [] },
    run: (context) => runFlagship(context, { implementation: 'tributary', guarantee: 'at_least_once', threads: 1, topology: 'pipe' }),
  });
  for (const implementation of ['tributary', 'kstreams'] as const) {
    for (const [short, guarantee, words] of guarantees) {
      for (const threads of threadCounts) {
        const id = `${implementation}-${short}-${threads}t`;
        const name = implementation === 'tributary' ? 'Tributary' : 'Kafka Streams (Java)';
        list.push({
          group: implementation,
          result: { id, kind: 'throughput', label: `${name}, ${words}, ${threads} thread${threads > 1 ? 's' : ''}`, runs: [], ...(implementation === 'tributary' ? { reference: `kstreams-${short}-${threads}t` } : {}) },
          run: (context) => runFlagship(context, { implementation: implementation === 'tributary' ? 'tributary' : 'kafka-streams', guarantee, threads }),
        });
      }
    }
  }
  list.push(...platformaticThroughputScenarios(mode));
  list.push({ group: 'engine', result: { id: 'engine', kind: 'throughput', label: 'engine alone: EmbeddedRunner, no broker', runs: [] }, run: (context) => runEngine(context) });
  // The metrics' cost: the same runs with the engine's per-record sensors off, alternating with the ones above.
  list.push({ group: 'metrics-off', result: { id: 'engine-metrics-off', kind: 'throughput', label: 'engine alone, per-record metric sensors off', runs: [], reference: 'engine' }, run: (context) => runEngine(context, true) });
  list.push({
    group: 'metrics-off',
    result: { id: 'tributary-alo-1t-metrics-off', kind: 'throughput', label: 'Tributary, at-least-once, 1 thread, per-record metric sensors off', runs: [], reference: 'tributary-alo-1t' },
    run: (context) => runFlagship(context, { implementation: 'tributary', guarantee: 'at_least_once', threads: 1, metricsOff: true }),
  });
  // Node 24's young generation against Node 20's: the one-thread rows with 16 MB semi-spaces (Node 20's default).
  for (const client of ['kafkajs', 'platformatic'] as const) {
    for (const [short, guarantee, words] of guarantees) {
      const twin = `tributary-${client === 'platformatic' ? 'pf-' : ''}${short}-1t`;
      list.push({
        group: 'semi-space',
        result: { id: `${twin}-semi16`, kind: 'throughput', label: `Tributary, ${words}, 1 thread, --max-semi-space-size=16`, runs: [], reference: `kstreams-${short}-1t`, ...(client === 'platformatic' ? { client } : {}) },
        run: (context) => runFlagship(context, { implementation: 'tributary', guarantee, threads: 1, client, semiSpaceMb }),
      });
    }
  }
  // The one-thread rows with the app's old generation capped as the JVM's heap is (-Xmx).
  for (const client of ['kafkajs', 'platformatic'] as const) {
    for (const [short, guarantee, words] of guarantees) {
      const twin = `tributary-${client === 'platformatic' ? 'pf-' : ''}${short}-1t`;
      list.push({
        group: 'heap-cap',
        result: { id: `${twin}-heap${javaHeapMb}`, kind: 'throughput', label: `Tributary, ${words}, 1 thread, --max-old-space-size=${javaHeapMb}`, runs: [], reference: `kstreams-${short}-1t`, ...(client === 'platformatic' ? { client } : {}) },
        run: (context) => runFlagship(context, { implementation: 'tributary', guarantee, threads: 1, client, oldSpaceMb: javaHeapMb }),
      });
    }
  }
  for (const implementation of ['tributary', 'kstreams'] as const) {
    for (const [short, guarantee, words] of guarantees) {
      list.push({
        group: 'latency',
        result: { id: `latency-${implementation}-${short}`, kind: 'latency', label: `${implementation === 'tributary' ? 'Tributary' : 'Kafka Streams (Java)'}, ${words}`, runs: [] },
        run: (context) => runLatency(context, { implementation: implementation === 'tributary' ? 'tributary' : 'kafka-streams', guarantee, threads: 1 }),
      });
    }
  }
  list.push(...platformaticLatencyScenarios());
  for (const implementation of ['tributary', 'kstreams'] as const) {
    list.push({
      group: 'latency10k',
      result: { id: `latency10k-${implementation}-alo`, kind: 'latency', label: `${implementation === 'tributary' ? 'Tributary' : 'Kafka Streams (Java)'}, at-least-once, 10,000 events/s`, runs: [] },
      run: (context) => runLatency(context, { implementation: implementation === 'tributary' ? 'tributary' : 'kafka-streams', guarantee: 'at_least_once', threads: 1 }, highLatencyRate),
    });
  }
  // Latency with the record caches off on both sides (`statestore.cache.max.bytes=0`): every update goes out as it happens, so the wait for the next commit is no floor.
  for (const implementation of ['tributary', 'kstreams'] as const) {
    list.push({
      group: 'latency-nocache',
      result: { id: `latency-nocache-${implementation}-alo`, kind: 'latency', label: `${implementation === 'tributary' ? 'Tributary' : 'Kafka Streams (Java)'}, at-least-once, 2,000 events/s, record caches off`, runs: [] },
      run: (context) => runLatency(context, { implementation: implementation === 'tributary' ? 'tributary' : 'kafka-streams', guarantee: 'at_least_once', threads: 1, cacheMaxBytes: 0 }, noCacheLatencyRate),
    });
  }
  list.push({ group: 'recovery', result: { id: 'recovery', kind: 'recovery', label: 'Tributary, at-least-once, 2 instances, kill -9 one', runs: [] }, run: runRecovery });
  for (const partitions of [1, 2, 4]) {
    list.push({
      group: 'scaling',
      result: { id: `scaling-p${partitions}`, kind: 'scaling', label: 'Tributary, at-least-once, 1 thread', partitions, runs: [] },
      run: (context) => runFlagship(context, { implementation: 'tributary', guarantee: 'at_least_once', threads: 1 }, partitions),
    });
  }
  list.push(...eosCommitScenarios());
  list.push({ group: 'state', result: { id: 'keyed-state', kind: 'state', label: 'Tributary, count per key, at-least-once, 1 thread', runs: [] }, run: (context) => runKeyedState(context) });
  // What each app costs with nothing to process (idle.ts).
  for (const [implementation, client] of [['tributary', undefined], ['tributary', 'platformatic'], ['kstreams', undefined]] as const) {
    for (const [short, guarantee, words] of guarantees) {
      const name = implementation === 'tributary' ? 'Tributary' : 'Kafka Streams (Java)';
      list.push({
        group: 'idle',
        result: { id: `idle-${implementation}-${client === undefined ? '' : 'pf-'}${short}`, kind: 'idle', label: `${name}, ${words}, 1 thread, no input`, runs: [], ...(client === undefined ? {} : { client }) },
        run: (context) => runIdle(context, { implementation: implementation === 'tributary' ? 'tributary' : 'kafka-streams', guarantee, threads: 1, ...(client === undefined ? {} : { client }) }),
      });
    }
  }
  list.push({ group: 'state', result: { id: 'keyed-state-pf', kind: 'state', label: 'Tributary, count per key, at-least-once, 1 thread', client: 'platformatic', runs: [] }, run: (context) => runKeyedState(context, 'platformatic') });
  return besideTheirTwins(list);
}

/** Builds the reference jar when its pom is there and the jar is not; a failed build leaves the Java scenarios skipped. */
function prepareJava(jar: string, build: boolean, log: (line: string) => void): void {
  const pom = join(benchmarksDirectory, 'java', 'pom.xml');
  if (existsSync(jar) || !existsSync(pom) || !build) return;
  log(`building the Kafka Streams reference: mvn -q -f ${relative(repositoryRoot, pom)} package -DskipTests`);
  try {
    execFileSync('mvn', ['-q', '-f', pom, 'package', '-DskipTests'], { stdio: 'inherit', timeout: 15 * 60_000 });
  } catch (error) {
    log(`the reference jar did not build: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

function packageVersion(directory: string): string {
  try {
    return (JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const { mode, only, javaBuild, appNode, latencyHops } = parseArguments(process.argv.slice(2));
  const all = scenarioList(mode);
  const unknown = [...(only ?? [])].filter((name) => !all.some((scenario) => scenario.group === name || scenario.result.id === name));
  if (unknown.length > 0) throw new Error(`--only names no scenario or group: ${unknown.join(', ')}. Ids: ${all.map((scenario) => scenario.result.id).join(', ')}.`);
  const scenarios = all.filter((scenario) => only === undefined || only.has(scenario.group) || only.has(scenario.result.id));
  const log = (line: string): void => console.log(`[bench:kafka ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
  const javaJar = join(benchmarksDirectory, 'java', 'target', 'product-analytics-reference.jar');
  if (scenarios.some((scenario) => scenario.result.id.includes('kstreams'))) prepareJava(javaJar, javaBuild, log);
  const nodes = appNodes(repositoryRoot, appNode, scenarios.some((scenario) => scenario.result.client === 'platformatic'), log);
  log(`apps on Node ${nodes.kafkajs.version} (kafkajs)${'unavailable' in nodes.platformatic ? '' : ` and ${nodes.platformatic.version} (@platformatic/kafka)`}`);

  const broker = ensureBroker(repositoryRoot);
  log(`broker ${broker.bootstrap} (Kafka ${broker.kafkaVersion}${broker.startedHere ? ', started for this run' : ', already running'})`);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const runId = `bench-kafka-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
  const kafka = kafkaClient(broker.bootstrap, runId);
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await admin.connect();
  await producer.connect();
  const scratchDirectory = join(repositoryRoot, '.scratch', 'bench-kafka', runId);
  const topics = new Topics(admin);
  const context: Context = { broker, admin, producer, topics, runId, distDirectory, scratchDirectory, mode, javaJar, commitIntervalMs: 1_000, nodes, log, dataSets: new Map(), latencyHops, sequence: 0 };
  const report: Report = {
    benchmark: 'kafka',
    mode: mode.name,
    date: new Date().toISOString(),
    machine: {
      ...describeMachine(),
      kafka: broker.kafkaVersion,
      kafkajs: packageVersion(join(repositoryRoot, 'node_modules/kafkajs')),
      platformaticKafka: packageVersion(join(benchmarksDirectory, 'node_modules/@platformatic/kafka')),
      appNode: { kafkajs: nodes.kafkajs.version, ...('unavailable' in nodes.platformatic ? {} : { platformatic: nodes.platformatic.version }) },
      loadAverage: loadavg(),
    },
    settings: { ...mode, commitIntervalMs: context.commitIntervalMs, only: only === undefined ? 'all' : [...only] },
    scenarios: scenarios.map((scenario) => scenario.result),
    elapsedSeconds: 0,
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: finishing the current scenario, then cleaning up');
  });
  try {
    for (let round = 1; round <= mode.runs && !interrupted; round++) {
      for (const scenario of scenarios) {
        if (interrupted) break;
        const { result } = scenario;
        if (result.outcome !== undefined) continue; // failed or skipped in an earlier round
        if (result.client === 'platformatic' && 'unavailable' in nodes.platformatic) {
          result.outcome = nodes.platformatic.unavailable;
          log(`${result.id}: ${result.outcome}`);
          continue;
        }
        if (result.id.includes('kstreams')) {
          const missing = javaUnavailable(context);
          if (missing !== undefined) {
            result.outcome = missing;
            log(`${result.id}: ${missing}`);
            continue;
          }
        }
        log(`${result.id} (run ${round}/${mode.runs}) ...`);
        try {
          const measurement = await scenario.run(context);
          result.runs.push(measurement);
          log(`${result.id}: ${JSON.stringify(measurement, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value))}`);
        } catch (error) {
          result.outcome = error instanceof ScenarioSkipped ? error.message : `failed: ${error instanceof Error ? error.message : String(error)}`.replace(/\s+/g, ' ').slice(0, 300);
          log(`${result.id}: ${result.outcome}`);
        }
      }
    }
  } finally {
    await producer.disconnect().catch(() => {});
    const deleted = await topics.deleteAll(runId).catch(() => 0);
    const groups = await topics.deleteGroups(runId).catch(() => 0);
    log(`deleted ${deleted} topics and ${groups} consumer groups of this run`);
    await admin.disconnect().catch(() => {});
    await rm(scratchDirectory, { recursive: true, force: true });
    if (broker.startedHere) {
      log('stopping the broker this run started');
      stopBroker(repositoryRoot);
    }
  }
  report.elapsedSeconds = (Date.now() - started) / 1000;
  const resultsDirectory = join(benchmarksDirectory, 'results');
  await mkdir(resultsDirectory, { recursive: true });
  const jsonFile = join(resultsDirectory, `kafka-${mode.name}-${stamp}.json`);
  await writeFile(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = toMarkdown(report, relative(repositoryRoot, jsonFile));
  await writeFile(join(resultsDirectory, 'kafka-latest.md'), markdown);
  console.log(`\n${markdown}`);
  log(`wrote ${relative(repositoryRoot, jsonFile)} and benchmarks/results/kafka-latest.md`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
