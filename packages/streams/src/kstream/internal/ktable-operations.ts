/**
 * The `KTable` operators, kept out of `ktable-impl.ts` so the class stays a list of one-line
 * methods: argument checks and the dispatch between key joins and foreign-key joins.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { TableJoined } from '../joined.js';
import type { Materialized } from '../materialized.js';
import type { Named } from '../named.js';
import type { KTableImpl, KTableNode } from './ktable-impl.js';
import { foreignKeyJoin } from './ops/foreign-key-join.js';
import { joinTables, type TableJoinKind } from './ops/table-table-join.js';

export function checkTableFunction<F>(candidate: F, operator: string): F {
  if (typeof candidate !== 'function') throw new TopologyError(`KTable.${operator}() takes a function, got ${candidate === null ? 'null' : typeof candidate}.`);
  return candidate;
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
export function dispatchTableJoin(self: KTableImpl<any, any>, kind: TableJoinKind, args: readonly unknown[]): KTableNode<any, any> {
  const operator = kind === 'inner' ? 'join' : `${kind}Join`;
  const other = checkTable(self, args[0], operator);
  if (typeof args[1] === 'function' && typeof args[2] === 'function') {
    if (kind === 'outer') throw new TopologyError('KTable.outerJoin() has no foreign-key form; use join or leftJoin with a foreign-key extractor.');
    return foreignKeyJoin(self, other, args[1] as (value: unknown) => unknown, args[2] as (left: unknown, right: unknown) => unknown, kind, args[3] as TableJoined | undefined, args[4] as Materialized<any, any> | undefined);
  }
  const joiner = checkTableFunction(args[1] as (left: unknown, right: unknown) => unknown, operator);
  return joinTables(self, other, joiner, kind, args[2] as Named | undefined, args[3] as Materialized<any, any> | undefined);
}
