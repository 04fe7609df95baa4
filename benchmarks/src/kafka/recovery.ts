/**
 * Recovery: two Tributary instances of one application share the work over a catalog of
 * `recoveryKeys` products (each a key in the catalog table's store and its changelog) and
 * `recoveryEvents` events. Once both are RUNNING and have committed every input, one is killed
 * with SIGKILL, and the runner produces a trickle of new events (200/s, event time = now) across
 * all products. Measured from the kill:
 *
 * - `takeoverSeconds`: until the survivor runs every task (its metrics list them all): the
 *   session timeout, the rebalance and the restore of the dead instance's stores;
 * - `recoverySeconds`: until every partition of `<prefix>product-analytics` has carried an output
 *   reflecting an event sent after the kill, the dead instance's partitions included;
 * - `restoredRecords` and `restoreRate`: changelog records the survivor restored after the
 *   kill, over the time from its first to its last increase of `metrics().restored`.
 *
 * The group's session timeout is 6 s (heartbeat 2 s), so detection takes about that long.
 */
import { EventGenerator } from '../../../examples/product-analytics/src/generator.js';
import { sleep, type Child } from './child.js';
import { committedOffset, dataSet, endOffset, kafkaClient, loadRecords } from './cluster.js';
import { freshStateDirectory, startFlagship, uniqueName, waitForRunning, type Context } from './context.js';
import { flagshipTopics } from './flagship.js';

export interface RecoveryMeasurement {
  readonly keys: number;
  readonly takeoverSeconds: number;
  readonly recoverySeconds: number;
  readonly restoredRecords: number;
  readonly restoreSeconds: number;
  readonly restoreRate: number;
  readonly survivorPeakRssBytes: number;
}

const sessionTimeoutMs = 6_000;
const trickleRate = 200;

export async function runRecovery(context: Context): Promise<RecoveryMeasurement> {
  const { partitions, recoveryKeys, recoveryEvents } = context.mode;
  const applicationId = uniqueName(context, 'recovery');
  const data = { eventsTopic: `${applicationId}-product-events`, catalogTopic: `${applicationId}-product-catalog`, partitions };
  await context.topics.create([data.eventsTopic, data.catalogTopic], partitions);
  const generatorOptions = { seed: 11, products: recoveryKeys, eventsPerSecond: 2_000, startTime: Date.now() - Math.ceil(recoveryEvents / 2_000) * 1000 - 60_000 };
  await loadRecords(context.producer, dataSet(recoveryEvents, generatorOptions), { events: data.eventsTopic, catalog: data.catalogTopic });
  const app = { implementation: 'tributary', guarantee: 'at_least_once', threads: 1, commitIntervalMs: context.commitIntervalMs, sessionTimeoutMs } as const;
  const children: Child[] = [];
  const consumer = kafkaClient(context.broker.bootstrap, `${applicationId}-reader`).consumer({ groupId: `${applicationId}-reader`, maxWaitTimeInMs: 50 });
  try {
    for (const name of ['a', 'b']) children.push(await startFlagship(context, app, data, applicationId, await freshStateDirectory(context, `${applicationId}-${name}`)));
    const [survivor, victim] = children as [Child, Child];
    await Promise.all(children.map((child) => waitForRunning(child, 120_000)));
    // Both caught up, and the tasks settled between them.
    const eventsEnd = await endOffset(context.admin, data.eventsTopic);
    const catalogEnd = await endOffset(context.admin, data.catalogTopic);
    const deadline = Date.now() + context.mode.runTimeoutMs;
    for (;;) {
      for (const child of children) {
        const failure = child.failure();
        if (failure !== undefined) throw new Error(failure);
      }
      if (Date.now() > deadline) throw new Error('the two instances did not catch up in time');
      const events = await committedOffset(context.admin, applicationId, data.eventsTopic);
      const catalog = await committedOffset(context.admin, applicationId, data.catalogTopic);
      const split = (survivor.lastMetrics?.tasks?.length ?? 0) > 0 && (victim.lastMetrics?.tasks?.length ?? 0) > 0;
      if (events >= eventsEnd && catalog >= catalogEnd && split && survivor.state === 'RUNNING' && victim.state === 'RUNNING') break;
      await sleep(250);
    }
    const allTasks = new Set([...(survivor.lastMetrics?.tasks ?? []), ...(victim.lastMetrics?.tasks ?? [])]);
    const restoredBefore = survivor.lastMetrics?.restored ?? 0;

    // A reader of the output, joined before the kill, so it sees every output after it.
    const outputTopic = flagshipTopics({ ...data, outputPrefix: `${applicationId}-out-`, emitFinalOnly: false }).productAnalytics;
    let killedAt = Number.POSITIVE_INFINITY;
    const firstOutput = new Map<number, number>();
    await consumer.connect();
    await consumer.subscribe({ topic: outputTopic, fromBeginning: false });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.value === null || firstOutput.has(partition)) return;
        const updatedAt = (JSON.parse(message.value.toString('utf8')) as { updatedAt?: number }).updatedAt;
        if (typeof updatedAt === 'number' && updatedAt >= killedAt) firstOutput.set(partition, Date.now());
      },
    });
    for (let waited = 0; !joined && waited < 30_000; waited += 100) await sleep(100);

    await victim.kill();
    killedAt = Date.now();
    // Product ids depend only on the count, so these events name the loaded catalog's products.
    const generator = new EventGenerator({ seed: 12, products: recoveryKeys, eventsPerSecond: trickleRate, startTime: killedAt });
    let sent = 0;
    let takeoverAt: number | undefined;
    let firstRestore: number | undefined;
    let lastRestore: number | undefined;
    let lastRestored = restoredBefore;
    const giveUpAt = killedAt + context.mode.runTimeoutMs;
    while (firstOutput.size < partitions || takeoverAt === undefined) {
      const failure = survivor.failure();
      if (failure !== undefined) throw new Error(failure);
      const now = Date.now();
      if (now > giveUpAt) throw new Error(`no output on ${partitions - firstOutput.size} of ${partitions} partitions ${context.mode.runTimeoutMs / 1000} s after the kill`);
      const messages = [];
      while (sent < ((now - killedAt) / 1000) * trickleRate) {
        const record = generator.next();
        if (record.stream !== 'events') continue;
        messages.push({ key: record.key, value: record.value, timestamp: String(record.timestamp) });
        sent++;
      }
      if (messages.length > 0) await context.producer.send({ topic: data.eventsTopic, messages, acks: -1 });
      const metrics = survivor.lastMetrics;
      if (metrics !== undefined) {
        if ((metrics.restored ?? 0) > lastRestored) {
          firstRestore ??= metrics.ts;
          lastRestore = metrics.ts;
          lastRestored = metrics.restored ?? 0;
        }
        if (takeoverAt === undefined && survivor.state === 'RUNNING' && [...allTasks].every((task) => metrics.tasks?.includes(task))) takeoverAt = metrics.ts;
      }
      await sleep(50);
    }
    const restoredRecords = lastRestored - restoredBefore;
    // One metrics interval of restore is the least the samples can show.
    const restoreSeconds = firstRestore === undefined || lastRestore === undefined ? 0 : Math.max(0.2, (lastRestore - firstRestore) / 1000 + 0.2);
    return {
      keys: recoveryKeys,
      takeoverSeconds: (takeoverAt! - killedAt) / 1000,
      recoverySeconds: (Math.max(...firstOutput.values()) - killedAt) / 1000,
      restoredRecords,
      restoreSeconds,
      restoreRate: restoreSeconds > 0 ? restoredRecords / restoreSeconds : 0,
      survivorPeakRssBytes: survivor.peakRss() ?? 0,
    };
  } finally {
    await consumer.disconnect().catch(() => {});
    for (const child of children) await child.stop();
  }
}
