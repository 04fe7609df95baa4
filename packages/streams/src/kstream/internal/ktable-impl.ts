/**
 * The DSL's table: a node whose processors forward `Change`s, plus the means to look its rows up
 * by key (a value getter) and, when materialized, the store that holds them.
 */
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import type { Serde } from '../../serde/serde.js';
import { TopologyError } from '../../errors/streams-error.js';
import type { KStream } from '../kstream.js';
import type { KTable } from '../ktable.js';
import type { Named } from '../named.js';
import type { KStreamImpl } from './kstream-impl.js';
import type { KeyValue } from '../../state/key-value-store.js';
import type { KeyValueMapper, Predicate, ValueMapper } from '../functions.js';
import type { Grouped } from '../grouped.js';
import type { Materialized } from '../materialized.js';
import type { TableJoined } from '../joined.js';
import type { KGroupedTableImpl } from './kgrouped-table-impl.js';
import { checkTableFunction } from './check-function.js';
import { foreignKeyJoin } from './ops/foreign-key-join.js';
import { joinTables, type TableJoinKind } from './ops/table-table-join.js';
import { tableToStream } from './ops/to-stream.js';
import { filterTable } from './ops/table-filter.js';
import { mapTableValues } from './ops/table-map-values.js';
import type { KTableValueGetterSupplier } from './ktable-value-getter.js';
import type { EnableSendingOldValues } from './old-values.js';
import type { Suppressed } from '../suppressed.js';
import { suppressTable } from './ops/suppress.js';
import { tableConversions } from './table-conversions.js';
import type { Windowing } from './windowed-kstream-impl.js';

/**
 * A table node an operator added to the topology, before it is wrapped in a `KTableImpl`: the
 * operators return this, and only the `*-impl` DSL classes construct tables, so no operator file
 * imports them (which would make an import cycle: the DSL classes import the operators).
 */
export interface KTableNode<K, V> {
  readonly nodeName: string;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  /** The store holding the table's rows, when it is materialized. */
  readonly queryableStoreName: string | undefined;
  /** Makes the lookups into the table (see the `KTableImpl` constructor). */
  readonly makeValueGetters: () => KTableValueGetterSupplier<K, V>;
  /** The node's answer to a downstream request for old values (see `old-values.ts`). */
  readonly enableOldValues: EnableSendingOldValues;
  /** For windowed aggregation results, and tables that keep their windows (`suppress`). */
  readonly windowing?: Windowing;
}

export class KTableImpl<K, V> implements KTable<K, V> {
  /** Wraps a table node an operator added to `topology`. */
  static of<K, V>(topology: InternalTopologyBuilder, node: KTableNode<K, V>): KTableImpl<K, V> {
    const table = new KTableImpl<K, V>(topology, node.nodeName, node.keySerde, node.valueSerde, node.queryableStoreName, node.makeValueGetters, node.enableOldValues);
    if (node.windowing !== undefined) table.windowing = node.windowing;
    return table;
  }

  private valueGetters: KTableValueGetterSupplier<K, V> | undefined;

  constructor(
    readonly topology: InternalTopologyBuilder,
    readonly nodeName: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    /** The store holding this table's rows, when it is materialized. */
    readonly queryableStoreName: string | undefined,
    /**
     * Makes the lookups into this table; called once, when a downstream operator first needs
     * them (a source table that is not materialized materializes then, as in Kafka Streams).
     */
    private readonly makeValueGetters: () => KTableValueGetterSupplier<K, V>,
    /** This node's answer to a downstream request for old values (see `old-values.ts`). */
    private readonly enableOldValues: EnableSendingOldValues,
  ) {}

  /** Lookups into this table by key, for joins; materializes a source table that is not yet. */
  get valueGetterSupplier(): KTableValueGetterSupplier<K, V> {
    this.valueGetters ??= this.makeValueGetters();
    return this.valueGetters;
  }

  /**
   * Asks this table to forward old values with its changes (Kafka's `enableSendingOldValues`),
   * for a downstream operator that needs them; `forceMaterialization` lets a source table
   * materialize to know them. Returns whether it will send them.
   */
  enableSendingOldValues(forceMaterialization: boolean): boolean {
    return this.enableOldValues(forceMaterialization);
  }

  /** For windowed aggregation results: how their windows close (read by `suppress`). */
  windowing: Windowing | undefined;

  /** Holds updates back: each window's final result, or a key's latest update after a time. */
  suppress(suppressed: Suppressed): KTableImpl<K, V> {
    return KTableImpl.of(this.topology, suppressTable(this, suppressed));
  }

  filter(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTableImpl<K, V> {
    return KTableImpl.of(this.topology, filterTable(this, checkTableFunction(predicate, 'filter'), true, named, materialized));
  }

  filterNot(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTableImpl<K, V> {
    return KTableImpl.of(this.topology, filterTable(this, checkTableFunction(predicate, 'filterNot'), false, named, materialized));
  }

  mapValues<VR>(mapper: ValueMapper<V, VR, K>, named?: Named, materialized?: Materialized<K, VR>): KTableImpl<K, VR> {
    return KTableImpl.of(this.topology, mapTableValues(this, checkTableFunction(mapper, 'mapValues'), named, materialized));
  }

  groupBy<KR, VR>(selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped: Grouped<KR, VR> = {}): KGroupedTableImpl<KR, VR> {
    return tableConversions(this.topology).groupedTable(this, checkTableFunction(selector, 'groupBy'), grouped);
  }

  /** A join on the key, or a foreign-key join when given an extractor and a joiner (see `KTable`). */
  join(...args: unknown[]): KTableImpl<K, any> {
    return KTableImpl.of(this.topology, dispatchTableJoin(this, 'inner', args));
  }

  leftJoin(...args: unknown[]): KTableImpl<K, any> {
    return KTableImpl.of(this.topology, dispatchTableJoin(this, 'left', args));
  }

  outerJoin(...args: unknown[]): KTableImpl<K, any> {
    return KTableImpl.of(this.topology, dispatchTableJoin(this, 'outer', args));
  }

  toStream<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>;
  toStream(named?: Named): KStreamImpl<K, V>;
  toStream<KR>(mapperOrNamed?: KeyValueMapper<K, V, KR> | Named, named?: Named): KStreamImpl<K, V> | KStream<KR, V> {
    if (typeof mapperOrNamed === 'function') return this.addToStream(named).selectKey(mapperOrNamed as KeyValueMapper<K, V, KR>);
    if (named !== undefined) {
      throw new TopologyError('toStream() takes a key mapper before its Named: toStream(named) or toStream((key, value) => newKey, named).');
    }
    return this.addToStream(mapperOrNamed);
  }

  private addToStream(named: Named | undefined): KStreamImpl<K, V> {
    return tableConversions(this.topology).stream(this.topology, tableToStream(this, named));
  }
}

function checkTable(self: KTableImpl<any, any>, other: unknown, operator: string): KTableImpl<any, any> {
  const candidate = other as KTableImpl<any, any> | null;
  if (candidate === null || typeof candidate !== 'object' || candidate.topology !== self.topology || candidate.valueGetterSupplier === undefined) {
    throw new TopologyError(`KTable.${operator}() takes a table built by the same StreamsBuilder.`);
  }
  return candidate;
}

/**
 * `join` / `leftJoin` / `outerJoin`: a foreign-key join when the second and third arguments are
 * both functions (extractor, joiner), else a join on the key.
 */
function dispatchTableJoin(self: KTableImpl<any, any>, kind: TableJoinKind, args: readonly unknown[]): KTableNode<any, any> {
  const operator = kind === 'inner' ? 'join' : `${kind}Join`;
  const other = checkTable(self, args[0], operator);
  if (typeof args[1] === 'function' && typeof args[2] === 'function') {
    if (kind === 'outer') throw new TopologyError('KTable.outerJoin() has no foreign-key form; use join or leftJoin with a foreign-key extractor.');
    return foreignKeyJoin(self, other, args[1] as (value: unknown) => unknown, args[2] as (left: unknown, right: unknown) => unknown, kind, args[3] as TableJoined | undefined, args[4] as Materialized<any, any> | undefined);
  }
  const joiner = checkTableFunction(args[1] as (left: unknown, right: unknown) => unknown, operator);
  return joinTables(self, other, joiner, kind, args[2] as Named | undefined, args[3] as Materialized<any, any> | undefined);
}
