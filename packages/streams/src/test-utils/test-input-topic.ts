/** Pipes typed records into a topic of a {@link TopologyTestDriver}, serialized as Kafka would. */
import { Headers } from '../processor/headers.js';
import type { LocalRunner } from '../processor/internal/local-runner.js';
import type { Serializer } from '../serde/serde.js';
import { ConfigError } from '../errors/streams-error.js';
import { TestRecord } from './test-record.js';

/** Where an input topic's timestamps start and how they advance when a record gives none. */
export interface InputTopicOptions {
  /** Timestamp of the first record piped without one. Defaults to the driver's wall-clock start. */
  readonly startTimestamp?: number;
  /** Added after each record piped without a timestamp. Defaults to 0. */
  readonly autoAdvanceMs?: number;
}

/**
 * An input topic of a {@link TopologyTestDriver}, as Kafka Streams' `TestInputTopic`: each pipe
 * serializes the record and runs it, and everything it leads to, before returning.
 */
export class TestInputTopic<K, V> {
  private nextTimestamp: number;
  private readonly autoAdvanceMs: number;

  /** @internal Use `driver.createInputTopic`. */
  constructor(
    /** The topic piped into, as given to `createInputTopic`. */
    readonly name: string,
    private readonly runner: LocalRunner,
    private readonly keySerializer: Serializer<K>,
    private readonly valueSerializer: Serializer<V>,
    startTimestamp: number,
    options: InputTopicOptions,
  ) {
    this.nextTimestamp = options.startTimestamp ?? startTimestamp;
    this.autoAdvanceMs = options.autoAdvanceMs ?? 0;
    if (!Number.isFinite(this.autoAdvanceMs) || this.autoAdvanceMs < 0) throw new ConfigError(`Option 'autoAdvanceMs' must be a non-negative number, got ${this.autoAdvanceMs}.`);
  }

  /** Pipes one record. Without a timestamp, the topic's own clock gives one. */
  pipeInput(key: K | null, value: V | null, timestamp?: number): void;
  /** Pipes one record built with {@link TestRecord} (for headers). */
  pipeInput(record: TestRecord<K, V>): void;
  pipeInput(keyOrRecord: K | null | TestRecord<K, V>, value?: V | null, timestamp?: number): void {
    if (keyOrRecord instanceof TestRecord) {
      this.pipeRecord(keyOrRecord);
      return;
    }
    this.pipeParts(keyOrRecord, value === undefined ? null : value, timestamp, new Headers());
  }

  /** Pipes a record with a null key. */
  pipeValue(value: V | null, timestamp?: number): void {
    this.pipeRecord(new TestRecord<K, V>(null, value, timestamp));
  }

  /** Pipes several `[key, value]` or `[key, value, timestamp]` entries, in order. */
  pipeKeyValueList(entries: Iterable<readonly [K | null, V | null] | readonly [K | null, V | null, number]>): void {
    for (const entry of entries) this.pipeRecord(new TestRecord<K, V>(entry[0], entry[1], entry[2]));
  }

  /** Pipes several values with null keys. */
  pipeValueList(values: Iterable<V | null>): void {
    for (const value of values) this.pipeValue(value);
  }

  /** Pipes several records, in order. */
  pipeRecordList(records: Iterable<TestRecord<K, V>>): void {
    for (const record of records) this.pipeRecord(record);
  }

  /** Moves the topic's clock forward for records piped without a timestamp. */
  advanceTime(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ConfigError(`advanceTime takes a non-negative number of milliseconds, got ${ms}.`);
    this.nextTimestamp += ms;
  }

  private pipeRecord(record: TestRecord<K, V>): void {
    this.pipeParts(record.key, record.value, record.timestamp, record.headers.copy());
  }

  /** `headers` must be the topic's own: serializers may add to them. */
  private pipeParts(key: K | null, value: V | null, timestamp: number | undefined, headers: Headers): void {
    if (timestamp === undefined) {
      timestamp = this.nextTimestamp;
      this.nextTimestamp += this.autoAdvanceMs;
    }
    const keyBytes = key === null || key === undefined ? null : this.keySerializer.serialize(this.name, key, headers);
    const valueBytes = value === null || value === undefined ? null : this.valueSerializer.serialize(this.name, value, headers);
    this.runner.pipe(this.name, keyBytes, valueBytes, headers, timestamp);
  }
}
