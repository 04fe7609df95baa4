/**
 * Stream-global-table joins (inner, left): each stream record looks up the global table's row
 * for the key its key selector computes. The global table holds every partition, so the stream
 * needs no repartition and no co-partitioning.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { KeyValueMapper, ValueJoiner } from '../../functions.js';
import type { KStream } from '../../kstream.js';
import type { Named } from '../../named.js';
import type { KStreamImpl } from '../kstream-impl.js';
import type { KTableValueGetter, KTableValueGetterSupplier } from '../ktable-value-getter.js';

class StreamGlobalTableJoinProcessor<K, V, GK, GV, VR> implements Processor<K, V, K, VR> {
  private context!: ProcessorContext<K, VR>;
  private task!: TaskContext;
  private readonly table: KTableValueGetter<GK, GV>;

  constructor(
    getterSupplier: KTableValueGetterSupplier<GK, GV>,
    private readonly keySelector: KeyValueMapper<K, V, GK>,
    private readonly joiner: ValueJoiner<V, GV | null, VR>,
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
    // A null value is "no record" in a stream, and would read as a missing row to a left joiner.
    if (record.value === null || record.value === undefined) {
      this.task.metrics.recordDropped('null-value');
      return;
    }
    // The stream's own key may be null here: only the computed lookup key has to exist.
    const lookupKey = this.keySelector(record.key, record.value);
    if (lookupKey === null || lookupKey === undefined) {
      this.task.metrics.recordDropped('null-key');
      return;
    }
    const row = this.table.get(lookupKey);
    if (row === undefined) {
      if (this.leftJoin) this.context.forward(record.withValue(this.joiner(record.value, null)));
      return;
    }
    this.context.forward(record.withValue(this.joiner(record.value, row.value)));
  }
}

function streamGlobalTableJoinProcessor<K, V, GK, GV, VR>(
  getterSupplier: KTableValueGetterSupplier<GK, GV>,
  keySelector: KeyValueMapper<K, V, GK>,
  joiner: ValueJoiner<V, GV | null, VR>,
  leftJoin: boolean,
): ProcessorSupplier<K, V, K, VR> {
  return () => new StreamGlobalTableJoinProcessor(getterSupplier, keySelector, joiner, leftJoin);
}

/** Adds a stream-global-table join and returns the joined stream, keyed as the input stream. */
export function joinStreamToGlobalTable<K, V, GK, GV, VR>(
  stream: KStreamImpl<K, V>,
  getterSupplier: KTableValueGetterSupplier<GK, GV>,
  keySelector: KeyValueMapper<K, V, GK>,
  joiner: ValueJoiner<V, GV | null, VR>,
  named: Named | undefined,
  leftJoin: boolean,
): KStream<K, VR> {
  const operator = leftJoin ? 'leftJoin' : 'join';
  if (typeof keySelector !== 'function') throw new TopologyError(`${operator}() with a global table takes a key selector function as its second argument.`);
  if (typeof joiner !== 'function') throw new TopologyError(`${operator}() with a global table takes a ValueJoiner function as its third argument.`);
  const topology = stream.topology;
  const name = named?.name ?? topology.newName(leftJoin ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-');
  const processor = streamGlobalTableJoinProcessor(getterSupplier, keySelector, joiner, leftJoin);
  // The key is unchanged, so the stream keeps whatever partitioning it had (or lacked).
  const result = stream.addChild<K, VR>(processor, 'KSTREAM-JOIN-', { name }, stream.keySerde, undefined, stream.repartitionRequired);
  if (getterSupplier.storeNames.length > 0) topology.connectProcessorAndStateStores([name], getterSupplier.storeNames);
  return result;
}
