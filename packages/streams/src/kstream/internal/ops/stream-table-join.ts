/**
 * Stream-table joins (inner, left; Kafka's `KStreamKTableJoin`): each stream record looks up the
 * table's current row for its key. Only the stream side triggers output; table updates change what
 * later records find. As in Kafka Streams 3.7+ (KIP-962), a left join emits a record with a null
 * key joined with null.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { KeyValueMapper, ValueJoiner } from '../../functions.js';
import type { Joined } from '../../joined.js';
import type { KStream } from '../../kstream.js';
import type { KStreamImpl } from '../kstream-impl.js';
import type { KTableImpl } from '../ktable-impl.js';
import type { KTableValueGetter, KTableValueGetterSupplier } from '../ktable-value-getter.js';
import { copartitionSourceTopics } from './join-support.js';

/**
 * Looks each stream record up in a table and joins it: by the record's key (stream-table joins),
 * or by the key a selector computes (stream-global-table joins, where the record's own key may
 * be null).
 */
class StreamTableLookupProcessor<K, V, LK, VT, VR> implements Processor<K, V, K, VR> {
  private context!: ProcessorContext<K, VR>;
  private task!: TaskContext;
  private readonly table: KTableValueGetter<LK, VT>;

  constructor(
    getterSupplier: KTableValueGetterSupplier<LK, VT>,
    /** `undefined`: look up by the record's key. */
    private readonly keySelector: KeyValueMapper<K, V, LK> | undefined,
    private readonly joiner: ValueJoiner<V, VT | null, VR>,
    private readonly leftJoin: boolean,
  ) {
    this.table = getterSupplier.get();
  }

  init(context: ProcessorContext<K, VR>): void {
    this.context = context;
    this.task = internalContext(context);
    this.table.init(context as ProcessorContext<unknown, unknown>);
  }

  process(record: StreamRecord<K, V>): void {
    const selector = this.keySelector;
    const value = record.value;
    // Kafka maps the key before it looks at the value, so a selector sees null values too (it calls
    // the selector twice per record; once is enough here, as its result is the same).
    const lookupKey = selector === undefined ? (record.key as unknown as LK) : selector(record.key, value);
    // A null value is "no record" in a stream, and would read as a missing row to a left joiner.
    if (value === null || value === undefined) {
      this.task.dropRecord('null-value', 'Stream-table join skipped a record with a null value.');
      return;
    }
    const noLookupKey = lookupKey === null || lookupKey === undefined;
    // KIP-962: a left join keeps a record with a null key (joined with whatever its lookup key finds);
    // otherwise a record without a lookup key cannot join and is dropped.
    if (noLookupKey && !(this.leftJoin && (record.key === null || record.key === undefined))) {
      this.task.dropRecord('null-key', 'Stream-table join skipped a record with a null join key.');
      return;
    }
    const row = noLookupKey ? undefined : this.table.get(lookupKey);
    if (row === undefined) {
      if (this.leftJoin) this.context.forward(record.withValue(this.joiner(value, null)));
      return;
    }
    this.context.forward(record.withValue(this.joiner(value, row.value)));
  }
}

/** The processor of a stream-table (no selector) or stream-global-table (with one) join. */
export function streamTableLookupProcessor<K, V, LK, VT, VR>(
  getterSupplier: KTableValueGetterSupplier<LK, VT>,
  keySelector: KeyValueMapper<K, V, LK> | undefined,
  joiner: ValueJoiner<V, VT | null, VR>,
  leftJoin: boolean,
): ProcessorSupplier<K, V, K, VR> {
  return () => new StreamTableLookupProcessor(getterSupplier, keySelector, joiner, leftJoin);
}

/**
 * Adds a stream-table join and returns the joined stream. The stream is repartitioned first if
 * its key may have changed; its topics and the table's must be co-partitioned.
 */
export function joinStreamToTable<K, V, VT, VR>(
  stream: KStreamImpl<K, V>,
  table: KTableImpl<K, VT>,
  joiner: ValueJoiner<V, VT | null, VR>,
  joined: Joined<K, V, VT> | undefined,
  leftJoin: boolean,
): KStream<K, VR> {
  const operator = leftJoin ? 'leftJoin' : 'join';
  if (typeof joiner !== 'function') throw new TopologyError(`${operator}() takes a ValueJoiner function as its second argument.`);
  if (table.topology !== stream.topology) throw new TopologyError(`${operator}() takes a table built by the same StreamsBuilder as the stream.`);
  const options: Joined<K, V, VT> = joined ?? {};
  if (options.gracePeriodMs !== undefined && options.gracePeriodMs !== 0) {
    throw new TopologyError(
      `Joined option 'gracePeriodMs' needs a versioned table, which Tributary does not support yet; leave it unset (or 0) to join with the table as it is.`,
    );
  }
  const topology = stream.topology;
  const keySerde = options.keySerde ?? stream.keySerde ?? table.keySerde;
  // As in Kafka Streams: repartitioned first, through `<Joined name>-repartition` or one named after
  // the stream's own node, and only then is the join node named.
  const input = stream.repartitionRequired ? stream.repartitionThrough(options.name ?? stream.nodeName, keySerde, options.valueSerde ?? stream.valueSerde, undefined) : stream;
  const name = topology.nameOr(options.name, leftJoin ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-');
  topology.addCopartitionGroup([...copartitionSourceTopics(topology, input.nodeName), ...copartitionSourceTopics(topology, table.nodeName)]);
  const getterSupplier = table.valueGetterSupplier;
  const result = input.addNamedChild<K, VR>(name, streamTableLookupProcessor<K, V, K, VT, VR>(getterSupplier, undefined, joiner, leftJoin), keySerde, undefined, false);
  if (getterSupplier.storeNames.length > 0) topology.connectProcessorAndStateStores([name], getterSupplier.storeNames);
  // A left join keeps null keys (KIP-962), so a repartition above it keeps them too, as in Kafka Streams.
  if (leftJoin) topology.markNullKeyJoin(name);
  return result;
}
