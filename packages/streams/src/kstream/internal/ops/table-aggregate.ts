/**
 * `KGroupedTable.aggregate` / `reduce` / `count` (Kafka's `KTableAggregate` and `KTableReduce`):
 * each change read back from the grouping's repartition topic first subtracts the old row from
 * its group's aggregate, then adds the new row. A group is never removed by subtraction (a count
 * goes to 0 and stays), only when a reducer returns null. The result's timestamp is the larger of
 * the record's and the aggregate's.
 */
import { DeserializationError, StreamsError } from '../../../errors/streams-error.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { Serde } from '../../../serde/serde.js';
import { valueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { Aggregator, Initializer, Reducer } from '../../functions.js';
import { change, type Change } from '../change.js';
import { decodeChange } from '../change-encoding.js';
import type { OldValues } from '../old-values.js';
import { resolveSerde } from '../resolve-serde.js';
import { TableForwarder, valueOrNull, type TableStore } from '../table-store.js';

/** How a group's aggregate absorbs a row: `subtract` then `add`, either of which may be absent. */
export interface TableAggregation<K, V, VA> {
  /** The aggregate after taking `value` out of `aggregate`. */
  subtract(key: K, value: V, aggregate: VA): VA | null;
  /** The aggregate after putting `value` into `aggregate` (`null`: the group had none). */
  add(key: K, value: V, aggregate: VA | null): VA | null;
}

export function aggregation<K, V, VA>(initializer: Initializer<VA>, adder: Aggregator<K, V, VA>, subtractor: Aggregator<K, V, VA>): TableAggregation<K, V, VA> {
  return {
    subtract: (key, value, aggregate) => subtractor(key, value, aggregate),
    add: (key, value, aggregate) => adder(key, value, aggregate ?? initializer()),
  };
}

export function reduction<K, V>(adder: Reducer<V>, subtractor: Reducer<V>): TableAggregation<K, V, V> {
  return {
    subtract: (_key, value, aggregate) => subtractor(aggregate, value),
    add: (_key, value, aggregate) => (aggregate === null ? value : adder(aggregate, value)),
  };
}

export interface TableAggregateOptions<V> {
  readonly storeName: string;
  readonly valueSerde: Serde<V> | undefined;
  readonly topic: string;
  /** Whether the result's changes carry the old aggregate (a downstream operator asked). */
  readonly oldValues: OldValues;
}

class TableAggregateProcessor<K, V, VA> implements Processor<K, Buffer, K, Change<VA>> {
  private store!: TableStore<K, VA>;
  private forwarder!: TableForwarder<K, VA>;
  private valueSerde!: Serde<V>;
  private topic!: string;

  constructor(
    private readonly groupAggregation: TableAggregation<K, V, VA>,
    private readonly options: TableAggregateOptions<V>,
  ) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.store = context.getStateStore<TableStore<K, VA>>(this.options.storeName);
    this.forwarder = new TableForwarder(this.store, context, this.options.oldValues.sent);
    this.valueSerde = resolveSerde(context, this.options.valueSerde, 'value', `KGroupedTable aggregation '${this.options.storeName}'`);
    this.topic = `${context.applicationId}-${this.options.topic}`;
  }

  process(record: StreamRecord<K, Buffer>): void {
    // As Kafka's KTableAggregate and KTableReduce, neither is dropped: the groupBy writing this topic sends neither.
    if (record.key === null || record.key === undefined) throw nullKeyError(this.options.storeName, this.topic);
    if (record.value === null) throw new DeserializationError(`A record on '${this.topic}' has a null value, not a table change as KTable.groupBy writes it; only the groupBy's own repartition processor should write to this topic.`);
    const { newValue, oldValue } = decodeChange(this.valueSerde, this.topic, record.value, record.headers);
    const stored = this.store.get(record.key);
    const oldAggregate = valueOrNull(stored);
    let timestamp = record.timestamp;
    let aggregate = oldAggregate;
    if (oldValue !== null && aggregate !== null) {
      aggregate = this.groupAggregation.subtract(record.key, oldValue, aggregate);
      timestamp = Math.max(timestamp, stored!.timestamp);
    }
    if (newValue !== null) {
      aggregate = this.groupAggregation.add(record.key, newValue, aggregate);
      if (stored !== undefined) timestamp = Math.max(timestamp, stored.timestamp);
    }
    aggregate ??= null;
    this.store.put(record.key, aggregate === null ? null : valueAndTimestamp(aggregate, timestamp));
    this.forwarder.maybeForward(record.withValue(change(aggregate, oldAggregate)).withTimestamp(timestamp));
  }
}

function nullKeyError(storeName: string, topic: string): StreamsError {
  return new StreamsError(
    'NULL_KEY_UNEXPECTED',
    `The KGroupedTable aggregation of store '${storeName}' read a record with a null key from '${topic}' (Kafka Streams throws here too): the KTable.groupBy writing this topic never sends one, so only the groupBy's own repartition processor should write to it.`,
  );
}

export function tableAggregateProcessor<K, V, VA>(
  groupAggregation: TableAggregation<K, V, VA>,
  options: TableAggregateOptions<V>,
): ProcessorSupplier<K, Buffer, K, Change<VA>> {
  return () => new TableAggregateProcessor(groupAggregation, options);
}
