/**
 * The flagship on a three-broker cluster while brokers fail (issue #12): a cluster of the test's
 * own (local-cluster.ts: replication 3, min.insync.replicas 2), the flagship's topics on it with
 * the brokers' default replication (3; its internal topics too), the catalog taken in, a backlog
 * of events, then one instance of flagship-app.mjs working through it while more events arrive
 * live. Meanwhile the broker leading most of the flagship's partitions (input, changelog,
 * repartition, output) is killed with kill -9, restarted, and waited for until it is back in
 * every in-sync replica set, as many times as asked; then another broker is shut down cleanly
 * (SIGTERM: it hands its leaderships over first) and restarted the same way. The instance is
 * never restarted: it must ride through every failure. Then flagship-verify.ts recomputes the
 * answer from the input topics and compares every window, read_committed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './smoke-cluster.js';
import { commitCatalog, finishFlagship, flagshipInput, lagOf, produceInput, setUpFlagship, type FlagshipRun } from './flagship-scenario.js';
import type { FlagshipSummary } from './flagship-verify.js';
import { brokerIds, busiestLeader, LocalCluster, waitInSync, type BrokerId } from './local-cluster.js';
import type { Guarantee } from './smoke-scenario.js';

export interface BrokerFailureOptions {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly seed: number;
  readonly commitIntervalMs: number;
  /** Events on the broker before the instance starts. */
  readonly backlogEvents: number;
  /** Events sent while the brokers fail, at `liveRatePerSecond`; the rest is dropped once the failures are over. */
  readonly liveEvents: number;
  readonly liveRatePerSecond: number;
  /** kill -9 cycles of the busiest leader. */
  readonly brokerKills: number;
  /** Controlled shutdowns (SIGTERM) of another broker, after the kills. */
  readonly controlledShutdowns: number;
  /** How long a failed broker stays down before its restart. */
  readonly downMs: number;
  /**
   * The pause after a broker is back in sync before the next kill: time for the application to
   * settle, since a kill -9 can cost it a stream-thread replacement and more than 10 in 5 minutes
   * stop it (see docs/running-on-kafka.md, "Failure testing").
   */
  readonly pauseBetweenKillsMs: number;
}

/** One broker failure: which broker, how, what it led, and how long it took to be whole again. */
export interface BrokerFailure {
  readonly kind: 'kill -9' | 'SIGTERM';
  readonly broker: BrokerId;
  /** Partitions of the flagship's topics it led when it failed. */
  readonly partitionsLed: number;
  /** From its restart until it was back in every in-sync replica set. */
  readonly rejoinMs: number;
}

export interface BrokerFailureResult {
  readonly summary: FlagshipSummary;
  readonly failures: readonly BrokerFailure[];
  /** Partitions of the flagship's topics (internal ones included) and their replication factors. */
  readonly replicationFactors: ReadonlyMap<string, number>;
  /** The instance's warnings and errors during the run, in short. */
  readonly appWarnings: readonly string[];
  /**
   * The file holding every event the instance logged (debug included: each task's commits,
   * checkpoints and restores, the thread's replacements), under `.scratch/failure-logs/`.
   */
  readonly appLogFile: string;
  /** The longest time from a failure until every output partition had new committed records, if measured. */
  readonly maxResumeMs: number | undefined;
}

const instanceName = 'flagship-1';
/** Kafka's own topics that exactly-once depends on: a restarted broker must be back in their ISR too. */
const kafkaInternalTopics = ['__transaction_state', '__consumer_offsets'];

/**
 * Those of {@link kafkaInternalTopics} the cluster has: the transaction state log exists only once
 * a transaction was begun, never under at-least-once (a metadata request naming it then fails).
 */
async function existingInternalTopics(run: FlagshipRun): Promise<string[]> {
  const topics = new Set(await run.admin.listTopics());
  return kafkaInternalTopics.filter((topic) => topics.has(topic));
}

/** The flagship's topics now: inputs and outputs, and the internal topics the app created. */
async function flagshipTopics(run: FlagshipRun): Promise<string[]> {
  const internal = (await run.admin.listTopics()).filter((topic) => topic.startsWith(`${run.applicationId}-`));
  return [...Object.values(run.topics), ...internal];
}

/** Fails the run at once, with the instance's words, if it exited: it must survive the failures by itself. */
function checkAlive(run: FlagshipRun): void {
  const instance = run.cluster.process(instanceName);
  if (!instance.alive) throw new Error(`The flagship exited (${JSON.stringify(instance.exit)}) during the broker failures: ${instance.failure() ?? 'no error reported'}\n${instance.tail()}`);
}

/**
 * One failure of the broker leading most of the flagship's partitions (other than `spare`): kill
 * or stop it, `downMs`, restart it, wait until it is in sync again.
 */
async function failBroker(run: FlagshipRun, cluster: LocalCluster, kind: BrokerFailure['kind'], spare: BrokerId | undefined, downMs: number): Promise<BrokerFailure> {
  const topics = await flagshipTopics(run);
  const internalTopics = await existingInternalTopics(run);
  const { broker, leads } = await busiestLeader(run.admin, topics, spare);
  const act = kind === 'kill -9' ? () => cluster.killBroker(broker) : () => cluster.stopBroker(broker);
  await run.cluster.failure(instanceName, 'broker', act);
  await sleep(downMs);
  checkAlive(run);
  await cluster.startBroker(broker);
  const rejoinMs = await waitInSync(run.admin, [...topics, ...internalTopics], broker, 180_000);
  checkAlive(run);
  const failure = { kind, broker, partitionsLed: leads.get(broker) ?? 0, rejoinMs };
  const partitions = [...leads.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    `FAILURE ${run.name}: ${kind} broker ${broker} (it led ${failure.partitionsLed} of the ${partitions} partitions of the flagship's ${topics.length} topics; leaders per broker ${JSON.stringify(Object.fromEntries(leads))}), ` +
      `down ${downMs} ms, back in sync ${rejoinMs} ms after its restart; events not yet committed: ${await lagOf(run.admin, run.applicationId, run.topics.events)}`,
  );
  return failure;
}

/** Runs the scenario (see the top of this file) and verifies it. */
export async function runBrokerFailureScenario(options: BrokerFailureOptions): Promise<BrokerFailureResult> {
  const cluster = await LocalCluster.start();
  const run = await setUpFlagship({ name: options.name, guarantee: options.guarantee, commitIntervalMs: options.commitIntervalMs, bootstrap: cluster.bootstrap, replicationFactor: -1 });
  const records = flagshipInput({ events: options.backlogEvents + options.liveEvents, seed: options.seed });
  const events = records.filter((record) => record.stream === 'events');
  let resent = await commitCatalog(
    run,
    records.filter((record) => record.stream === 'catalog'),
    instanceName,
  );
  const backlog = events.slice(0, options.backlogEvents);
  resent += await produceInput(run.kafka, run.topics, backlog);

  // With its debug log (each task's commits and restores), kept in a file should a window not be exact.
  run.cluster.start(instanceName, {}, { SMOKE_APP_LOG: '1' });
  await run.cluster.waitRunning(90_000);
  // The failures strike once the instance has committed some of the backlog.
  for (const deadline = Date.now() + 60_000; (await lagOf(run.admin, run.applicationId, run.topics.events)) >= backlog.length; await sleep(200)) {
    if (Date.now() > deadline) throw new Error(`The flagship committed no progress within 60 s:\n${run.cluster.process(instanceName).tail()}`);
  }
  let failuresOver = false;
  // Settled at once, so a failure of the input waits for the failures to end without going unhandled.
  const liveInput = produceInput(run.kafka, run.topics, events.slice(options.backlogEvents), { ratePerSecond: options.liveRatePerSecond, stop: () => failuresOver, patienceMs: 120_000 }).then(
    (batchesResent) => ({ batchesResent, error: undefined }),
    (error: unknown) => ({ batchesResent: 0, error }),
  );

  const failures: BrokerFailure[] = [];
  try {
    let lastKilled: BrokerId | undefined;
    for (let cycle = 0; cycle < options.brokerKills; cycle++) {
      const failure = await failBroker(run, cluster, 'kill -9', undefined, options.downMs);
      lastKilled = failure.broker;
      failures.push(failure);
      if (cycle + 1 < options.brokerKills) await sleep(options.pauseBetweenKillsMs);
    }
    // "Another" broker: not the one just killed.
    for (let shutdown = 0; shutdown < options.controlledShutdowns; shutdown++) {
      failures.push(await failBroker(run, cluster, 'SIGTERM', lastKilled, options.downMs));
    }
  } finally {
    failuresOver = true;
  }
  const input = await liveInput;
  if (input.error !== undefined) throw new Error(`The live input failed: ${String(input.error)}`);
  resent += input.batchesResent;
  if (resent > 0) console.log(`FAILURE ${options.name}: ${resent} input batch(es) sent again after a producer failure`);

  const topics = await flagshipTopics(run);
  const replicationFactors = new Map<string, number>();
  const { topics: metadata } = await run.admin.fetchTopicMetadata({ topics: [...topics, ...(await existingInternalTopics(run))] });
  for (const { name, partitions } of metadata) replicationFactors.set(name, Math.min(...partitions.map((partition) => partition.replicas.length)));
  // Every broker up again and in sync before the count.
  for (const id of brokerIds) await waitInSync(run.admin, topics, id, 60_000);

  const appEvents = run.cluster.process(instanceName).events;
  const directory = join(import.meta.dirname, '../../../.scratch/failure-logs');
  await mkdir(directory, { recursive: true });
  const appLogFile = join(directory, `${options.name}-${Date.now()}.jsonl`);
  let summary: Awaited<ReturnType<typeof finishFlagship>>;
  try {
    summary = await finishFlagship(run, options.commitIntervalMs, failures.length, 300_000);
  } finally {
    // Kept when the flagship did not finish too: that log is the one that says where it stopped.
    await writeFile(appLogFile, appEvents.map((event) => JSON.stringify(event)).join('\n') + '\n');
    console.log(`FAILURE ${options.name}: the instance's whole log (debug included) is in ${appLogFile}`);
  }
  const measured = await run.cluster.measured();
  const maxResumeMs = run.cluster.maxResumeMs();
  const appWarnings = appEvents
    .filter((event) => event.event === 'log' && (event.level === 'warn' || event.level === 'error'))
    .map((event) => `${String(event.level)}: ${String(event.message).slice(0, 160)}`);
  console.log(`FAILURE ${options.name}: output resumed after each failure in ${measured.map((failure) => failure.resumedAfterMs ?? 'not measured').join(', ')} ms`);
  return { summary, failures, replicationFactors, appWarnings, appLogFile, maxResumeMs };
}
