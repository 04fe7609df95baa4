/**
 * Known-answer input for the smoke tests, after Apache Kafka's SmokeTestDriver: keys "i-j" whose
 * values are exactly i..j, each once, interleaved across keys and stamped slightly out of order.
 * Everything the topology computes (echo pairs, per-key min/max/sum/count, per-bucket counts)
 * follows from the records that were acknowledged, so the verifier needs no oracle run.
 */
import type { Kafka } from 'kafkajs';
import { Headers, Serdes } from '@tributary/streams';
import { inputProducer } from '../helpers/kafka.js';
import { seededRandom } from '../../support/seeded-random.js';

/** One input record: key "i-j", value v with i <= v <= j. */
export interface SmokeRecord {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
}

/** The aggregate the app writes to `agg` per key. */
export interface SmokeAggregate {
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly count: number;
}

/** What the outputs must hold for a set of input records. */
export interface SmokeExpectation {
  /** Every input record, as "key=value", once each. */
  readonly pairs: ReadonlySet<string>;
  readonly aggregates: ReadonlyMap<string, SmokeAggregate>;
  /** Records per bucket i % 5. */
  readonly buckets: ReadonlyMap<string, number>;
  readonly records: number;
}

export interface SmokeDataOptions {
  /** How many keys. */
  readonly keys: number;
  /** The seed of the generator, so a failing run can be repeated. */
  readonly seed?: number;
  /** The first timestamp; records spread from it at one millisecond apart, then shuffled. */
  readonly baseTimestamp?: number;
  /** How far a timestamp may move from its record's place in the sequence, in ms. Default 3000. */
  readonly disorderMs?: number;
}

// A seeded generator, so every run with a seed has the same data.
export { seededRandom };

/** The bucket of key "i-j", as the app's repartitioned count computes it. */
export function bucketOf(key: string): string {
  return String(Number.parseInt(key, 10) % 5);
}

/**
 * The input: `keys` distinct keys "i-j" (i in 0..1000, j = i + 5..40), each with the values
 * i..j once, shuffled across keys, with timestamps out of order by up to `disorderMs`.
 */
export function generateSmokeData(options: SmokeDataOptions): SmokeRecord[] {
  const random = seededRandom(options.seed ?? 20_261_125);
  const disorderMs = options.disorderMs ?? 3000;
  const base = options.baseTimestamp ?? Date.now();
  const keys = new Set<string>();
  const entries: { key: string; value: number }[] = [];
  while (keys.size < options.keys) {
    const low = Math.floor(random() * 1001);
    const high = low + 5 + Math.floor(random() * 36);
    const key = `${low}-${high}`;
    if (keys.has(key)) continue;
    keys.add(key);
    for (let value = low; value <= high; value++) entries.push({ key, value });
  }
  for (let index = entries.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const swap = entries[index]!;
    entries[index] = entries[other]!;
    entries[other] = swap;
  }
  return entries.map((entry, index) => ({ ...entry, timestamp: base + index + Math.floor((random() * 2 - 1) * disorderMs) }));
}

/** The "key=value" text the verifier compares by. */
export function pairOf(key: string, value: number): string {
  return `${key}=${value}`;
}

/** What the outputs must hold once `records` are processed. */
export function expectationOf(records: readonly SmokeRecord[]): SmokeExpectation {
  const pairs = new Set<string>();
  const aggregates = new Map<string, SmokeAggregate>();
  const buckets = new Map<string, number>();
  for (const { key, value } of records) {
    pairs.add(pairOf(key, value));
    const previous = aggregates.get(key);
    aggregates.set(
      key,
      previous === undefined
        ? { min: value, max: value, sum: value, count: 1 }
        : { min: Math.min(previous.min, value), max: Math.max(previous.max, value), sum: previous.sum + value, count: previous.count + 1 },
    );
    const bucket = bucketOf(key);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  return { pairs, aggregates, buckets, records: records.length };
}

/** A running input producer. */
export interface SmokeProducer {
  /** Records acknowledged by the broker so far (a prefix of the input). */
  acknowledged(): number;
  /** Resolves with the acknowledged count once every record is sent (or `stop()` was called). */
  readonly done: Promise<number>;
  /** Stops after the batch in flight. */
  stop(): Promise<number>;
  /** Holds back further batches until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Send failures that were retried (the broker was away, say). */
  readonly failures: string[];
}

export interface ProduceSmokeDataOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly records: readonly SmokeRecord[];
  /** Records per second. The whole input then takes records / rate seconds. */
  readonly ratePerSecond: number;
  /** Batches per second. Default 10. */
  readonly batchesPerSecond?: number;
  /** Retry a failed batch (with the idempotent producer) instead of failing. Default false. */
  readonly retryFailedBatches?: boolean;
}

/**
 * Sends the records in order at a bounded rate with the idempotent test producer, one batch at a
 * time, so what was acknowledged is always a prefix of `records`.
 */
export function produceSmokeData(options: ProduceSmokeDataOptions): SmokeProducer {
  const int32 = Serdes.Int32();
  const headers = new Headers();
  const batchesPerSecond = options.batchesPerSecond ?? 10;
  const batchSize = Math.max(1, Math.round(options.ratePerSecond / batchesPerSecond));
  const producer = inputProducer(options.kafka);
  const failures: string[] = [];
  let sent = 0;
  let stopped = false;
  let paused = false;
  const done = (async () => {
    await producer.connect();
    try {
      let started = Date.now();
      let batch = 0;
      while (sent < options.records.length && !stopped) {
        if (paused) {
          await sleep(50);
          // A pause moves the schedule on, so the batches after it do not rush to catch up.
          started += 50;
          continue;
        }
        const slice = options.records.slice(sent, sent + batchSize);
        const messages = slice.map((record) => ({ key: record.key, value: int32.serialize(options.topic, record.value, headers), timestamp: String(record.timestamp) }));
        try {
          await producer.send({ topic: options.topic, messages });
        } catch (error) {
          if (options.retryFailedBatches !== true) throw error;
          failures.push(error instanceof Error ? error.message : String(error));
          await sleep(500);
          started += 500;
          continue;
        }
        sent += slice.length;
        batch++;
        // Paced against the start, so a slow send is made up for by the batches after it.
        const due = started + (batch * 1000) / batchesPerSecond;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
    return sent;
  })();
  return {
    acknowledged: () => sent,
    done,
    stop: async () => {
      stopped = true;
      return done;
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    failures,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
