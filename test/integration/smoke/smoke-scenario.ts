/**
 * The smoke scenarios the tests run, one function per failure, each the same under
 * at-least-once and exactly-once: create the topics, start the instances, let known-answer input
 * flow while failures happen, wait for the output to settle, verify.
 */
import type { Kafka } from 'kafkajs';
import { onTestFinished } from 'vitest';
import { bootstrapServers, createTopics, kafkaClient, uniqueTopic } from '../helpers/kafka.js';
import { deleteTopicsWithPrefix } from '../helpers/streams-app.js';
import { createSmokeCluster, sleep, type SmokeAppConfig, type SmokeCluster, type SmokeEvent } from './smoke-cluster.js';
import { expectationOf, generateSmokeData, produceSmokeData, type SmokeProducer, type SmokeRecord } from './smoke-data.js';
import { verifySmokeRun, type SmokeSummary, type SmokeTopics } from './smoke-verify.js';

export type Guarantee = SmokeAppConfig['processingGuarantee'];

/** Average records per key of smoke-data.ts (values i..i+5..40). */
const RECORDS_PER_KEY = 23.5;

/** Fast failover: the broker's smallest session timeout. */
export const FAST_CONSUMER = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 15_000 } as const;

export interface SmokeSetup {
  readonly kafka: Kafka;
  readonly topics: SmokeTopics;
  readonly applicationId: string;
  readonly cluster: SmokeCluster;
}

export interface SetupOptions {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly commitIntervalMs?: number;
  readonly partitions?: number;
  readonly bootstrap?: string;
  readonly kafka?: Kafka;
  /** kafkajs client options for the app (retry, say). */
  readonly appKafka?: Record<string, unknown>;
  /** The apps take the `freezeMidProduce` test hook (see app-process.mjs). */
  readonly midProduce?: boolean;
}

/** Topics (deleted at the end), an application id (its internal topics deleted too) and a cluster. */
export async function setUpSmoke(options: SetupOptions): Promise<SmokeSetup> {
  const kafka = options.kafka ?? kafkaClient(`smoke-${options.name}`);
  const partitions = options.partitions ?? 4;
  const topics: SmokeTopics = {
    data: uniqueTopic(`smoke-${options.name}-data`),
    echo: uniqueTopic(`smoke-${options.name}-echo`),
    agg: uniqueTopic(`smoke-${options.name}-agg`),
    cnt: uniqueTopic(`smoke-${options.name}-cnt`),
  };
  await createTopics(kafka, [
    { topic: topics.data, numPartitions: partitions },
    // As many partitions as the input, so each echo partition is written by one task.
    { topic: topics.echo, numPartitions: partitions },
    { topic: topics.agg, numPartitions: partitions },
    { topic: topics.cnt, numPartitions: 2 },
  ]);
  const applicationId = uniqueTopic(`smoke-${options.name}-app`);
  if (options.bootstrap === undefined) onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
  const cluster = await createSmokeCluster(kafka, {
    bootstrap: options.bootstrap ?? bootstrapServers(),
    applicationId,
    topics,
    processingGuarantee: options.guarantee,
    commitIntervalMs: options.commitIntervalMs ?? 1000,
    consumer: FAST_CONSUMER,
    ...(options.appKafka === undefined ? {} : { kafka: options.appKafka }),
    ...(options.midProduce === true ? { freezeMidProduce: true } : {}),
  });
  return { kafka, topics, applicationId, cluster };
}

/**
 * Starts the first instance alone and the rest once it runs. Started at the same moment, two
 * instances race to create the internal topics and the loser can fail at start with
 * UNKNOWN_TOPIC_OR_PARTITION (a runtime bug, reported with issue #6); these tests are about
 * failures after the start.
 */
export async function startStaggered(cluster: SmokeCluster, names: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<void> {
  const [first, ...rest] = names;
  if (first === undefined) return;
  cluster.start(first, {}, env);
  await cluster.waitRunning(60_000, [first]);
  for (const name of rest) cluster.start(name, {}, env);
  await cluster.waitRunning(60_000);
}

/** Known-answer input sized for `ratePerSecond` over `durationMs`. */
export function smokeInput(ratePerSecond: number, durationMs: number, seed?: number): SmokeRecord[] {
  return generateSmokeData({ keys: Math.max(10, Math.round((ratePerSecond * durationMs) / 1000 / RECORDS_PER_KEY)), seed });
}

export interface FinishOptions {
  readonly setup: SmokeSetup;
  readonly name: string;
  readonly records: readonly SmokeRecord[];
  readonly producer: SmokeProducer;
  readonly guarantee: Guarantee;
  readonly killsSurvived: number;
}

/** Waits for the input to be sent and the output to settle, then verifies. */
export async function finishAndVerify(options: FinishOptions): Promise<SmokeSummary> {
  const { cluster, topics, kafka } = options.setup;
  const acknowledged = await options.producer.done;
  await cluster.waitRunning(90_000);
  // Output is written at each commit; quiet for several commit intervals means caught up.
  await cluster.waitQuiet(topics.echo, 5000, 90_000);
  await cluster.waitQuiet(topics.cnt, 3000, 30_000);
  const failures = await cluster.measured();
  console.log(
    `SMOKE ${options.name}: failures ${failures.map((failure) => `${failure.kind} ${failure.name} (tasks ${failure.tasks.join(',') || 'none'}) → output resumed ${failure.resumedAfterMs === undefined ? 'not seen' : `after ${failure.resumedAfterMs} ms`}`).join('; ')}`,
  );
  return verifySmokeRun({
    kafka,
    name: options.name,
    topics,
    expected: expectationOf(options.records.slice(0, acknowledged)),
    aggregates: options.guarantee === 'at_least_once' ? 'at-least' : 'exact',
    killsSurvived: options.killsSurvived,
    maxKillToResumeMs: cluster.maxResumeMs(),
    aggregateChangelog: `${options.setup.applicationId}-smoke-agg-changelog`,
  });
}

export interface KillScenarioOptions {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly commitIntervalMs?: number;
  readonly instances?: number;
  readonly inputMs?: number;
  readonly ratePerSecond?: number;
  /** Time between kills. */
  readonly killEveryMs?: number;
  /** How long a killed instance stays down. */
  readonly downMs?: number;
}

/**
 * kill -9 the instances in turn while input flows, restarting each after `downMs` with its state
 * directory as the kill left it (LevelDB files, checkpoints and all).
 */
export async function runKillScenario(options: KillScenarioOptions): Promise<SmokeSummary> {
  const setup = await setUpSmoke({ name: options.name, guarantee: options.guarantee, commitIntervalMs: options.commitIntervalMs });
  const { cluster, kafka, topics } = setup;
  const names = Array.from({ length: options.instances ?? 3 }, (_, index) => `app-${index + 1}`);
  await startStaggered(cluster, names);

  const inputMs = options.inputMs ?? 40_000;
  const rate = options.ratePerSecond ?? 1000;
  const records = smokeInput(rate, inputMs);
  const producer = produceSmokeData({ kafka, topic: topics.data, records, ratePerSecond: rate });
  const killEveryMs = options.killEveryMs ?? 8000;
  const downMs = options.downMs ?? 2000;
  const inputEnds = Date.now() + inputMs;
  let kills = 0;
  for (let round = 0; Date.now() + killEveryMs < inputEnds; round++) {
    await sleep(killEveryMs - downMs);
    const name = names[round % names.length]!;
    await cluster.kill(name);
    kills++;
    await sleep(downMs);
    cluster.start(name);
  }
  return finishAndVerify({ setup, name: options.name, records, producer, guarantee: options.guarantee, killsSurvived: kills });
}

export interface ZombieScenarioOptions {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly commitIntervalMs?: number;
  readonly ratePerSecond?: number;
  /** How long the frozen instance stays frozen: well past its 6 s session timeout. */
  readonly frozenMs?: number;
  /**
   * Freeze the instance in the middle of a burst of produce requests (it stops itself, see
   * `freezeMidProduce` in app-process.mjs; kafkajs only) rather than at whatever moment SIGSTOP
   * finds it, and report how many produce requests it wrote just after its thaw.
   */
  readonly midProduce?: boolean;
}

/** A zombie run's summary, with the produce requests the frozen instance wrote once thawed (`midProduce` runs). */
export interface ZombieSummary extends SmokeSummary {
  readonly lateProduceRequests: number | undefined;
}

/**
 * Two instances; one (running input tasks) is frozen (SIGSTOP) past its session timeout while
 * input flows, so the group gives its tasks to the other; then thawed (SIGCONT), when it still believes it owns them and
 * tries to write and commit. Those writes must be fenced.
 */
export async function runZombieScenario(options: ZombieScenarioOptions): Promise<ZombieSummary> {
  const setup = await setUpSmoke({ name: options.name, guarantee: options.guarantee, commitIntervalMs: options.commitIntervalMs, midProduce: options.midProduce });
  const { cluster, kafka, topics } = setup;
  // Both log at debug: a run with wrong aggregates prints what the runtime did with the tasks (see printZombieTimeline).
  await startStaggered(cluster, ['app-1', 'app-2'], { SMOKE_APP_LOG: '1' });
  const rate = options.ratePerSecond ?? 1000;
  const frozenMs = options.frozenMs ?? 12_000;
  const inputMs = frozenMs + 16_000;
  const records = smokeInput(rate, inputMs);
  const producer = produceSmokeData({ kafka, topic: topics.data, records, ratePerSecond: rate });
  await sleep(5000);
  // A frozen instance without tasks would prove nothing: freeze one that runs tasks reading the
  // input (sub-topology 0: echo and the aggregate), app-2 if both do. The assignor may well give
  // all of them to one instance and all the repartition tasks to the other.
  const inputTasks = (name: string): number => cluster.process(name).tasks.filter((task) => task.startsWith('0_')).length;
  for (const deadline = Date.now() + 20_000; inputTasks('app-1') + inputTasks('app-2') === 0; await sleep(200)) {
    if (Date.now() > deadline) throw new Error('Neither instance reports a task of sub-topology 0 to freeze.');
  }
  const frozen = inputTasks('app-2') > 0 ? 'app-2' : 'app-1';
  const zombie = cluster.process(frozen);
  const frozenAt = Date.now();
  if (options.midProduce === true) {
    zombie.child.kill('SIGUSR2');
    for (const deadline = Date.now() + 20_000; !zombie.events.some((event) => event.event === 'freezing'); await sleep(20)) {
      if (Date.now() > deadline) throw new Error(`${frozen} did not freeze itself in a burst of produce requests within 20 s of being armed.`);
    }
    await cluster.failure(frozen, 'SIGSTOP', () => {});
  } else {
    await cluster.freeze(frozen);
  }
  await sleep(frozenMs);
  const thawedAt = Date.now();
  cluster.thaw(frozen);
  const summary = await finishAndVerify({ setup, name: options.name, records, producer, guarantee: options.guarantee, killsSurvived: 1 });
  // What the thawed instance went through: its states and tasks, and its errors, each kind once with a count.
  const after = zombie.events.filter((event) => event.time >= thawedAt);
  const changes = after.filter((event) => event.event === 'state' || event.event === 'tasks').map((event: SmokeEvent) => (event.event === 'state' ? String(event.state) : `tasks [${(event.tasks as string[]).join(',')}]`));
  const errors = new Map<string, number>();
  for (const event of after) {
    if (event.event !== 'log' || event.level !== 'error') continue;
    const text = `${String(event.message)}${typeof (event.fields as { error?: unknown } | undefined)?.error === 'string' ? `: ${String((event.fields as { error: string }).error)}` : ''}`.slice(0, 140);
    errors.set(text, (errors.get(text) ?? 0) + 1);
  }
  console.log(
    `SMOKE ${options.name}: after the thaw (frozen at ${frozenAt}, thawed at ${thawedAt}) ${frozen} went ${changes.join(' → ') || 'nowhere'} (${zombie.alive ? 'still alive' : `exited ${JSON.stringify(zombie.exit)}`}); errors: ${[...errors].map(([text, count]) => `${count}× "${text}"`).join('; ') || 'none'}`,
  );
  if (summary.aggregateErrors.length > 0 || process.env.SMOKE_TIMELINE === '1') printZombieTimeline(options.name, cluster, frozenAt);
  const late = zombie.events.find((event) => event.event === 'late-produce');
  if (options.midProduce === true) console.log(`SMOKE ${options.name}: froze in a burst of ${String(zombie.events.find((event) => event.event === 'freezing')?.requests)} produce requests; wrote ${String(late?.requests)} just after the thaw`);
  return { ...summary, lateProduceRequests: typeof late?.requests === 'number' ? late.requests : undefined };
}

/** What {@link printZombieTimeline} prints: the runtime's words on task moves, restores, roll-backs, checkpoints and failures. */
const TIMELINE_MESSAGES = /rolled back|past the last commit|restored .* from offset|Closed revoked|checkpointed|did not run for|lost its group membership|no longer in its group|Could not commit|moved on without|Restored \d+ records|rebuilt|replac/i;
const TIMELINE_LINES = 120;

/**
 * For a zombie run with wrong aggregates: every instance's states, task lists and the log lines
 * that say where task state went, from a second before the freeze on, in time order (ms from the
 * freeze), so a failure in CI shows which instance restored what, from where, and what it rolled back.
 */
function printZombieTimeline(name: string, cluster: SmokeCluster, frozenAt: number): void {
  const lines: { time: number; text: string }[] = [];
  for (const instance of cluster.instances) {
    let lastTasks = '';
    for (const event of instance.events) {
      if (event.time < frozenAt - 1000) continue;
      let text: string | undefined;
      if (event.event === 'state') text = `state ${String(event.state)}`;
      else if (event.event === 'processed') {
        const tasks = (event.tasks as string[] | undefined ?? []).join(',');
        if (tasks !== lastTasks) text = `tasks [${tasks}]`;
        lastTasks = tasks;
      } else if (event.event === 'log' && typeof event.message === 'string' && (event.level === 'error' || TIMELINE_MESSAGES.test(event.message))) text = `${String(event.level)}: ${event.message}`.slice(0, 240);
      if (text !== undefined) lines.push({ time: event.time, text: `${instance.name} ${text}` });
    }
  }
  lines.sort((a, b) => a.time - b.time);
  const shown = lines.slice(0, TIMELINE_LINES);
  console.log(`SMOKE ${name}: timeline from the freeze (${shown.length} of ${lines.length} lines)\n${shown.map((line) => `  ${String(line.time - frozenAt).padStart(7)} ms ${line.text}`).join('\n')}`);
}
