/** Reads, in order, what a topology wrote to one topic of a {@link TopologyTestDriver}. */
import { StreamsError } from '../errors/streams-error.js';
import type { LocalRunner } from '../processor/internal/local-runner.js';
import type { Deserializer } from '../serde/serde.js';
import type { KeyValue } from '../state/key-value-store.js';
import { TestRecord } from './test-record.js';

/**
 * An output topic of a {@link TopologyTestDriver}, as Kafka Streams' `TestOutputTopic`. Each
 * topic object keeps its own read position: two objects for one topic each read every record.
 */
export class TestOutputTopic<K, V> {
  private position = 0;

  /** @internal Use `driver.createOutputTopic`. */
  constructor(
    /** The topic read, as given to `createOutputTopic`. */
    readonly name: string,
    private readonly runner: LocalRunner,
    private readonly keyDeserializer: Deserializer<K>,
    private readonly valueDeserializer: Deserializer<V>,
  ) {}

  /** Records written and not yet read. */
  get queueSize(): number {
    return (this.runner.topics.get(this.name)?.length ?? 0) - this.position;
  }

  /** Whether every record written has been read. */
  isEmpty(): boolean {
    return this.queueSize === 0;
  }

  /**
   * Reads the next record, with timestamp and headers.
   *
   * @throws StreamsError with code `OUTPUT_EMPTY` when every record written has been read.
   */
  readRecord(): TestRecord<K, V> {
    const log = this.runner.topics.get(this.name);
    const raw = log?.[this.position];
    if (raw === undefined) throw new StreamsError('OUTPUT_EMPTY', `Output topic '${this.name}' has no more records; check isEmpty() first.`);
    this.position++;
    const key = raw.key === null ? null : this.keyDeserializer.deserialize(this.name, raw.key, raw.headers);
    const value = raw.value === null ? null : this.valueDeserializer.deserialize(this.name, raw.value, raw.headers);
    return new TestRecord<K, V>(key, value, raw.stampedBySender === true ? undefined : raw.timestamp, raw.headers);
  }

  /** Reads the next value (`null` for a tombstone); throws as {@link readRecord} does when none is left. */
  readValue(): V | null {
    return this.readRecord().value;
  }

  /** Reads the next key and value; throws as {@link readRecord} does when none is left. */
  readKeyValue(): KeyValue<K | null, V | null> {
    const record = this.readRecord();
    return { key: record.key, value: record.value };
  }

  /** Reads every unread record. */
  readRecordsToList(): TestRecord<K, V>[] {
    const records: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) records.push(this.readRecord());
    return records;
  }

  /** Reads every unread value. */
  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((record) => record.value);
  }

  /** Reads every unread key and value. */
  readKeyValuesToList(): KeyValue<K | null, V | null>[] {
    return this.readRecordsToList().map((record) => ({ key: record.key, value: record.value }));
  }

  /**
   * Reads every unread record into a map of each key's latest value, as a compacted topic would
   * keep it: a null value removes the key. Records with null keys are not allowed here.
   */
  readKeyValuesToMap(): Map<K, V> {
    const map = new Map<K, V>();
    for (const record of this.readRecordsToList()) {
      if (record.key === null) throw new StreamsError('OUTPUT_NULL_KEY', `Output topic '${this.name}' has a record with a null key, which a key-value map cannot hold; use readKeyValuesToList().`);
      if (record.value === null) map.delete(record.key);
      else map.set(record.key, record.value);
    }
    return map;
  }
}
