/**
 * End-to-end latency at a fixed input rate. The runner produces events at `rate` events/s into
 * fresh topics (the catalog snapshot first), each event's `timestamp` field set to the wall
 * clock when it is sent (events the generator makes late keep their lateness), while the app
 * runs with a 100 ms commit interval. A read_committed consumer (kafkajs' default isolation)
 * reads `<prefix>product-analytics`: every output record is one product window's `ProductStats`,
 * whose `updatedAt` is the newest event time among the events it counts. Its latency is
 *
 *   the time the consumer receives it − its `updatedAt`,
 *
 * that is, from sending the newest input the output reflects to the output being readable. The
 * runner sends no events late within the grace period (the generator's other kinds it does): an
 * output a late event updates has the window's newest event time as `updatedAt`, which is not
 * when the late event was sent, so that difference would not be a latency. Outputs whose
 * `updatedAt` falls in the warm-up are left out. Reported: p50, p99, max, the
 * number of samples, the producer's worst lag behind its schedule (which the latency would
 * include), and the app's backlog when sending stopped (whether it kept up with the rate); for
 * Tributary, what held its event loop over the measured part (`timing-summary.ts`); and with
 * `--latency-hops`, how long events took to be readable after each hop (`latency-hops.ts`).
 */
import { EventGenerator } from '../../../examples/product-analytics/src/generator.js';
import { sleep } from './child.js';
import { committedOffset, endOffset, kafkaClient, loadRecords } from './cluster.js';
import { commitRates } from './commit-rates.js';
import { freshStateDirectory, startFlagship, uniqueName, waitForRunning, type Context, type FlagshipApp } from './context.js';
import { flagshipTopics } from './flagship.js';
import { HopReader, percentile, type LatencyHops } from './latency-hops.js';
import { timingSummary, type TimingSummary } from './timing-summary.js';

export interface LatencyMeasurement {
  readonly rate: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly producerLagMaxMs: number;
  readonly eventsSent: number;
  /**
   * Events sent but not yet committed by the app when sending stopped. More than a second's
   * worth means the app did not keep up with the rate, and its latency grew with the run.
   */
  readonly backlogAtEnd: number;
  /** The stream threads' commits per second over the measured part (Tributary). */
  readonly commitsPerSecond?: number;
  /** Transactions committed per second over the measured part (Tributary on @platformatic/kafka). */
  readonly transactionsPerSecond?: number;
  /** What held the app over the measured part (Tributary). */
  readonly timing?: TimingSummary;
  /** With `--latency-hops`: from sending an event to its being readable after each hop. */
  readonly hops?: LatencyHops;
}

const latencyCommitIntervalMs = 100;
const tickMs = 10;
/** Events per send: well under the broker's message.max.bytes (1 MiB) at about 200 bytes each. */
const maxMessagesPerSend = 1_000;

/** `value` with its `timestamp` set to `sentAt`, unless the generator made it late or it does not parse (malformed input stays as it is). */
function stamped(value: Buffer | null, scheduledAt: number, sentAt: number): Buffer | null {
  if (value === null) return value;
  let event: { timestamp?: unknown };
  try {
    event = JSON.parse(value.toString('utf8')) as { timestamp?: unknown };
  } catch {
    return value;
  }
  if (typeof event !== 'object' || event === null || typeof event.timestamp !== 'number') return value;
  const lateness = scheduledAt - event.timestamp;
  event.timestamp = lateness > 1_000 ? sentAt - lateness : sentAt;
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** `rate` overrides the mode's input rate (the 10,000 events/s scenarios), `partitions` the mode's partition count. */
export async function runLatency(context: Context, app: Omit<FlagshipApp, 'commitIntervalMs'>, rate = context.mode.latencyRate, partitions = context.mode.partitions): Promise<LatencyMeasurement> {
  const { latencySeconds, latencyWarmupSeconds } = context.mode;
  const applicationId = uniqueName(context, `latency-${app.implementation}`);
  const data = { eventsTopic: `${applicationId}-product-events`, catalogTopic: `${applicationId}-product-catalog`, partitions };
  await context.topics.create([data.eventsTopic, data.catalogTopic], partitions);
  // Event times are rewritten at send; the catalog snapshot is stamped a minute before this, so a
  // task that orders its inputs by timestamp reads the catalog before the first event.
  const startTime = Date.now();
  // No events late within the grace period: an output such an event updates carries its window's
  // newest event time, not the late event's send time, so its latency would count the event's
  // lateness (5 to 45 s) or the time since the product's previous event (see the README's Latency).
  const generator = new EventGenerator({ seed: 7, startTime, eventsPerSecond: rate, lateWithinGraceRate: 0 });
  await loadRecords(context.producer, generator.catalogSnapshot(), { events: data.eventsTopic, catalog: data.catalogTopic });

  const stateDirectory = await freshStateDirectory(context, applicationId);
  const child = await startFlagship(context, { ...app, commitIntervalMs: latencyCommitIntervalMs }, data, applicationId, stateDirectory);
  const outputTopic = flagshipTopics({ ...data, outputPrefix: `${applicationId}-out-`, emitFinalOnly: false }).productAnalytics;
  const consumer = kafkaClient(context.broker.bootstrap, `${applicationId}-reader`).consumer({ groupId: `${applicationId}-reader`, maxWaitTimeInMs: 20 });
  const hopReader = context.latencyHops ? new HopReader(context.broker.bootstrap, applicationId, data.eventsTopic) : undefined;
  const latencies: number[] = [];
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureTo = Number.POSITIVE_INFINITY;
  try {
    await waitForRunning(child, 90_000);
    await consumer.connect();
    await consumer.subscribe({ topic: outputTopic, fromBeginning: true });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const receivedAt = Date.now();
        if (message.value === null) return;
        const updatedAt = (JSON.parse(message.value.toString('utf8')) as { updatedAt?: number }).updatedAt;
        if (typeof updatedAt === 'number' && updatedAt >= measureFrom && updatedAt <= measureTo) latencies.push(receivedAt - updatedAt);
      },
    });
    for (let waited = 0; !joined && waited < 30_000; waited += 100) await sleep(100);
    await hopReader?.start();

    // Event n is due at start + n / rate; each tick sends what is due, stamped with the send time.
    const producer = context.producer;
    const start = Date.now();
    const end = start + latencySeconds * 1000;
    measureFrom = start + latencyWarmupSeconds * 1000;
    measureTo = end;
    hopReader?.measure(measureFrom, measureTo);
    const stepMs = 1000 / rate;
    let sent = 0;
    let producerLagMaxMs = 0;
    let pending = generator.next();
    while (Date.now() < end) {
      const failure = child.failure();
      if (failure !== undefined) throw new Error(failure);
      const now = Date.now();
      const events = [];
      const catalog = [];
      while (start + sent * stepMs <= now) {
        const scheduledAt = start + sent * stepMs;
        producerLagMaxMs = Math.max(producerLagMaxMs, now - scheduledAt);
        if (pending.stream === 'events') {
          events.push({ key: pending.key, value: stamped(pending.value, startTime + Math.floor(sent * stepMs), now), timestamp: String(now) });
          sent++;
        } else catalog.push({ key: pending.key, value: pending.value, timestamp: String(now) });
        pending = generator.next();
      }
      // In sends of at most `maxMessagesPerSend` events: a producer that fell behind (at 10,000/s on a busy machine) must not build a request the broker refuses.
      if (catalog.length > 0) await producer.send({ topic: data.catalogTopic, messages: catalog, acks: -1 });
      for (let from = 0; from < events.length; from += maxMessagesPerSend) await producer.send({ topic: data.eventsTopic, messages: events.slice(from, from + maxMessagesPerSend), acks: -1 });
      await sleep(tickMs);
    }
    const backlogAtEnd = (await endOffset(context.admin, data.eventsTopic)) - (await committedOffset(context.admin, applicationId, data.eventsTopic));
    // Let the last commits and flushes arrive.
    await sleep(3_000);
    const sorted = [...latencies].sort((a, b) => a - b);
    if (sorted.length === 0) throw new Error(`no output on ${outputTopic} reflected an event of the measured ${latencySeconds - latencyWarmupSeconds} s`);
    const timing = timingSummary(child.metrics, measureFrom, measureTo);
    return {
      rate,
      samples: sorted.length,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1]!,
      producerLagMaxMs,
      eventsSent: sent,
      backlogAtEnd,
      ...commitRates(child.metrics, measureFrom, measureTo),
      ...(timing === undefined ? {} : { timing }),
      ...(hopReader === undefined ? {} : { hops: hopReader.hops() }),
    };
  } finally {
    await consumer.disconnect().catch(() => {});
    await hopReader?.stop();
    await child.stop();
  }
}
