/**
 * `KTable.join` / `leftJoin` / `outerJoin` on the key (Kafka's `KTableKTableJoin`, `LeftJoin`,
 * `OuterJoin` and `JoinMerger`). Each side's update looks the other side up through its value
 * getter and forwards the change of the joined row; the result's timestamp is the larger of the
 * two. A merger node below both sides materializes the result when `Materialized` is given.
 */
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import { valueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { ValueJoiner } from '../../functions.js';
import type { Materialized } from '../../materialized.js';
import type { Named } from '../../named.js';
import { change, type Change } from '../change.js';
import type { KTableImpl, KTableNode } from '../ktable-impl.js';
import { storeValueGetter, type KTableValueGetter, type KTableValueGetterSupplier } from '../ktable-value-getter.js';
import { OldValues } from '../old-values.js';
import { addTableStore, sourceTopicsOf, TableForwarder, tableStoreName, type TableStore } from '../table-store.js';
import { materializedStoreName } from '../materialized-store-name.js';

export type TableJoinKind = 'inner' | 'left' | 'outer';

/** What one side of a join needs to emit a row. */
interface SideRule {
  /** The result needs this side's row (inner; the left side of a left join). */
  readonly thisRequired: boolean;
  /** The result needs the other side's row (inner; the right side of a left join). */
  readonly otherRequired: boolean;
}

class TableJoinSideProcessor<K, VThis, VOther, VR> implements Processor<K, Change<VThis>, K, Change<VR>> {
  private context!: ProcessorContext<K, Change<VR>>;
  private other!: KTableValueGetter<K, VOther>;
  private task!: TaskContext;

  constructor(
    private readonly otherGetter: KTableValueGetterSupplier<K, VOther>,
    /** Joins (this side's value, the other side's value), in the user's argument order. */
    private readonly join: (thisValue: VThis | null, otherValue: VOther | null) => VR,
    private readonly rule: SideRule,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.context = context;
    this.other = this.otherGetter.get();
    this.other.init(context as ProcessorContext<unknown, unknown>);
    this.task = internalContext(context);
  }

  process(record: StreamRecord<K, Change<VThis>>): void {
    if (record.key === null || record.key === undefined) {
      this.task.dropRecord('null-key', 'Table-table join skipped a record with a null key.');
      return;
    }
    const { newValue, oldValue } = record.value;
    const found = this.other.get(record.key);
    const otherValue = found === undefined ? null : found.value;
    if (otherValue === null && (this.rule.otherRequired || (newValue === null && oldValue === null))) return;
    const timestamp = found === undefined ? record.timestamp : Math.max(record.timestamp, found.timestamp);
    const emitsWithoutThis = !this.rule.thisRequired && otherValue !== null;
    const newResult = newValue !== null || emitsWithoutThis ? this.join(newValue, otherValue) : null;
    const oldResult = this.sendOldValues && (oldValue !== null || emitsWithoutThis) ? this.join(oldValue, otherValue) : null;
    this.context.forward(record.withValue(change(newResult ?? null, oldResult ?? null)).withTimestamp(timestamp));
  }
}

/** Passes both sides' changes on, materializing them when the join is materialized. */
class TableJoinMergeProcessor<K, VR> implements Processor<K, Change<VR>, K, Change<VR>> {
  private context!: ProcessorContext<K, Change<VR>>;
  private store: TableStore<K, VR> | undefined;
  private forwarder: TableForwarder<K, VR> | undefined;

  constructor(
    private readonly storeName: string | undefined,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.context = context;
    if (this.storeName === undefined) return;
    this.store = context.getStateStore<TableStore<K, VR>>(this.storeName);
    this.forwarder = new TableForwarder(this.store, context, this.sendOldValues);
  }

  process(record: StreamRecord<K, Change<VR>>): void {
    if (this.store === undefined) {
      this.context.forward(record);
      return;
    }
    const { newValue } = record.value;
    this.store.put(record.key, newValue === null ? null : valueAndTimestamp(newValue, record.timestamp));
    this.forwarder!.maybeForward(record);
  }
}

/** Looks the joined row up by joining both sides' rows, for a join that is not materialized. */
function joinValueGetter<K, V1, V2, VR>(
  left: KTableValueGetterSupplier<K, V1>,
  right: KTableValueGetterSupplier<K, V2>,
  joiner: ValueJoiner<V1 | null, V2 | null, VR>,
  kind: TableJoinKind,
): KTableValueGetterSupplier<K, VR> {
  return {
    storeNames: [...new Set([...left.storeNames, ...right.storeNames])],
    get: () => {
      const leftGetter = left.get();
      const rightGetter = right.get();
      return {
        init: (context) => {
          leftGetter.init(context);
          rightGetter.init(context);
        },
        get: (key) => {
          const leftFound = leftGetter.get(key);
          if (leftFound === undefined && kind !== 'outer') return undefined;
          const rightFound = rightGetter.get(key);
          if (rightFound === undefined && (kind === 'inner' || leftFound === undefined)) return undefined;
          const value = joiner(leftFound?.value ?? null, rightFound?.value ?? null);
          if (value === null || value === undefined) return undefined;
          return valueAndTimestamp(value, Math.max(leftFound?.timestamp ?? -1, rightFound?.timestamp ?? -1));
        },
      };
    },
  };
}

/** Adds a key join of `left` and `right` and returns the joined table's node. */
export function joinTables<K, V1, V2, VR>(
  left: KTableImpl<K, V1>,
  right: KTableImpl<K, V2>,
  joiner: ValueJoiner<V1 | null, V2 | null, VR>,
  kind: TableJoinKind,
  named: Named | undefined,
  materialized: Materialized<K, VR> | undefined,
): KTableNode<K, VR> {
  const topology = left.topology;
  // Kafka Streams' order and prefixes, for every kind of join: the store, the merge node, then the two sides.
  const storeName = materialized === undefined ? undefined : tableStoreName(topology, materialized, 'KTABLE-MERGE-');
  const mergeName = topology.nameOr(named?.name, 'KTABLE-MERGE-');
  const thisName = topology.nameOr(named === undefined ? undefined : `${named.name}-join-this`, 'KTABLE-JOINTHIS-');
  const otherName = topology.nameOr(named === undefined ? undefined : `${named.name}-join-other`, 'KTABLE-JOINOTHER-');
  const leftRule: SideRule = { thisRequired: kind !== 'outer', otherRequired: kind === 'inner' };
  const rightRule: SideRule = { thisRequired: kind === 'inner', otherRequired: kind !== 'outer' };
  // An outer side emits for rows the other side lacks, so it must see its own deletes as changes
  // of a row that existed: its old values (Kafka's doJoin asks for them the same way).
  if (kind !== 'inner') left.enableSendingOldValues(true);
  if (kind === 'outer') right.enableSendingOldValues(true);
  const oldValues = new OldValues();
  topology.addProcessor(thisName, () => new TableJoinSideProcessor<K, V1, V2, VR>(right.valueGetterSupplier, (value1, value2) => joiner(value1, value2), leftRule, oldValues.sent), [left.nodeName]);
  topology.addProcessor(otherName, () => new TableJoinSideProcessor<K, V2, V1, VR>(left.valueGetterSupplier, (value2, value1) => joiner(value1, value2), rightRule, oldValues.sent), [right.nodeName]);
  topology.connectProcessorAndStateStores([thisName], right.valueGetterSupplier.storeNames);
  topology.connectProcessorAndStateStores([otherName], left.valueGetterSupplier.storeNames);
  topology.addProcessor(mergeName, () => new TableJoinMergeProcessor<K, VR>(storeName, oldValues.sent), [thisName, otherName]);
  // Old joined rows come from both sides' old rows: a request for them goes up both sides, forced.
  const enableOldValues = (): boolean => {
    left.enableSendingOldValues(true);
    right.enableSendingOldValues(true);
    oldValues.sent = true;
    return true;
  };
  topology.addCopartitionGroup([...sourceTopicsOf(topology, left.nodeName), ...sourceTopicsOf(topology, right.nodeName)]);
  const keySerde = materialized?.keySerde ?? left.keySerde;
  if (storeName === undefined) {
    const getters = (): KTableValueGetterSupplier<K, VR> => joinValueGetter(left.valueGetterSupplier, right.valueGetterSupplier, joiner, kind);
    return { nodeName: mergeName, keySerde, valueSerde: undefined, queryableStoreName: undefined, makeValueGetters: getters, enableOldValues };
  }
  addTableStore<K, VR>(topology, mergeName, { storeName, materialized, keySerde: left.keySerde, valueSerde: undefined });
  const getters = (): KTableValueGetterSupplier<K, VR> => storeValueGetter(storeName);
  return { nodeName: mergeName, keySerde, valueSerde: materialized?.valueSerde, queryableStoreName: materializedStoreName(materialized), makeValueGetters: getters, enableOldValues };
}
