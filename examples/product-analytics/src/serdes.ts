/**
 * The app's serdes, written as a user of Tributary would write them: JSON schema serdes
 * (validated with ajv on reading, written by a compiled fast-json-stringify writer) for the
 * contracts in `model.ts`, a serde that reads every catalog CDC form into one
 * {@link CatalogChange}, and the binary serde of the windows' aggregates.
 *
 * @packageDocumentation
 * @module @tributary/example-product-analytics/serdes
 */
import {
  DeserializationError,
  Serdes,
  UniqueCountSketch,
  type Headers,
  type Serde,
} from '@tributary/streams';
import {
  alertSchema,
  catalogWireSchema,
  categoryStatsSchema,
  enrichedEventSchema,
  productEventSchema,
  productSchema,
  productStatsSchema,
  productTrendSchema,
  type Alert,
  type CatalogChange,
  type CategoryStats,
  type DebeziumEnvelope,
  type DebeziumProductRow,
  type EnrichedEvent,
  type Product,
  type ProductEvent,
  type ProductStats,
  type ProductTrend,
} from './model.js';

/**
 * Reads `product-events` values: required fields, a known event type, non-negative price and
 * quantity. The checks that need a clock (not too far in the future, not too late) are the
 * topology's validate step, {@link timestampReason}, so their reasons reach the dead-letter topic too.
 */
export const ProductEventSerde: Serde<ProductEvent> = Serdes.JsonSchema<ProductEvent>(productEventSchema);

/** Writes (and reads) `product-analytics` values with fast-json-stringify. */
export const ProductStatsSerde: Serde<ProductStats> = Serdes.JsonSchema<ProductStats>(productStatsSchema);

/** Writes (and reads) `category-analytics` values. */
export const CategoryStatsSerde: Serde<CategoryStats> = Serdes.JsonSchema<CategoryStats>(categoryStatsSchema);

/** Writes (and reads) `product-trends` values. */
export const ProductTrendSerde: Serde<ProductTrend> = Serdes.JsonSchema<ProductTrend>(productTrendSchema);

/** Writes (and reads) `product-alerts` values. */
export const AlertSerde: Serde<Alert> = Serdes.JsonSchema<Alert>(alertSchema);

/** The catalog table's store and changelog values. */
export const ProductSerde: Serde<Product> = Serdes.JsonSchema<Product>(productSchema);

/** Enriched events on the repartition topic that groups them by category. */
export const EnrichedEventSerde: Serde<EnrichedEvent> = Serdes.JsonSchema<EnrichedEvent>(enrichedEventSchema);

/**
 * Why an event's timestamp is unacceptable, or `undefined` when it is fine: more than
 * `maxFutureSkewMs` after `nowMs` (a device clock set wrong would move stream time past every
 * on-time event's window), or more than `maxLatenessMs` before `producedAtMs`, when its record
 * reached Kafka (an event from 1970, or one held back so long that no window takes it).
 */
export function timestampReason(event: ProductEvent, nowMs: number, maxFutureSkewMs: number, producedAtMs: number, maxLatenessMs: number): string | undefined {
  const ahead = event.timestamp - nowMs;
  if (ahead > maxFutureSkewMs) return `/timestamp is ${ahead} ms in the future; at most ${maxFutureSkewMs} ms is allowed (maxFutureSkewMs)`;
  const late = producedAtMs - event.timestamp;
  if (late > maxLatenessMs) return `/timestamp is ${late} ms before the record was produced; at most ${maxLatenessMs} ms is allowed (maxLatenessMs)`;
  return undefined;
}

const catalogWireSerde = Serdes.JsonSchema<unknown>(catalogWireSchema);

function fromDebezium(topic: string, envelope: DebeziumEnvelope): CatalogChange {
  if (envelope.op === 't') {
    // A truncate names no rows: applying it would mean deleting every product of every task's
    // table, which a keyed table cannot do. Rejected, so an operator sees it and re-snapshots.
    throw new DeserializationError(
      `Catalog change on topic '${topic}': a Debezium truncate (op 't') is not applied; the catalog keeps its products. Delete them with tombstones or 'd' changes, or re-snapshot the table`,
    );
  }
  if (envelope.op === 'd') {
    const productId = envelope.before?.productId;
    if (productId === undefined) throw new DeserializationError(`Catalog change on topic '${topic}': a Debezium delete needs before.productId`);
    return { kind: 'delete', productId };
  }
  const row: DebeziumProductRow | null = envelope.after;
  if (row === null || row.name === undefined || row.category === undefined || row.price === undefined) {
    throw new DeserializationError(
      `Catalog change on topic '${topic}': a Debezium '${envelope.op}' needs after.productId, after.name, after.category and after.price`,
    );
  }
  const updatedAt = row.updatedAt ?? envelope.ts_ms ?? 0;
  return { kind: 'upsert', product: { productId: row.productId, name: row.name, category: row.category, price: row.price, updatedAt } };
}

class CatalogChangeSerdeImpl implements Serde<CatalogChange> {
  /** Writes an upsert as the plain form and a delete as a Debezium envelope, the two forms a producer without Debezium can write. */
  serialize(topic: string, change: CatalogChange, headers: Headers): Buffer {
    if (change.kind === 'upsert') return ProductSerde.serialize(topic, change.product, headers);
    return Buffer.from(JSON.stringify({ before: { productId: change.productId }, after: null, op: 'd', ts_ms: 0 }), 'utf8');
  }

  deserialize(topic: string, bytes: Buffer, headers: Headers): CatalogChange {
    const value = catalogWireSerde.deserialize(topic, bytes, headers) as Record<string, unknown>;
    if ('payload' in value) return fromDebezium(topic, value['payload'] as DebeziumEnvelope);
    if ('op' in value) return fromDebezium(topic, value as unknown as DebeziumEnvelope);
    return { kind: 'upsert', product: value as unknown as Product };
  }
}

/**
 * Reads `product-catalog` values in any form it accepts: the Debezium envelope with or without
 * the `payload` wrapper (op `c`, `u`, `r` upsert, `d` deletes) and the plain upsert. A
 * tombstone (null value) never reaches a serde; the topology reads it as a delete. Anything
 * else throws a `DeserializationError` saying why, a truncate (op `t`) included.
 */
export const CatalogChangeSerde: Serde<CatalogChange> = new CatalogChangeSerdeImpl();

/** What a 5-minute window holds per product or category: the counts and the unique-user sketch. */
export interface FunnelAggregate {
  /** `view` events counted in the window. */
  readonly views: number;
  /** `click` events counted in the window. */
  readonly clicks: number;
  /** `add_to_cart` events counted in the window. */
  readonly addToCarts: number;
  /** `purchase` events counted in the window. */
  readonly purchases: number;
  /** Sum of the purchases' price × quantity. */
  readonly revenue: number;
  /** The catalog name of the latest event's product (so a rename shows from the next event on). */
  readonly name: string;
  /** The category of the latest event's product (in a category's window, that category). */
  readonly category: string;
  /** Event time of the latest event counted, epoch ms: the outputs' `updatedAt`. */
  readonly lastEventAt: number;
  /** The HyperLogLog sketch of the window's user ids: the outputs' `uniqueUsers`. */
  readonly users: UniqueCountSketch;
}

type FunnelCountsJson = Omit<FunnelAggregate, 'users'>;

class FunnelAggregateSerdeImpl implements Serde<FunnelAggregate> {
  /** A 4-byte length, the counts as JSON, then the sketch's bytes (`UniqueCountSketch.toBytes`: sparse or dense). */
  serialize(_topic: string, aggregate: FunnelAggregate): Buffer {
    const { users, ...counts } = aggregate;
    const json = Buffer.from(JSON.stringify(counts), 'utf8');
    const sketch = users.toBytes();
    const bytes = Buffer.allocUnsafe(4 + json.length + sketch.length);
    bytes.writeUInt32BE(json.length, 0);
    json.copy(bytes, 4);
    sketch.copy(bytes, 4 + json.length);
    return bytes;
  }

  deserialize(topic: string, bytes: Buffer): FunnelAggregate {
    if (bytes.length < 4) throw new DeserializationError(`Funnel aggregate on topic '${topic}' is ${bytes.length} bytes; at least 4 expected`);
    const jsonLength = bytes.readUInt32BE(0);
    const counts = JSON.parse(bytes.toString('utf8', 4, 4 + jsonLength)) as FunnelCountsJson;
    return { ...counts, users: UniqueCountSketch.fromBytes(bytes.subarray(4 + jsonLength)) };
  }
}

/** The store and changelog serde of the 5-minute windows' aggregates. */
export const FunnelAggregateSerde: Serde<FunnelAggregate> = new FunnelAggregateSerdeImpl();

/** What a trend window holds per product. */
export interface TrendAggregate {
  /** `view` events counted in the trend window. */
  readonly views: number;
  /** `purchase` events counted in the trend window. */
  readonly purchases: number;
  /** The product's catalog name as of the latest event. */
  readonly name: string;
  /** The product's category as of the latest event. */
  readonly category: string;
  /** Event time of the latest event counted, epoch ms: the trend's `updatedAt`. */
  readonly lastEventAt: number;
}

/** The store and changelog serde of the trend windows' aggregates. */
export const TrendAggregateSerde: Serde<TrendAggregate> = Serdes.Json<TrendAggregate>();
