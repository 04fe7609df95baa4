/**
 * At-least-once restores to the consistent point (see `commit-metadata.ts`): the committed input
 * offsets of new tasks, with the changelog ends their last commit recorded, and the roll-back of
 * each changelog's uncommitted tail. A crash between a commit's first changelog send and its
 * offset commit leaves records past the recorded end, possibly for some stores and not others; the
 * restore stops at the end, and then, for every key the tail wrote, the value the restored store
 * holds (or a tombstone) is written after it, so the changelog's latest value per key is the
 * restored state again: a later restore (from the start, compacted or not) agrees, and a crash
 * during the roll-back only repeats it.
 */
import { BARE_VALUE_HEADER, type ChangelogValue } from '@tributary/streams';
import { consistentPointOf, type CommittedInput, type ConsistentPoint } from './commit-metadata.js';
import type { OutgoingKafkaRecord, RecordSender, StreamsAdmin } from '../client/kafka-client.js';

/** The committed offsets of a task's input partitions and the consistent point they record. */
export interface CommittedPoint {
  readonly point: ConsistentPoint;
  /** The committed offset of each input topic (the partition is the task's), `-1` when none. */
  readonly offsets: Map<string, number>;
}

/** Reads the committed offsets (with metadata) of every `topic:partition` the tasks read, in one request per topic. */
export async function readCommittedPoints(
  admin: Pick<StreamsAdmin, 'fetchCommittedOffsets'>,
  groupId: string,
  tasks: readonly { readonly key: string; readonly topicPartitions: readonly { readonly topic: string; readonly partition: number }[] }[],
): Promise<Map<string, CommittedPoint>> {
  const topics = [...new Set(tasks.flatMap((task) => task.topicPartitions.map((entry) => entry.topic)))];
  const committed = new Map<string, CommittedInput>();
  if (topics.length > 0) {
    for (const entry of await admin.fetchCommittedOffsets(groupId, topics)) committed.set(`${entry.topic}:${entry.partition}`, { offset: entry.offset, metadata: entry.metadata });
  }
  const points = new Map<string, CommittedPoint>();
  for (const task of tasks) {
    const inputs: CommittedInput[] = [];
    const offsets = new Map<string, number>();
    for (const { topic, partition } of task.topicPartitions) {
      const input = committed.get(`${topic}:${partition}`) ?? { offset: -1, metadata: null };
      inputs.push(input);
      offsets.set(topic, input.offset);
    }
    points.set(task.key, { point: consistentPointOf(inputs), offsets });
  }
  return points;
}

/** Where a store's restore starts, given its checkpoint and the consistent end of its changelog. */
export function restoreStart(checkpoint: number | undefined, end: number | undefined): { readonly fromOffset: number; readonly wipe: boolean } {
  const from = checkpoint ?? 0;
  // Local state past the consistent point (a standby, or state from before this rule) cannot be rolled back in place.
  if (end !== undefined && from > end) return { fromOffset: 0, wipe: true };
  return { fromOffset: from, wipe: false };
}

/** The most record bytes put in one compensation send, as the record collector bounds its requests. */
const MAX_SEND_BYTES = 512 * 1024;
const RECORD_OVERHEAD_BYTES = 64;

/**
 * The keys one changelog partition's uncommitted tail wrote, with the timestamp of the last
 * record of each (kept on the compensating record, so time-based retention treats it alike).
 */
export class ChangelogTail {
  private readonly keys = new Map<string, { readonly key: Buffer; timestamp: number }>();
  /** Tail records seen, tombstones included. */
  records = 0;

  constructor(
    readonly store: string,
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Notes one tail record. */
  add(key: Buffer, timestamp: number): void {
    this.records++;
    const id = key.toString('latin1');
    const known = this.keys.get(id);
    if (known === undefined) this.keys.set(id, { key, timestamp });
    else if (timestamp > known.timestamp) known.timestamp = timestamp;
  }

  get size(): number {
    return this.keys.size;
  }

  /**
   * One record per key: `valueOf(key)` (what the restored store holds, in its changelog format,
   * at the value's own timestamp when it has one, as a timestamped store's records are), or a
   * tombstone at the tail's timestamp.
   */
  compensation(valueOf: (changelogKey: Buffer) => ChangelogValue | undefined): OutgoingKafkaRecord[] {
    const messages: OutgoingKafkaRecord[] = [];
    for (const { key, timestamp } of this.keys.values()) {
      const held = valueOf(key);
      const value = held?.value ?? null;
      const recordTimestamp = String(Math.max(held?.timestamp ?? timestamp, 0));
      messages.push(held?.bareValue === true ? { key, value, partition: this.partition, timestamp: recordTimestamp, headers: { [BARE_VALUE_HEADER]: '1' } } : { key, value, partition: this.partition, timestamp: recordTimestamp });
    }
    return messages;
  }
}

/**
 * Sends compensating records to one changelog partition, in order and in requests of bounded
 * size, waiting for every acknowledgement (acks = all). Returns the offset after the last one,
 * or `undefined` when there was nothing to send.
 */
export async function sendCompensation(producer: RecordSender, topic: string, messages: readonly OutgoingKafkaRecord[]): Promise<number | undefined> {
  let next: number | undefined;
  let start = 0;
  while (start < messages.length) {
    let end = start;
    let bytes = 0;
    do {
      const message = messages[end]!;
      bytes += RECORD_OVERHEAD_BYTES + (message.key?.length ?? 0) + (message.value?.length ?? 0);
      end++;
    } while (end < messages.length && bytes < MAX_SEND_BYTES);
    const batch = messages.slice(start, end);
    for (const { baseOffset } of await producer.send(topic, batch)) {
      if (Number.isFinite(baseOffset) && baseOffset >= 0) next = Math.max(next ?? 0, baseOffset + batch.length);
    }
    start = end;
  }
  return next;
}
