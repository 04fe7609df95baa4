/**
 * An exactly-once instance killed with kill -9 inside an open transaction and restarted (issue
 * #16): how long the dead instance's transaction holds back read_committed readers of its output.
 *
 * Restarted on its state directory, the instance reads its process id back from it
 * (`kafka-streams-process-metadata`), so under `exactly_once_v2` its stream thread initializes the
 * dead one's transactional id (`<applicationId>-<processId>-1`): the brokers abort the open
 * transaction then, within moments of the restart. Started on a fresh state directory instead, it
 * draws a new process id and nothing fences the dead producer: the transaction stays open until
 * the brokers time it out (`transaction.timeout.ms`, 3 commit intervals here). Under `exactly_once`
 * (v1) each task's transactional id is `<applicationId>-<taskId>`, the same from any directory, so
 * both restarts resolve it at once.
 *
 * Measured from each restart: until the output partition's last stable offset reaches the high
 * watermark the dead instance left (its transaction resolved), and until the restarted instance's
 * first commit.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exactlyOnceUnderTest } from './helpers/client-under-test.js';
import { uniqueTopic } from './helpers/kafka.js';
import { sleep, type SmokeCluster, type SmokeProcess } from './smoke/smoke-cluster.js';
import { produceSmokeData } from './smoke/smoke-data.js';
import { setUpSmoke, smokeInput } from './smoke/smoke-scenario.js';

const guarantee = exactlyOnceUnderTest();
/** The transaction timeout is 3 commit intervals (at least 10 s): 24 s. */
const commitIntervalMs = 8000;
const transactionTimeoutMs = 3 * commitIntervalMs;

/** The high watermark of each partition of `topic`, as a read_uncommitted consumer's fetches report it. */
async function highWatermarks(kafka: Kafka, topic: string): Promise<{ readonly latest: Map<number, number>; readonly consumer: Consumer }> {
  const latest = new Map<number, number>();
  const consumer = kafka.consumer({ groupId: uniqueTopic('eos-restart-probe'), readUncommitted: true, maxWaitTimeInMs: 100 });
  onTestFinished(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      latest.set(batch.partition, Math.max(latest.get(batch.partition) ?? 0, Number(batch.highWatermark)));
    },
  });
  return { latest, consumer };
}

/** Resolves with the time of `instance`'s next commit event after `since`. */
async function nextCommit(instance: SmokeProcess, since: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const commit = instance.events.find((event) => event.event === 'committed' && event.time > since);
    if (commit !== undefined) return commit.time;
    if (!instance.alive) throw new Error(`${instance.name} exited before it committed: ${instance.failure() ?? 'no error reported'}\n${instance.tail()}`);
    if (Date.now() > deadline) throw new Error(`${instance.name} did not commit within ${timeoutMs} ms:\n${instance.tail()}`);
    await sleep(50);
  }
}

interface RestartTimes {
  /** ms from the restart until every output partition's last stable offset reached the dead instance's high watermark. */
  readonly resolvedMs: number;
  /** ms from the restart until the restarted instance's first commit. */
  readonly firstCommitMs: number;
  /** Output records the dead instance had written in its open transaction when killed. */
  readonly openRecords: number;
}

/**
 * The high watermarks the dead instance left, once the probe has caught up with them (at or past
 * the last stable offsets, and still for a second: sends on the wire at the kill have landed),
 * with the last stable offsets then.
 */
async function settledHighWatermarks(cluster: SmokeCluster, topic: string, probe: Map<number, number>): Promise<{ left: Map<number, number>; stable: Map<number, number> }> {
  const deadline = Date.now() + 30_000;
  let previous = '';
  let sameSince = Date.now();
  for (;;) {
    await sleep(250);
    const stable = await cluster.endOffsets(topic);
    const left = new Map(probe);
    const caughtUp = [...stable].every(([partition, offset]) => (left.get(partition) ?? 0) >= offset);
    const now = JSON.stringify([...left]);
    if (now !== previous) {
      previous = now;
      sameSince = Date.now();
    } else if (caughtUp && Date.now() - sameSince >= 1000) {
      return { left, stable };
    }
    if (Date.now() > deadline) throw new Error(`The read_uncommitted probe did not catch up with ${topic}: ${now} against last stable offsets ${JSON.stringify([...stable])}`);
  }
}

/**
 * Kills `victim` a second after one of its commits (a transaction open, records in it), restarts
 * it as `restarted` (the same name: the same state directory), and measures.
 */
async function killInTransactionAndRestart(cluster: SmokeCluster, victim: string, restarted: string, topic: string, probe: Map<number, number>): Promise<RestartTimes> {
  await nextCommit(cluster.process(victim), Date.now(), 60_000);
  await sleep(1000);
  await cluster.kill(victim);
  const { left, stable } = await settledHighWatermarks(cluster, topic, probe);
  let openRecords = 0;
  for (const [partition, high] of left) openRecords += high - (stable.get(partition) ?? 0);
  const restartedAt = Date.now();
  const instance = cluster.start(restarted);
  let resolvedMs: number | undefined;
  const deadline = restartedAt + transactionTimeoutMs + 60_000;
  while (resolvedMs === undefined) {
    const now = await cluster.endOffsets(topic);
    if ([...left].every(([partition, high]) => (now.get(partition) ?? 0) >= high)) resolvedMs = Date.now() - restartedAt;
    else if (Date.now() > deadline) throw new Error(`The killed instance's transaction was still open ${deadline - restartedAt} ms after the restart: ${JSON.stringify([...now])} against ${JSON.stringify([...left])}`);
    else await sleep(100);
  }
  const firstCommitMs = (await nextCommit(instance, restartedAt, 90_000)) - restartedAt;
  return { resolvedMs, firstCommitMs, openRecords };
}

describe(`smoke: restarting a killed ${guarantee} instance on its state directory`, () => {
  it('resolves the dead instance’s open transaction at once; on a fresh state directory only v2 must wait for the transaction timeout', { timeout: 300_000 }, async () => {
    const setup = await setUpSmoke({ name: 'eos-restart', guarantee, commitIntervalMs, partitions: 1 });
    const { cluster, kafka, topics } = setup;
    cluster.start('a');
    await cluster.waitRunning(60_000, ['a']);
    const producer = produceSmokeData({ kafka, topic: topics.data, records: smokeInput(200, 240_000), ratePerSecond: 200 });
    onTestFinished(() => void producer.stop());
    const probe = await highWatermarks(kafka, topics.echo);

    const sameDirectory = await killInTransactionAndRestart(cluster, 'a', 'a', topics.echo, probe.latest);
    await cluster.waitRunning(60_000, ['a']);
    const freshDirectory = await killInTransactionAndRestart(cluster, 'a', 'fresh', topics.echo, probe.latest);
    console.log(
      `SMOKE eos-restart ${guarantee}: transaction timeout ${transactionTimeoutMs} ms; restarted on its state directory: open transaction resolved after ${sameDirectory.resolvedMs} ms ` +
        `(${sameDirectory.openRecords} records in it), first commit after ${sameDirectory.firstCommitMs} ms; on a fresh state directory: resolved after ${freshDirectory.resolvedMs} ms ` +
        `(${freshDirectory.openRecords} records in it), first commit after ${freshDirectory.firstCommitMs} ms`,
    );
    await producer.stop();

    // Each kill left records in an open transaction.
    expect(sameDirectory.openRecords).toBeGreaterThan(0);
    expect(freshDirectory.openRecords).toBeGreaterThan(0);
    if (guarantee === 'exactly_once_v2') {
      // The same transactional id aborts it as the restarted thread starts, before it even joins the group.
      expect(sameDirectory.resolvedMs).toBeLessThan(transactionTimeoutMs / 2);
      // A new process id fences nothing: the transaction opened about 1 s before the kill, and stays open until its timeout.
      expect(freshDirectory.resolvedMs).toBeGreaterThan(transactionTimeoutMs - 5000);
    } else {
      // v1's transactional ids are the tasks' (initialized once a task is assigned, after the group's rebalance), the same from any state directory.
      expect(sameDirectory.resolvedMs).toBeLessThan(transactionTimeoutMs - 5000);
      expect(freshDirectory.resolvedMs).toBeLessThan(transactionTimeoutMs - 5000);
    }
  });
});
