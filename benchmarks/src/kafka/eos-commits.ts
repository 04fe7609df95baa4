/**
 * Exactly-once commits (issue #16): per-task transactional producers (v1, `'exactly_once'`)
 * against one producer per stream thread (v2, `'exactly_once_v2'`), on @platformatic/kafka, one
 * stream thread, with 4 and with 32 input partitions and a 100 ms commit interval, so that
 * commit cost shows: v1 commits one transaction per task each interval, v2 one per thread. Each
 * run measures the flagship over the pre-loaded events (events/s, CPU per event, commits and
 * transactions per second over the window) and then its end-to-end latency at the mode's fixed
 * rate (p50, p99, and the commits and transactions per second of that run).
 *
 * A v2 scenario first asks the runtime whether it accepts `'exactly_once_v2'` (the app
 * constructs `KafkaStreams` with it and exits): a build that refuses it as an unknown guarantee
 * gives the row `skipped: exactly_once_v2 not available in this build`, never a figure; any
 * other refusal fails the row with the runtime's message.
 */
import { join } from 'node:path';
import { Child } from './child.js';
import { freshStateDirectory, uniqueName, type Context } from './context.js';
import { topologyEnvironmentVariable, type FlagshipSettings } from './flagship.js';
import { runLatency, type LatencyMeasurement } from './latency.js';
import { nodeFor } from './node-binaries.js';
import type { AppSettings, BenchGuarantee } from './protocol.js';
import { ScenarioSkipped, type ScenarioResult } from './report.js';
import { runFlagship, type ThroughputMeasurement } from './throughput.js';

/** One run of an exactly-once commits scenario: the throughput run, then the latency run. */
export interface CommitsMeasurement {
  readonly throughput: ThroughputMeasurement;
  readonly latency: LatencyMeasurement;
}

/** A scenario as the runner lists it. */
interface Scenario {
  readonly group: string;
  readonly result: ScenarioResult;
  readonly run: (context: Context) => Promise<ScenarioResult['runs'][number]>;
}

/** The commit interval of these scenarios, ms (the latency runs use the same). */
const eosCommitIntervalMs = 100;

const v2Unavailable = 'skipped: exactly_once_v2 not available in this build';

/**
 * Whether the runtime refused `guarantee` as a value it does not know, as a build before
 * exactly-once v2 refuses `'exactly_once_v2'` ("Option 'processingGuarantee' must be
 * 'at_least_once' or 'exactly_once', got "exactly_once_v2" ..."), rather than for another
 * reason, which is a failure to report.
 */
export function refusesUnknownGuarantee(message: string, guarantee: string): boolean {
  return message.startsWith("Option 'processingGuarantee' must be ") && message.includes(`got ${JSON.stringify(guarantee)}`);
}

/** Each guarantee's answer, asked once per run. */
const accepted = new Map<string, Promise<void>>();

/** Resolves when the runtime on @platformatic/kafka accepts `guarantee`; throws {@link ScenarioSkipped} when it does not know it. */
function requireGuarantee(context: Context, guarantee: BenchGuarantee): Promise<void> {
  const key = `${context.runId}/${guarantee}`;
  let answer = accepted.get(key);
  if (answer === undefined) {
    answer = checkGuarantee(context, guarantee);
    accepted.set(key, answer);
  }
  return answer;
}

async function checkGuarantee(context: Context, guarantee: BenchGuarantee): Promise<void> {
  const applicationId = uniqueName(context, 'check');
  const topology: FlagshipSettings = { eventsTopic: `${applicationId}-in`, catalogTopic: `${applicationId}-catalog`, outputPrefix: `${applicationId}-out-`, emitFinalOnly: false };
  const settings: AppSettings = {
    applicationId,
    bootstrapServers: context.broker.bootstrap,
    stateDir: await freshStateDirectory(context, applicationId),
    guarantee,
    client: 'platformatic',
    checkOnly: true,
    threads: 1,
    commitIntervalMs: eosCommitIntervalMs,
    topology: 'pipe',
    metricsIntervalMs: 1_000,
  };
  const child = new Child(applicationId, nodeFor(context.nodes, 'platformatic').path, [join(context.distDirectory, 'app.js'), JSON.stringify(settings)], { [topologyEnvironmentVariable]: JSON.stringify(topology) });
  if (!(await child.waitForExit(60_000))) {
    await child.kill();
    throw new Error(`checking whether the runtime accepts '${guarantee}' took over 60 s`);
  }
  if (child.accepted) return;
  if (child.error !== undefined && refusesUnknownGuarantee(child.error, guarantee)) {
    context.log(`the runtime refuses '${guarantee}': ${child.error}`);
    throw new ScenarioSkipped(v2Unavailable);
  }
  throw new Error(child.failure() ?? `the check of '${guarantee}' printed neither accepted nor an error`);
}

async function runCommits(context: Context, guarantee: BenchGuarantee, partitions: number): Promise<CommitsMeasurement> {
  if (guarantee === 'exactly_once_v2') await requireGuarantee(context, guarantee);
  const app = { implementation: 'tributary', guarantee, client: 'platformatic', threads: 1 } as const;
  const throughput = await runFlagship(context, { ...app, commitIntervalMs: eosCommitIntervalMs }, partitions);
  const latency = await runLatency(context, app, context.mode.latencyRate, partitions);
  return { throughput, latency };
}

/** The `eos-commits` scenarios: `eos-p{4,32}-{v1,v2}-pf`. */
export function eosCommitScenarios(): Scenario[] {
  const versions = [
    ['v1', 'exactly_once', 'per-task producers (v1)'],
    ['v2', 'exactly_once_v2', 'one producer per thread (v2)'],
  ] as const;
  const list: Scenario[] = [];
  for (const partitions of [4, 32]) {
    for (const [short, guarantee, words] of versions) {
      list.push({
        group: 'eos-commits',
        result: { id: `eos-p${partitions}-${short}-pf`, kind: 'commits', label: `Tributary, exactly-once, ${words}, 1 thread`, partitions, client: 'platformatic', runs: [] },
        run: (context) => runCommits(context, guarantee, partitions),
      });
    }
  }
  return list;
}
