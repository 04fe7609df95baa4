/**
 * Checks what a smoke run wrote against the known answer (smoke-data.ts), after Apache Kafka's
 * SmokeTestDriver.verify: reads `data`, `echo`, `agg` and `cnt` read_committed from the beginning
 * to their end offsets, and counts lost and duplicated records, wrong aggregates and transactions
 * left open.
 *
 * "Open transaction" is measured like this. kafkajs' admin `fetchTopicOffsets` lists end offsets
 * read_committed (its ListOffsets request defaults to READ_COMMITTED), so it gives the last stable
 * offset (LSO), not the high watermark; the high watermark comes with every fetch response
 * instead (`highWatermark` of kafkajs' END_BATCH_PROCESS event). The reader reads read_committed
 * to the LSO; its position is the `lastOffset` of those events plus one, and that counts control
 * records (commit and abort markers), so a partition whose last transaction ended is read to its
 * high watermark exactly. A partition whose position stays below the high watermark its fetches
 * reported holds records of a transaction nobody committed or aborted. (A partition holding
 * nothing but an open transaction returns no batch at all, so it goes unseen; the topics checked
 * here always have committed records before any open one.)
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Kafka } from 'kafkajs';
import { Headers, Serdes } from '@tributary/streams';
import { pairOf, type SmokeAggregate, type SmokeExpectation } from './smoke-data.js';

/** The topics of one smoke run. */
export interface SmokeTopics {
  readonly data: string;
  readonly echo: string;
  readonly agg: string;
  readonly cnt: string;
}

export interface VerifyOptions {
  readonly kafka: Kafka;
  /** Names the run in the summary line. */
  readonly name: string;
  readonly topics: SmokeTopics;
  readonly expected: SmokeExpectation;
  /**
   * `'exact'`: aggregates and counts must equal the known answer (exactly-once).
   * `'at-least'`: min and max exact, counts and sums at least the answer (at-least-once may
   * count a record twice).
   */
  readonly aggregates: 'exact' | 'at-least';
  readonly killsSurvived?: number;
  readonly maxKillToResumeMs?: number;
  /** How long to read before calling a partition stuck. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * The aggregate store's changelog: when aggregates are wrong, a few wrong keys' records there
   * and in `agg` are printed, with their partitions and offsets (what a failure in CI keeps).
   */
  readonly aggregateChangelog?: string;
}

/** A partition that could not be read read_committed to its high watermark. */
export interface StuckPartition {
  readonly topic: string;
  readonly partition: number;
  /** How far read_committed got (the next offset): the last stable offset. */
  readonly committedEnd: number;
  /** The high watermark its fetches reported. */
  readonly end: number;
}

export interface SmokeSummary {
  readonly name: string;
  /** Records acknowledged to the input producer. */
  readonly expectedRecords: number;
  /** Keys with an expected aggregate. */
  readonly expectedKeys: number;
  /** Records read from the input topic. */
  readonly recordsIn: number;
  /** Input records the producer wrote twice (a retried send): not the app's fault. */
  readonly inputDuplicates: number;
  /** Records read from `echo`. */
  readonly out: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Echo records that match no input record. */
  readonly unexpected: number;
  readonly lostSample: string[];
  readonly duplicatedSample: string[];
  /** Keys whose final aggregate is wrong (for 'at-least': below the answer, or min/max wrong). */
  readonly aggregateErrors: { key: string; expected: SmokeAggregate | undefined; actual: SmokeAggregate | undefined }[];
  /** Keys whose final aggregate counted more than the answer (allowed for 'at-least'). */
  readonly aggregatesOverCounted: number;
  readonly bucketErrors: { bucket: string; expected: number | undefined; actual: number | undefined }[];
  readonly openTransactions: StuckPartition[];
  readonly killsSurvived: number;
  readonly maxKillToResumeMs: number | undefined;
  /** The one-line summary printed by {@link verifySmokeRun}. */
  readonly line: string;
}

/** A record read back, with where it sits. */
interface ReadRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly partition: number;
  readonly offset: number;
}

interface ReadResult {
  readonly records: Map<string, ReadRecord[]>;
  readonly stuck: StuckPartition[];
}

/**
 * Reads `topics` read_committed from the beginning until each partition is read to the last
 * stable offset it had when the read began, or `timeoutMs` passes, then `settleMs` more; returns
 * the records per topic in partition-then-offset order and the partitions whose position is
 * short of the high watermark (open transactions, or a read that timed out).
 */
export async function readCommitted(kafka: Kafka, topics: readonly string[], timeoutMs: number, settleMs = 2000): Promise<ReadResult> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > Number(low)) ends.set(`${topic}:${partition}`, Number(high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const positions = new Map<string, number>();
  const highWatermarks = new Map<string, number>();
  const byPartition = new Map<string, { offset: number; key: string | null; value: Buffer | null; timestamp: number }[]>();
  const consumer = kafka.consumer({
    groupId: `smoke-verify-${randomUUID().slice(0, 8)}`,
    readUncommitted: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
  });
  const caughtUp = (): boolean => [...ends].every(([id, end]) => (positions.get(id) ?? 0) >= end);
  await consumer.connect();
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const id = `${payload.topic}:${payload.partition}`;
      const next = Number(payload.lastOffset) + 1;
      if (next > (positions.get(id) ?? 0)) positions.set(id, next);
      const high = Number(payload.highWatermark);
      if (high > (highWatermarks.get(id) ?? 0)) highWatermarks.set(id, high);
    });
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      let settleUntil: number | undefined;
      const timer = setInterval(() => {
        // Caught up to the LSO: read a little longer, so fetches at the end report the high watermark.
        if (settleUntil === undefined && (caughtUp() || Date.now() > deadline)) settleUntil = Date.now() + settleMs;
        if (settleUntil !== undefined && Date.now() >= settleUntil) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const id = `${batch.topic}:${batch.partition}`;
            const list = byPartition.get(id) ?? [];
            for (const message of batch.messages) list.push({ offset: Number(message.offset), key: message.key?.toString('utf8') ?? null, value: message.value, timestamp: Number(message.timestamp) });
            byPartition.set(id, list);
          },
        })
        .catch((error: unknown) => {
          clearInterval(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  const stuck: StuckPartition[] = [];
  for (const id of new Set([...ends.keys(), ...highWatermarks.keys()])) {
    const position = positions.get(id) ?? 0;
    const end = Math.max(ends.get(id) ?? 0, highWatermarks.get(id) ?? 0);
    if (position < end) {
      const separator = id.lastIndexOf(':');
      stuck.push({ topic: id.slice(0, separator), partition: Number(id.slice(separator + 1)), committedEnd: position, end });
    }
  }
  const records = new Map<string, ReadRecord[]>(topics.map((topic) => [topic, []]));
  const ids = [...byPartition.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const id of ids) {
    const topic = id.slice(0, id.lastIndexOf(':'));
    const partition = Number(id.slice(id.lastIndexOf(':') + 1));
    // A redelivery after a rebalance of the reader's own group would repeat offsets: keep each once.
    const seen = new Set<number>();
    for (const record of byPartition.get(id)!.sort((a, b) => a.offset - b.offset)) {
      if (seen.has(record.offset)) continue;
      seen.add(record.offset);
      records.get(topic)!.push({ key: record.key, value: record.value, timestamp: record.timestamp, partition, offset: record.offset });
    }
  }
  return { records, stuck };
}

/** Counts how often each pair occurs. */
function countPairs(records: readonly { key: string | null; value: Buffer | null }[], topic: string): Map<string, number> {
  const int32 = Serdes.Int32();
  const headers = new Headers();
  const counts = new Map<string, number>();
  for (const record of records) {
    if (record.key === null || record.value === null) continue;
    const pair = pairOf(record.key, int32.deserialize(topic, record.value, headers));
    counts.set(pair, (counts.get(pair) ?? 0) + 1);
  }
  return counts;
}

/** Each key's last JSON value. */
function latestJson<T>(records: readonly { key: string | null; value: Buffer | null }[]): Map<string, T> {
  const latest = new Map<string, T>();
  for (const record of records) {
    if (record.key === null) continue;
    if (record.value === null) latest.delete(record.key);
    else latest.set(record.key, JSON.parse(record.value.toString('utf8')) as T);
  }
  return latest;
}

/** Reads the run's topics, compares them with `expected`, prints one SMOKE line and returns the summary. */
export async function verifySmokeRun(options: VerifyOptions): Promise<SmokeSummary> {
  const { topics, expected } = options;
  const { records, stuck } = await readCommitted(options.kafka, [topics.data, topics.echo, topics.agg, topics.cnt], options.timeoutMs ?? 30_000);

  const inputCounts = countPairs(records.get(topics.data)!, topics.data);
  let recordsIn = 0;
  let inputDuplicates = 0;
  for (const count of inputCounts.values()) {
    recordsIn += count;
    inputDuplicates += count - 1;
  }

  const echoCounts = countPairs(records.get(topics.echo)!, topics.echo);
  let out = 0;
  let duplicated = 0;
  let unexpected = 0;
  const duplicatedSample: string[] = [];
  for (const [pair, count] of echoCounts) {
    out += count;
    if (!expected.pairs.has(pair)) unexpected += count;
    else if (count > 1) {
      // A record the producer itself wrote twice may come out twice without the app at fault.
      const allowed = inputCounts.get(pair) ?? 1;
      if (count > allowed) {
        duplicated += count - allowed;
        if (duplicatedSample.length < 10) duplicatedSample.push(`${pair} x${count}`);
      }
    }
  }
  const lostSample: string[] = [];
  let lost = 0;
  for (const pair of expected.pairs) {
    if (!echoCounts.has(pair)) {
      lost++;
      if (lostSample.length < 10) lostSample.push(pair);
    }
  }

  const aggregates = latestJson<SmokeAggregate>(records.get(topics.agg)!);
  const aggregateErrors: SmokeSummary['aggregateErrors'] = [];
  let aggregatesOverCounted = 0;
  for (const [key, want] of expected.aggregates) {
    const got = aggregates.get(key);
    const exact = isDeepStrictEqual(got, want);
    if (exact) continue;
    const atLeast = got !== undefined && got.min === want.min && got.max === want.max && got.count >= want.count && got.sum >= want.sum;
    if (options.aggregates === 'at-least' && atLeast) aggregatesOverCounted++;
    else aggregateErrors.push({ key, expected: want, actual: got });
  }
  for (const key of aggregates.keys()) if (!expected.aggregates.has(key)) aggregateErrors.push({ key, expected: undefined, actual: aggregates.get(key) });

  const buckets = latestJson<number>(records.get(topics.cnt)!);
  const bucketErrors: SmokeSummary['bucketErrors'] = [];
  for (const [bucket, want] of expected.buckets) {
    const got = buckets.get(bucket);
    const ok = options.aggregates === 'exact' ? got === want : got !== undefined && got >= want;
    if (!ok) bucketErrors.push({ bucket, expected: want, actual: got });
  }
  for (const bucket of buckets.keys()) if (!expected.buckets.has(bucket)) bucketErrors.push({ bucket, expected: undefined, actual: buckets.get(bucket) });

  const killsSurvived = options.killsSurvived ?? 0;
  const maxKillToResumeMs = options.maxKillToResumeMs;
  const line =
    `SMOKE ${options.name}: records in=${recordsIn}, out=${out}, lost=${lost}, duplicated=${duplicated}, ` +
    `kills survived=${killsSurvived}, max kill→resumed output=${maxKillToResumeMs === undefined ? 'n/a' : Math.round(maxKillToResumeMs)} ms` +
    ` (expected=${expected.records}, input duplicates=${inputDuplicates}, unexpected=${unexpected}, agg errors=${aggregateErrors.length}, agg over-counted=${aggregatesOverCounted}, ` +
    `cnt errors=${bucketErrors.length}, open transactions=${stuck.length})`;
  console.log(line);
  if (lostSample.length > 0) console.log(`SMOKE ${options.name}: lost e.g. ${lostSample.join(', ')}`);
  if (duplicatedSample.length > 0) console.log(`SMOKE ${options.name}: duplicated e.g. ${duplicatedSample.join(', ')}`);
  if (aggregateErrors.length > 0) {
    console.log(`SMOKE ${options.name}: agg errors e.g. ${JSON.stringify(aggregateErrors.slice(0, 5))}`);
    await printAggregateHistories(options, records.get(topics.agg)!, aggregateErrors.map((error) => error.key));
  }
  if (bucketErrors.length > 0) console.log(`SMOKE ${options.name}: cnt errors ${JSON.stringify(bucketErrors)}`);
  if (stuck.length > 0) console.log(`SMOKE ${options.name}: partitions short of their end read_committed ${JSON.stringify(stuck)}`);
  return {
    name: options.name,
    expectedRecords: expected.records,
    expectedKeys: expected.aggregates.size,
    recordsIn,
    inputDuplicates,
    out,
    lost,
    duplicated,
    unexpected,
    lostSample,
    duplicatedSample,
    aggregateErrors,
    aggregatesOverCounted,
    bucketErrors,
    openTransactions: stuck,
    killsSurvived,
    maxKillToResumeMs,
    line,
  };
}

/** How many wrong keys {@link printAggregateHistories} follows, and how many of each one's last records it prints. */
const HISTORY_KEYS = 3;
const HISTORY_RECORDS = 8;

/**
 * For a failure's diagnosis: how the wrong keys spread over `agg`'s partitions, and for a few of
 * them their last records in `agg` and in the aggregate store's changelog (offset, timestamp,
 * count), which tell a late write landing after the new owner's from updates never counted.
 */
async function printAggregateHistories(options: VerifyOptions, aggRecords: readonly ReadRecord[], wrongKeys: readonly string[]): Promise<void> {
  const wrong = new Set(wrongKeys);
  const perPartition = new Map<number, Set<string>>();
  for (const record of aggRecords) {
    if (record.key === null || !wrong.has(record.key)) continue;
    let keys = perPartition.get(record.partition);
    if (keys === undefined) perPartition.set(record.partition, (keys = new Set()));
    keys.add(record.key);
  }
  const spread = [...perPartition].sort(([a], [b]) => a - b).map(([partition, keys]) => `${partition}: ${keys.size}`);
  console.log(`SMOKE ${options.name}: wrong keys per agg partition {${spread.join(', ')}}`);
  const sample = wrongKeys.slice(0, HISTORY_KEYS);
  const histories: [string, readonly ReadRecord[]][] = [['agg', aggRecords]];
  if (options.aggregateChangelog !== undefined) {
    try {
      const { records } = await readCommitted(options.kafka, [options.aggregateChangelog], 20_000, 500);
      histories.push(['changelog', records.get(options.aggregateChangelog)!]);
    } catch (error) {
      console.log(`SMOKE ${options.name}: could not read ${options.aggregateChangelog}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const key of sample) {
    for (const [label, records] of histories) {
      const ofKey = records.filter((record) => record.key === key);
      const shown = ofKey.slice(-HISTORY_RECORDS).map((record) => {
        const count = record.value === null ? 'null' : String((JSON.parse(record.value.toString('utf8')) as Partial<SmokeAggregate>).count);
        return `@${record.offset} t=${record.timestamp} count=${count}`;
      });
      console.log(`SMOKE ${options.name}: ${label} of ${key} (partition ${ofKey[0]?.partition ?? '?'}, ${ofKey.length} records, last ${shown.length}): ${shown.join(' | ')}`);
    }
  }
}
