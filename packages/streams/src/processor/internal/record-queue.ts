/**
 * The buffered input of one source partition of a task. The head record is deserialized and
 * given its event time as soon as it is at the head, so the task can pick the partition whose
 * next record is oldest. Bad records (undeserializable, or without a usable event time) are
 * handed to the deserialization handler and skipped here, before they reach any processor or
 * move stream time.
 */
import { DeserializationError, InvalidTimestampError, StreamsError } from '../../errors/streams-error.js';
import type { Deserializer } from '../../serde/serde.js';
import type { ConsumedRecord } from '../record-collector.js';
import type { ConsumedRecordView, TimestampExtractor } from '../timestamp-extractor.js';
import type { DropReason } from './task-metrics.js';
import type { TaskContext } from './task-context.js';
import type { ProcessorNode } from './processor-node.js';
import { RecordList } from './record-list.js';

/** Reused for every record: extractors must not keep it. */
class MutableRecordView implements ConsumedRecordView<unknown, unknown> {
  topic = '';
  partition = 0;
  offset = 0;
  key: unknown = null;
  value: unknown = null;
  timestamp = 0;

  constructor(private readonly context: TaskContext) {}

  /** Read from the task's clock only by the extractors that ask. */
  get wallClockTimeMs(): number {
    return this.context.currentSystemTimeMs();
  }
}

function isInvalidTimestamp(error: unknown): error is InvalidTimestampError {
  return StreamsError.isInstance(error) && error.code === 'INVALID_TIMESTAMP';
}

export class RecordQueue {
  /** Records added and not yet at the head, from {@link next} on. */
  private readonly buffer = new RecordList<ConsumedRecord>();
  private next = 0;
  private readonly view: MutableRecordView;
  /** The largest timestamp polled from this partition, or -1. */
  partitionTime = -1;

  // The deserialized head, valid while `head !== undefined`.
  head: ConsumedRecord | undefined;
  headKey: unknown = null;
  headValue: unknown = null;
  headTimestamp = -1;

  constructor(
    readonly topic: string,
    readonly source: ProcessorNode,
    private readonly keyDeserializer: Deserializer<unknown>,
    private readonly valueDeserializer: Deserializer<unknown>,
    private readonly timestampExtractor: TimestampExtractor<any, any>,
    private readonly context: TaskContext,
  ) {
    this.view = new MutableRecordView(context);
  }

  /** Records buffered, the head included. */
  get size(): number {
    return this.buffer.length - this.next + (this.head === undefined ? 0 : 1);
  }

  addOne(record: ConsumedRecord): void {
    this.buffer.push(record);
    if (this.head === undefined) this.advanceHead();
  }

  add(records: readonly ConsumedRecord[]): void {
    for (let index = 0; index < records.length; index++) this.buffer.push(records[index]!);
    if (this.head === undefined) this.advanceHead();
  }

  /** Consumes the head (after the caller has read it) and moves to the next valid record. */
  poll(): void {
    if (this.headTimestamp > this.partitionTime) this.partitionTime = this.headTimestamp;
    this.head = undefined;
    this.advanceHead();
  }

  /** Drops everything buffered (when the task's partition is revoked). */
  clear(): void {
    this.buffer.clear();
    this.next = 0;
    this.head = undefined;
  }

  private advanceHead(): void {
    const buffer = this.buffer;
    while (this.next < buffer.length) {
      const raw = buffer.at(this.next++);
      let key: unknown;
      let value: unknown;
      try {
        key = raw.key === null ? null : this.keyDeserializer.deserialize(raw.topic, raw.key, raw.headers);
        value = raw.value === null ? null : this.valueDeserializer.deserialize(raw.topic, raw.value, raw.headers);
      } catch (error) {
        this.reject(raw, error, 'deserialization-error');
        continue;
      }
      const view = this.view;
      view.topic = raw.topic;
      view.partition = raw.partition;
      view.offset = raw.offset;
      view.key = key;
      view.value = value;
      view.timestamp = raw.timestamp;
      let timestamp: number;
      try {
        timestamp = this.timestampExtractor(view, this.partitionTime);
      } catch (error) {
        // The extractor's way to reject a record; anything else it throws is a bug, and fatal (as in Kafka Streams).
        if (!isInvalidTimestamp(error)) throw error;
        this.reject(raw, error, 'invalid-timestamp');
        continue;
      }
      if (typeof timestamp !== 'number' || !(timestamp >= 0)) {
        const error = new InvalidTimestampError(
          `Record from ${raw.topic}-${raw.partition} at offset ${raw.offset} has invalid timestamp ${String(timestamp)}: event time must be a non-negative number of epoch milliseconds. Give the source a timestampExtractor that finds the record's time.`,
        );
        this.reject(raw, error, 'invalid-timestamp');
        continue;
      }
      this.head = raw;
      this.headKey = key;
      this.headValue = value;
      this.headTimestamp = timestamp;
      this.compact();
      return;
    }
    buffer.clear();
    this.next = 0;
  }

  private compact(): void {
    if (this.next > 4096 && this.next * 2 > this.buffer.length) {
      this.buffer.removeFirst(this.next);
      this.next = 0;
    }
  }

  /** Hands a record that cannot be processed (bad bytes, no usable time) to the deserialization handler, and counts it. */
  private reject(raw: ConsumedRecord, error: unknown, reason: DropReason): void {
    const context = this.context;
    const cause = error instanceof Error ? error : new Error(String(error));
    context.topic = raw.topic;
    context.partition = raw.partition;
    context.offset = raw.offset;
    context.sourceKey = raw.key;
    context.sourceValue = raw.value;
    context.sourceHeaders = raw.headers;
    context.sourceTimestamp = raw.timestamp;
    const response = context.config.deserializationExceptionHandler(context.errorContext(this.source.name), cause);
    context.applyResponse(response, () =>
      reason === 'invalid-timestamp'
        ? new InvalidTimestampError(`${cause.message} The deserialization handler chose to fail; configure deserializationExceptionHandler to skip or dead-letter such records.`, { cause })
        : new DeserializationError(
            `Could not deserialize the record from ${raw.topic}-${raw.partition} at offset ${raw.offset}: ${cause.message}. The deserialization handler chose to fail; check the source's serdes or configure deserializationExceptionHandler.`,
            { cause },
          ),
    );
    context.metrics.recordDropped(reason);
    // The dropped record is no longer being processed; later failures must not report its bytes.
    context.topic = undefined;
  }
}
