/**
 * The flagship kill scenario (issue #12): deterministic flagship input on the broker (the
 * catalog, which the app takes in and commits first, then the events all at once, as a backlog),
 * one instance of flagship-app.mjs working through it, killed with SIGKILL several times (some
 * kills timed to land just after a commit started) and restarted on the state directory each kill
 * left, until the last instance finishes the backlog. Then flagship-verify.ts recomputes the
 * answer from the input topics and compares every window.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { onTestFinished } from 'vitest';
import { EventGenerator, type GeneratedRecord } from '../../../examples/product-analytics/src/generator.js';
import { defaultOptions, resolveOptions, type ProductAnalyticsTopics, type ResolvedOptions } from '../../../examples/product-analytics/src/topology.js';
import { bootstrapServers, createTopics, inputProducer, kafkaClient, kafkaClientFor, uniqueTopic } from '../helpers/kafka.js';
import { deleteTopicsWithPrefix } from '../helpers/streams-app.js';
import { createAppCluster, sleep, type AppConfig, type SmokeCluster, type SmokeProcess } from './smoke-cluster.js';
import { verifyFlagshipRun, type FlagshipSummary } from './flagship-verify.js';
import { FAST_CONSUMER, type Guarantee } from './smoke-scenario.js';

/** The config flagship-app.mjs reads. */
export interface FlagshipAppConfig extends AppConfig {
  readonly bootstrap: string;
  readonly applicationId: string;
  readonly topics: ProductAnalyticsTopics;
  readonly processingGuarantee: Guarantee;
  readonly commitIntervalMs: number;
  readonly consumer?: typeof FAST_CONSUMER;
}

/** The built example, which flagship-app.mjs imports `buildTopology` from. */
const flagshipPackage = {
  directory: 'examples/product-analytics',
  name: '@tributary/example-product-analytics',
  entry: '@tributary/example-product-analytics/dist/topology.js',
} as const;

const fiveMinutes = 5 * 60_000;
/** Event time per second of the generator: 80k events span 40 s. */
const eventsPerSecond = 2000;
/** Late events at most this late: with the span, well inside the 1-minute grace. */
const lateWithinGraceMaxMs = 10_000;
/** How far past the window boundary the events of a long input reach: less than the grace period. */
const latestAfterBoundaryMs = 50_000;

export interface FlagshipInputOptions {
  readonly events: number;
  readonly seed: number;
}

/**
 * Deterministic flagship input whose answer does not depend on how partitions interleave: the
 * catalog snapshot only (no changes during the run), no event later than the grace period, and
 * event time spanning a 5-minute boundary, so products and categories have two windows each
 * (up to 700k events: longer spans would reach a third window and close the first too early).
 * Event time is recent but in the past (the app dead-letters events ahead of the wall clock).
 */
export function flagshipInput(options: FlagshipInputOptions) {
  const spanMs = (options.events / eventsPerSecond) * 1000;
  // A boundary at least the whole span in the past: no event is ahead of the wall clock, which
  // the app allows only by maxFutureSkewMs (its check uses the clock when it processes, the
  // verifier's when it verifies).
  const boundary = Math.floor((Date.now() - spanMs) / fiveMinutes) * fiveMinutes;
  const generator = new EventGenerator({
    seed: options.seed,
    // Half the span before the boundary, or all but 50 s of a longer span: the first window must
    // not close (its end plus the 1-minute grace) before the last event.
    startTime: boundary - Math.round(Math.max(spanMs / 2, spanMs - latestAfterBoundaryMs)),
    eventsPerSecond,
    catalogChangeEvery: 0,
    lateBeyondGraceRate: 0,
    lateWithinGraceMaxMs,
  });
  return [...generator.catalogSnapshot(), ...generator.take(options.events)];
}

/** How {@link produceInput} sends: all at once (the default), or at a rate until done or told to stop. */
export interface InputPace {
  /** Records per second. */
  readonly ratePerSecond?: number;
  /** Checked before each batch: true ends the input there. */
  readonly stop?: () => boolean;
  /**
   * How long to keep sending a batch again (with a new producer) before giving up, in ms; at
   * least five attempts either way. Set it past a broker failover (a killed broker's partitions
   * get new leaders only once the controller fences it, 9 s by default) for input sent while
   * brokers fail: the input is the test's, not the application's.
   */
  readonly patienceMs?: number;
}

/**
 * Sends the input, in order, in batches. kafkajs' idempotent producer can fail a batch for good
 * with OUT_OF_ORDER_SEQUENCE_NUMBER after retrying a request that had partly succeeded (seen on
 * freshly created topics); a batch that fails is sent again by a new producer. That may write
 * some records twice, which the verifier sees (it reads the input back) and the app's
 * de-duplication drops, since a copy is an exact retry of its event. Returns the batches resent.
 */
export async function produceInput(kafka: Kafka, topics: ProductAnalyticsTopics, records: readonly GeneratedRecord[], pace: InputPace = {}): Promise<number> {
  const batchSize = pace.ratePerSecond === undefined ? 2000 : Math.max(1, Math.round(pace.ratePerSecond / 4));
  const started = Date.now();
  let producer: Producer | undefined;
  let resent = 0;
  try {
    for (let start = 0; start < records.length; start += batchSize) {
      if (pace.stop?.() === true) break;
      // At the rate: this batch goes out once its records are due.
      if (pace.ratePerSecond !== undefined) {
        // Behind the rate, no wait (a negative timeout makes Node 24 warn).
        const wait = started + (start / pace.ratePerSecond) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; timestamp: string }>>();
      for (const record of records.slice(start, start + batchSize)) {
        const topic = record.stream === 'events' ? topics.events : topics.catalog;
        const messages = byTopic.get(topic) ?? [];
        messages.push({ key: record.key, value: record.value, timestamp: String(record.timestamp) });
        byTopic.set(topic, messages);
      }
      for (let attempt = 1, giveUpAt = Date.now() + (pace.patienceMs ?? 0); ; attempt++) {
        try {
          if (producer === undefined) {
            producer = inputProducer(kafka);
            await producer.connect();
          }
          await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
          break;
        } catch (error) {
          if (attempt >= 5 && Date.now() >= giveUpAt) throw error;
          resent++;
          await producer?.disconnect().catch(() => undefined);
          producer = undefined;
          await sleep(500);
        }
      }
    }
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
  return resent;
}

/**
 * How far the app is through an input topic: records not yet committed (the topic's end offsets
 * minus the group's). Asks again, up to 10 times half a second apart, while kafkajs calls the
 * error retriable: its admin does not retry a partition whose leader is being elected
 * (LEADER_NOT_AVAILABLE), which a test that restarts brokers meets right after one is back in sync.
 */
export async function lagOf(admin: Admin, applicationId: string, topic: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await lagOnce(admin, applicationId, topic);
    } catch (error) {
      if (attempt >= 10 || (error as { retriable?: unknown }).retriable !== true) throw error;
      await sleep(500);
    }
  }
}

async function lagOnce(admin: Admin, applicationId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId: applicationId, topics: [topic] });
  let lag = 0;
  for (const { partition, high } of ends) {
    const offset = Number(committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? -1);
    lag += Number(high) - Math.max(0, offset);
  }
  return lag;
}

/** Resolves at the first `committed` event `instance` prints from now on. */
async function nextCommit(instance: SmokeProcess, timeoutMs: number): Promise<boolean> {
  const since = instance.events.length;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && instance.alive) {
    if (instance.events.slice(since).some((event) => event.event === 'committed')) return true;
    await sleep(5);
  }
  return false;
}

/**
 * When each kill strikes. Kill i of n waits until the instance has committed past
 * `(n - i) / (n + 1)` of the backlog and past where the last kill found it (so the kills spread
 * over the input, each further than the last, whatever the machine's speed: a kill after a fixed
 * time could find the backlog already done), and then strikes at once or, with `afterCommitMs`, that long after the instance next reports a commit:
 * about one commit interval later its next commit starts (the runtime starts a commit a commit
 * interval after the last one began, and the report comes as it ends; `afterCommitMs` a little
 * over the interval lands about when the next begins).
 */
interface KillPlan {
  readonly afterCommitMs?: number;
}

/** What a flagship run needs: a name, the guarantee, and the brokers when not the test broker. */
export interface FlagshipSetupOptions {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly commitIntervalMs: number;
  /** The brokers (`host:port,...`), which the test takes away at times; default the test broker, KAFKA_BOOTSTRAP. */
  readonly bootstrap?: string;
  /** Of the input and output topics; default 1 (the test broker). -1 takes the brokers' default. */
  readonly replicationFactor?: number;
}

/** A flagship run set up: its topics, client, admin and the app instances (none running yet). */
export interface FlagshipRun {
  readonly name: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topics: ProductAnalyticsTopics;
  readonly resolved: ResolvedOptions;
  readonly applicationId: string;
  readonly cluster: SmokeCluster<FlagshipAppConfig>;
}

/**
 * Topics and an application id of the run's own (deleted when the test ends, on the test
 * broker), four partitions each, and a cluster of flagship-app.mjs instances.
 */
export async function setUpFlagship(options: FlagshipSetupOptions): Promise<FlagshipRun> {
  const bootstrap = options.bootstrap ?? bootstrapServers();
  const kafka = options.bootstrap === undefined ? kafkaClient(`smoke-${options.name}`) : kafkaClientFor(bootstrap, `smoke-${options.name}`, true);
  const topics = Object.fromEntries(
    Object.entries(defaultOptions.topics).map(([name, topic]) => [name, uniqueTopic(`smoke-${options.name}-${topic}`)]),
  ) as unknown as ProductAnalyticsTopics;
  const resolved: ResolvedOptions = resolveOptions({ topics });
  // Four partitions everywhere: the catalog must be co-partitioned with the events repartitioned by product.
  await createTopics(kafka, Object.values(topics).map((topic) => ({ topic, numPartitions: 4, replicationFactor: options.replicationFactor ?? 1 })));
  const applicationId = uniqueTopic(`smoke-${options.name}-app`);
  // A private cluster goes with its internal topics; the test broker keeps them unless told.
  if (options.bootstrap === undefined) onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
  const cluster: SmokeCluster<FlagshipAppConfig> = await createAppCluster<FlagshipAppConfig>(
    kafka,
    { bootstrap, applicationId, topics, processingGuarantee: options.guarantee, commitIntervalMs: options.commitIntervalMs, consumer: FAST_CONSUMER },
    { script: 'flagship-app.mjs', packages: [flagshipPackage], progressTopic: topics.productAnalytics },
  );
  const admin = kafka.admin();
  await admin.connect();
  onTestFinished(() => admin.disconnect());
  return { name: options.name, kafka, admin, topics, resolved, applicationId, cluster };
}

/**
 * Sends the catalog and has instance `name` take it in: started, left until it committed the
 * whole catalog, then closed cleanly. The runtime processes whichever partition has records
 * buffered (it does not wait, as Kafka Streams' max.task.idle.ms does, for partitions with data
 * still on the broker), so events fetched before the catalog would join an empty table. Returns
 * the batches sent again after a producer failure.
 */
export async function commitCatalog(run: FlagshipRun, catalog: readonly GeneratedRecord[], name: string): Promise<number> {
  const resent = await produceInput(run.kafka, run.topics, catalog);
  run.cluster.start(name);
  await run.cluster.waitRunning(90_000);
  for (const deadline = Date.now() + 60_000; (await lagOf(run.admin, run.applicationId, run.topics.catalog)) > 0; await sleep(200)) {
    if (Date.now() > deadline) throw new Error(`${name} did not commit the catalog within 60 s:\n${run.cluster.process(name).tail()}`);
  }
  await run.cluster.stop(name);
  return resent;
}

/** The application's repartition topics. */
async function repartitionTopics(run: FlagshipRun): Promise<string[]> {
  return (await run.admin.listTopics()).filter((topic) => topic.startsWith(`${run.applicationId}-`) && topic.endsWith('-repartition'));
}

/**
 * Each repartition partition whose end lies more than 100 offsets past the group's committed
 * offset, as `topic-partition: committed c, end e`: a task that has not read its input to the end.
 * (A few offsets past it are the last transactions' markers, which no consumer position passes.)
 */
async function unreadRepartitions(run: FlagshipRun, topics: readonly string[]): Promise<string[]> {
  const unread: string[] = [];
  try {
    for (const { topic, partitions } of await run.admin.fetchOffsets({ groupId: run.applicationId, topics: [...topics] })) {
      const ends = await run.admin.fetchTopicOffsets(topic);
      for (const { partition, offset } of partitions) {
        const end = Number(ends.find((entry) => entry.partition === partition)?.high ?? 0);
        if (end - Math.max(0, Number(offset)) > 100) unread.push(`${topic}-${partition}: committed ${offset}, end ${end}`);
      }
    }
  } catch (error) {
    unread.push(`(not read: ${error instanceof Error ? error.message : String(error)})`);
  }
  return unread;
}

/**
 * Waits until the group's committed offsets on the application's repartition topics have not
 * moved for `quietMs` with every instance RUNNING and reporting, and every partition is read to
 * its end: what the events caused there is processed. A partition left unread holds the wait up
 * to `unreadPatienceMs` of quiet (a transaction a kill left open holds its readers back until the
 * brokers abort it; a consumer may rejoin): then the run goes on to the verdicts, and the partition
 * is reported (see {@link reportUnreadRepartitions}). Settling on quiet alone took a task that
 * was only held back for one that had lost events.
 * (Their lag cannot say so: under exactly-once a partition may end in several transaction
 * markers, aborted transactions' included, which no consumer position passes.)
 */
async function waitRepartitionSettled(run: FlagshipRun, quietMs: number, timeoutMs: number, unreadPatienceMs = 30_000): Promise<void> {
  const topics = await repartitionTopics(run);
  const committed = async (): Promise<string> => {
    try {
      const offsets = await run.admin.fetchOffsets({ groupId: run.applicationId, topics });
      return JSON.stringify(offsets.map(({ topic, partitions }) => [topic, partitions.map(({ partition, offset }) => [partition, offset])]));
    } catch {
      return `unknown ${Date.now()}`;
    }
  };
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last = await committed();
  let since = Date.now();
  let heldBy: string[] = [];
  for (;;) {
    await sleep(250);
    // Time an instance spent not RUNNING (a stream-thread replacement, a rebalance) is no quiet
    // time: offsets still then may be a thread about to restore and go on, not a settled run.
    const wasRunning = run.cluster.names.every((name) => !run.cluster.process(name).alive || run.cluster.process(name).state === 'RUNNING');
    await run.cluster.waitRunning(90_000);
    const now = await committed();
    if (now !== last || !wasRunning || !run.cluster.reporting()) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      const unread = await unreadRepartitions(run, topics);
      if (unread.length === 0) {
        if (heldBy.length > 0) console.log(`SMOKE ${run.name}: repartition partitions read to their end only ${Math.round((Date.now() - started) / 1000)} s after the outputs went quiet; held back were: ${heldBy.join('; ')}`);
        return;
      }
      heldBy = unread;
      if (Date.now() - since >= unreadPatienceMs) return;
    }
    if (Date.now() > deadline) throw new Error(`The repartition topics' committed offsets kept moving for ${timeoutMs / 1000} s.`);
  }
}

/**
 * Logs each repartition partition left unread once the run settled: a task that stopped reading
 * its input (as one did when a fetch of only aborted records was never marked consumed), which
 * the window verdicts show only as low windows.
 */
async function reportUnreadRepartitions(run: FlagshipRun): Promise<string[]> {
  const unread = await unreadRepartitions(run, await repartitionTopics(run));
  if (unread.length > 0) console.log(`SMOKE ${run.name}: repartition partitions far from read to their end: ${unread.join('; ')}`);
  return unread;
}

/** A verified run, with the repartition partitions it left far from read (see `reportUnreadRepartitions`). */
export interface FlagshipFinish extends FlagshipSummary {
  readonly unreadRepartitions: readonly string[];
}

/**
 * Lets the running instances finish: every event committed, then both outputs quiet for several
 * commit intervals and the repartition topics' committed offsets still for as long (what the
 * events caused downstream is out). Then compares every window
 * (flagship-verify.ts) and closes the instances.
 */
export async function finishFlagship(run: FlagshipRun, commitIntervalMs: number, killsSurvived: number, timeoutMs = 180_000): Promise<FlagshipFinish> {
  await run.cluster.waitRunning(90_000);
  const lagOfEvents = async () => {
    try {
      return await lagOf(run.admin, run.applicationId, run.topics.events);
    } catch {
      // kafkajs' admin does not retry ListOffsets on NOT_LEADER_OR_FOLLOWER, as after a broker failure: ask again.
      return Number.POSITIVE_INFINITY;
    }
  };
  for (const deadline = Date.now() + timeoutMs; (await lagOfEvents()) > 0; await sleep(500)) {
    if (Date.now() > deadline) throw new Error(`The flagship did not finish its input within ${timeoutMs / 1000} s.`);
    // An instance that exited (the application failed) fails the run now, with its reason.
    await run.cluster.waitRunning(90_000);
  }
  await run.cluster.waitQuiet(run.topics.productAnalytics, 4 * commitIntervalMs + 2000, 90_000);
  await run.cluster.waitQuiet(run.topics.categoryAnalytics, 4 * commitIntervalMs + 2000, 90_000);
  await waitRepartitionSettled(run, 4 * commitIntervalMs + 2000, 90_000);
  const unread = await reportUnreadRepartitions(run);
  const summary = await verifyFlagshipRun({ kafka: run.kafka, name: run.name, options: run.resolved, killsSurvived });
  await run.cluster.closeAll();
  return { ...summary, unreadRepartitions: unread };
}

/** Writes every instance's events, in start order, to `.scratch/failure-logs/<name>-<time>.jsonl`. */
async function writeInstanceLogs(run: FlagshipRun, name: string): Promise<void> {
  const directory = join(import.meta.dirname, '../../../.scratch/failure-logs');
  await mkdir(directory, { recursive: true });
  const file = join(directory, `${name}-${Date.now()}.jsonl`);
  const lines = run.cluster.instances.flatMap((instance) => [JSON.stringify({ event: 'instance', name: instance.name, pid: instance.child.pid, exit: instance.exit }), ...instance.events.map((event) => JSON.stringify(event))]);
  await writeFile(file, lines.join('\n') + '\n');
  console.log(`SMOKE ${name}: every instance's log (debug included) is in ${file}`);
}

export interface FlagshipKillOptions {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly events: number;
  readonly seed: number;
  readonly commitIntervalMs: number;
  /** The kills, in order; the run stops killing early if the backlog is done. */
  readonly kills: readonly KillPlan[];
}

export interface FlagshipKillResult {
  readonly summary: FlagshipFinish;
  /** The events topic's lag (events not yet committed) at each kill. */
  readonly lagAtKills: readonly number[];
}

/**
 * Runs the scenario (see the top of this file) and verifies it: topics and an application id of
 * its own (deleted when the test ends), the input, one instance killed as `kills` says, the
 * backlog finished, then every window compared.
 */
export async function runFlagshipKillScenario(options: FlagshipKillOptions): Promise<FlagshipKillResult> {
  const run = await setUpFlagship(options);
  const { admin, applicationId, cluster, topics } = run;
  const records = flagshipInput({ events: options.events, seed: options.seed });
  const name = 'flagship-1';
  let resent = await commitCatalog(
    run,
    records.filter((record) => record.stream === 'catalog'),
    name,
  );
  // Then the events, all of them before the next instance starts: a backlog it works through at full speed.
  resent += await produceInput(
    run.kafka,
    topics,
    records.filter((record) => record.stream === 'events'),
  );
  if (resent > 0) console.log(`SMOKE ${options.name}: ${resent} input batch(es) sent again after a producer failure`);
  const lagAtKills: number[] = [];
  const backlog = await lagOf(admin, applicationId, topics.events);
  let lag = backlog;
  cluster.start(name);
  for (const [index, plan] of options.kills.entries()) {
    await cluster.waitRunning(90_000);
    const instance = cluster.process(name);
    // Each kill further into the input than the last (a commit moved the offsets since), and past an even share of the backlog.
    const previous = lagAtKills.at(-1) ?? backlog;
    const target = Math.min(previous - 1, Math.floor((backlog * (options.kills.length - index)) / (options.kills.length + 1)));
    for (const deadline = Date.now() + 60_000; (lag = await lagOf(admin, applicationId, topics.events)) > target; await sleep(50)) {
      if (Date.now() > deadline) throw new Error(`${name} did not commit past ${backlog - target} of ${backlog} events on ${topics.events} within 60 s of its restart (lag ${lag}):\n${instance.tail()}`);
    }
    if (lag === 0) break; // the backlog is done: a kill now would prove nothing
    if (plan.afterCommitMs !== undefined) {
      if (!(await nextCommit(instance, 10_000))) throw new Error(`${name} reported no commit within 10 s:\n${instance.tail()}`);
      await sleep(plan.afterCommitMs);
    }
    await cluster.kill(name);
    lagAtKills.push(lag);
    cluster.start(name);
  }
  console.log(`SMOKE ${options.name}: events not yet committed shortly before each kill: ${lagAtKills.join(', ')} of ${options.events}`);
  try {
    const summary = await finishFlagship(run, options.commitIntervalMs, lagAtKills.length);
    return { summary, lagAtKills };
  } finally {
    // With SMOKE_APP_LOG=1 (each task's commits, checkpoints and restores), every instance's log, killed ones included.
    if (process.env.SMOKE_APP_LOG === '1') await writeInstanceLogs(run, options.name);
  }
}
