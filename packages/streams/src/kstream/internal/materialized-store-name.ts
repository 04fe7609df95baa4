/**
 * The store name a `Materialized` gives, as Kafka Streams' `MaterializedInternal.storeName()`:
 * a store supplier's name wins, so `{ storeSupplier }` with no `storeName` names (and makes
 * queryable) the store the supplier makes, as `Materialized.as(supplier)` does.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { Materialized } from '../materialized.js';

/** `materialized`'s store name: its store supplier's name, else its `storeName`; `undefined` when it names none. */
export function materializedStoreName(materialized: Materialized<any, any> | undefined): string | undefined {
  const supplier = materialized?.storeSupplier as { readonly name?: unknown } | null | undefined;
  const supplierName = typeof supplier === 'object' && supplier !== null && typeof supplier.name === 'string' ? supplier.name : undefined;
  if (supplierName === undefined) return materialized?.storeName;
  if (materialized!.storeName !== undefined && materialized!.storeName !== supplierName) {
    throw new TopologyError(
      `Materialized names the store name '${materialized!.storeName}' and a storeSupplier of store '${supplierName}': a store takes its supplier's name. Drop 'storeName', or give the supplier that name.`,
    );
  }
  return supplierName;
}
