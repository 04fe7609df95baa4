/**
 * The data contracts of the product-analytics app: what arrives on `product-events` and
 * `product-catalog`, and what the app writes to `product-analytics`, `category-analytics`,
 * `product-trends` and `product-alerts`. Each type has its JSON schema beside it, so the serdes
 * validate what they read and write with a compiled fast-json-stringify writer.
 *
 * @packageDocumentation
 * @module @tributary/example-product-analytics/model
 */
import type { JsonSchemaFor, JsonSchemaObject } from '@tributary/streams';

/** The interactions the apps report, in funnel order. */
export const eventTypes = ['view', 'click', 'add_to_cart', 'purchase'] as const;

/** One of {@link eventTypes}. */
export type EventType = (typeof eventTypes)[number];

/** One interaction, as the web and mobile apps send it to `product-events`. */
export interface ProductEvent {
  /** Unique per interaction; retries resend the same id, which de-duplication relies on. */
  readonly eventId: string;
  /** Who interacted: what the windows' unique-user counts count. */
  readonly userId: string;
  /** The product interacted with: the key of the per-product windows and of the catalog join. */
  readonly productId: string;
  /** What the user did; events of another type are dead-lettered. */
  readonly eventType: EventType;
  /** Event time, epoch ms: when the interaction happened on the device. */
  readonly timestamp: number;
  /** Unit price paid (purchases); the catalog's price is used when absent. */
  readonly price?: number;
  /** Units bought (purchases); 1 when absent. */
  readonly quantity?: number;
  /** The app session the interaction belongs to; carried, not used by the topology. */
  readonly sessionId?: string;
  /** Which app sent the event; carried, not used by the topology. */
  readonly source?: 'web' | 'mobile';
}

const nonEmptyString = { type: 'string', minLength: 1 } as const;

/** The schema of {@link ProductEvent}: required fields, known event type, non-negative price and quantity. */
export const productEventSchema: JsonSchemaFor<ProductEvent> = {
  type: 'object',
  properties: {
    eventId: nonEmptyString,
    userId: nonEmptyString,
    productId: nonEmptyString,
    eventType: { type: 'string', enum: eventTypes },
    timestamp: { type: 'integer', minimum: 0 },
    price: { type: 'number', minimum: 0 },
    quantity: { type: 'integer', minimum: 0 },
    sessionId: { type: 'string' },
    source: { type: 'string', enum: ['web', 'mobile'] },
  },
  required: ['eventId', 'userId', 'productId', 'eventType', 'timestamp'],
};

/** A product as the catalog knows it: the table the events are enriched from. */
export interface Product {
  /** The product's id: the record key on `product-catalog`, and what events name. */
  readonly productId: string;
  /** Display name, copied into every output about the product. */
  readonly name: string;
  /** The category the product's events count towards in `category-analytics`. */
  readonly category: string;
  /** Current list price. */
  readonly price: number;
  /** When the catalog last changed the product, epoch ms. */
  readonly updatedAt: number;
}

/** The schema of {@link Product}, which is also the plain-upsert form on `product-catalog`. */
export const productSchema: JsonSchemaFor<Product> = {
  type: 'object',
  properties: {
    productId: nonEmptyString,
    name: { type: 'string' },
    category: nonEmptyString,
    price: { type: 'number', minimum: 0 },
    updatedAt: { type: 'integer', minimum: 0 },
  },
  required: ['productId', 'name', 'category', 'price', 'updatedAt'],
};

/** A product row inside a Debezium envelope; `updatedAt` falls back to the envelope's `ts_ms`. */
export interface DebeziumProductRow {
  /** The row's primary key; the only column sure to be there. */
  readonly productId: string;
  /** As {@link Product.name}; an upsert without it is dead-lettered. */
  readonly name?: string;
  /** As {@link Product.category}; an upsert without it is dead-lettered. */
  readonly category?: string;
  /** As {@link Product.price}; an upsert without it is dead-lettered. */
  readonly price?: number;
  /** As {@link Product.updatedAt}; the envelope's `ts_ms` when absent. */
  readonly updatedAt?: number;
}

/**
 * Debezium's change-event envelope (JSON converter); `op` is create, update, delete, read
 * (snapshot) or truncate. The app rejects a truncate (see `CatalogChangeSerde`).
 */
export interface DebeziumEnvelope {
  /** The row before the change: `null` on a create or snapshot read; what a delete names. */
  readonly before: DebeziumProductRow | null;
  /** The row after the change: the upsert of a create, update or read; `null` on a delete. */
  readonly after: DebeziumProductRow | null;
  /** Create, update, delete, read (snapshot) or truncate. */
  readonly op: 'c' | 'u' | 'd' | 'r' | 't';
  /** When Debezium processed the change, epoch ms: the row's `updatedAt` when it has none. */
  readonly ts_ms?: number;
}

/** The envelope as Debezium writes it with schemas enabled: wrapped in `payload`. */
export interface DebeziumMessage {
  /** The change event itself (the schema beside it is ignored). */
  readonly payload: DebeziumEnvelope;
}

/** Any value `product-catalog` may carry (a tombstone is a null value, which no serde sees). */
export type CatalogWireValue = DebeziumEnvelope | DebeziumMessage | Product;

/** A catalog change, whatever its wire form: an upsert of the whole product, or a delete. */
export type CatalogChange =
  | {
      /** The product is new or changed. */
      readonly kind: 'upsert';
      /** The whole product after the change. */
      readonly product: Product;
    }
  | {
      /** The product left the catalog: its events count as category {@link unknownCategory} from now on. */
      readonly kind: 'delete';
      /** The product removed. */
      readonly productId: string;
    };

const debeziumRowSchema: JsonSchemaObject = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      // A Debezium row is a product row, of which only the id is sure to be there.
      properties: productSchema.properties,
      required: ['productId'],
    },
  ],
};

const debeziumEnvelopeSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    before: debeziumRowSchema,
    after: debeziumRowSchema,
    op: { type: 'string', enum: ['c', 'u', 'd', 'r', 't'] },
    ts_ms: { type: 'integer' },
  },
  required: ['op'],
};

/** The schema of every {@link CatalogWireValue}: a Debezium envelope, wrapped or not, or a plain upsert. */
export const catalogWireSchema: JsonSchemaObject = {
  anyOf: [
    { type: 'object', properties: { payload: debeziumEnvelopeSchema }, required: ['payload'] },
    debeziumEnvelopeSchema,
    productSchema as JsonSchemaObject,
  ],
};

/** The window every aggregate covers: `[windowStart, windowEnd)`, epoch ms. */
interface WindowBounds {
  /** The window's start, epoch ms, inclusive. */
  readonly windowStart: number;
  /** The window's end, epoch ms, exclusive. */
  readonly windowEnd: number;
}

/** The funnel counts of one window. */
interface FunnelCounts {
  /** `view` events in the window. */
  readonly views: number;
  /** `click` events in the window. */
  readonly clicks: number;
  /** `add_to_cart` events in the window. */
  readonly addToCarts: number;
  /** `purchase` events in the window. */
  readonly purchases: number;
  /** Sum of price × quantity over purchases. */
  readonly revenue: number;
  /** purchases / views; 0 when there are no views. */
  readonly conversionRate: number;
  /** Distinct users, estimated with HyperLogLog (about 1.6% relative standard error). */
  readonly uniqueUsers: number;
  /** Event time of the latest event counted, epoch ms (deterministic, so replays write the same bytes). */
  readonly updatedAt: number;
}

/** One product's stats over one 5-minute window, on `product-analytics` (key: productId). */
export interface ProductStats extends WindowBounds, FunnelCounts {
  /** The product (also the record key). */
  readonly productId: string;
  /** The catalog name as of the window's latest event, or the productId when the catalog does not know it. */
  readonly name: string;
  /** The catalog category as of the window's latest event, or {@link unknownCategory}. */
  readonly category: string;
}

/** One category's stats over one 5-minute window, on `category-analytics` (key: category). */
export interface CategoryStats extends WindowBounds, FunnelCounts {
  /** The category (also the record key); {@link unknownCategory} gathers products the catalog does not know. */
  readonly category: string;
}

/** A product's velocity over a trend window (5 minutes, advancing by 1), on `product-trends` (key: productId). */
export interface ProductTrend extends WindowBounds {
  /** The product (also the record key). */
  readonly productId: string;
  /** As in {@link ProductStats.name}. */
  readonly name: string;
  /** As in {@link ProductStats.category}. */
  readonly category: string;
  /** `view` events in the trend window. */
  readonly views: number;
  /** `purchase` events in the trend window. */
  readonly purchases: number;
  /** views / window minutes: the window's average rate. */
  readonly viewsPerMinute: number;
  /** purchases / window minutes. */
  readonly purchasesPerMinute: number;
  /** Event time of the latest event counted, epoch ms. */
  readonly updatedAt: number;
}

/** The kinds of alert, one per configurable threshold. */
export const alertTypes = ['views_spike', 'conversion_drop', 'purchase_surge'] as const;

/** One of {@link alertTypes}. */
export type AlertType = (typeof alertTypes)[number];

/** A threshold crossed, on `product-alerts` (key: productId). */
export interface Alert extends WindowBounds {
  /** Which threshold was crossed; at most one alert per type and product per cool-down. */
  readonly alertType: AlertType;
  /** The product (also the record key). */
  readonly productId: string;
  /** The product's catalog name, as in {@link ProductStats.name}. */
  readonly name: string;
  /** The product's category, as in {@link ProductStats.category}. */
  readonly category: string;
  /** The measured value: views or purchases per minute, or the conversion rate. */
  readonly value: number;
  /** The configured threshold `value` reached (or, for `conversion_drop`, fell below). */
  readonly threshold: number;
  /** A one-line summary for people, such as `Lamp: 120 views/min (threshold 100)`. */
  readonly message: string;
  /** Event time at which the threshold was crossed, epoch ms. */
  readonly detectedAt: number;
}

const count = { type: 'integer', minimum: 0 } as const;
const time = { type: 'integer' } as const;
const funnelProperties = {
  windowStart: time,
  windowEnd: time,
  views: count,
  clicks: count,
  addToCarts: count,
  purchases: count,
  revenue: { type: 'number' },
  conversionRate: { type: 'number' },
  uniqueUsers: count,
  updatedAt: time,
} as const;
const funnelRequired = ['windowStart', 'windowEnd', 'views', 'clicks', 'addToCarts', 'purchases', 'revenue', 'conversionRate', 'uniqueUsers', 'updatedAt'] as const;

/** The schema of {@link ProductStats}. */
export const productStatsSchema: JsonSchemaFor<ProductStats> = {
  type: 'object',
  properties: { productId: { type: 'string' }, name: { type: 'string' }, category: { type: 'string' }, ...funnelProperties },
  required: ['productId', 'name', 'category', ...funnelRequired],
};

/** The schema of {@link CategoryStats}. */
export const categoryStatsSchema: JsonSchemaFor<CategoryStats> = {
  type: 'object',
  properties: { category: { type: 'string' }, ...funnelProperties },
  required: ['category', ...funnelRequired],
};

/** The schema of {@link ProductTrend}. */
export const productTrendSchema: JsonSchemaFor<ProductTrend> = {
  type: 'object',
  properties: {
    productId: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string' },
    windowStart: time,
    windowEnd: time,
    views: count,
    purchases: count,
    viewsPerMinute: { type: 'number' },
    purchasesPerMinute: { type: 'number' },
    updatedAt: time,
  },
  required: ['productId', 'name', 'category', 'windowStart', 'windowEnd', 'views', 'purchases', 'viewsPerMinute', 'purchasesPerMinute', 'updatedAt'],
};

/** The schema of {@link Alert}. */
export const alertSchema: JsonSchemaFor<Alert> = {
  type: 'object',
  properties: {
    alertType: { type: 'string', enum: alertTypes },
    productId: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string' },
    windowStart: time,
    windowEnd: time,
    value: { type: 'number' },
    threshold: { type: 'number' },
    message: { type: 'string' },
    detectedAt: time,
  },
  required: ['alertType', 'productId', 'name', 'category', 'windowStart', 'windowEnd', 'value', 'threshold', 'message', 'detectedAt'],
};

/** An event after de-duplication and the catalog join: what the windows aggregate. */
export interface EnrichedEvent {
  /** As in {@link ProductEvent.eventId}. */
  readonly eventId: string;
  /** As in {@link ProductEvent.userId}. */
  readonly userId: string;
  /** As in {@link ProductEvent.productId}. */
  readonly productId: string;
  /** As in {@link ProductEvent.eventType}. */
  readonly eventType: EventType;
  /** Event time, epoch ms, as in {@link ProductEvent.timestamp}. */
  readonly timestamp: number;
  /** The catalog's name, or the productId for a product the catalog does not know. */
  readonly name: string;
  /** The catalog's category, or {@link unknownCategory}. */
  readonly category: string;
  /** price × quantity for a purchase (event price, else catalog price), else 0. */
  readonly revenue: number;
}

/** The category of events whose product the catalog does not (or no longer) know. */
export const unknownCategory = 'unknown';

/** The schema of {@link EnrichedEvent}, for repartition topics. */
export const enrichedEventSchema: JsonSchemaFor<EnrichedEvent> = {
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    userId: { type: 'string' },
    productId: { type: 'string' },
    eventType: { type: 'string', enum: eventTypes },
    timestamp: time,
    name: { type: 'string' },
    category: { type: 'string' },
    revenue: { type: 'number' },
  },
  required: ['eventId', 'userId', 'productId', 'eventType', 'timestamp', 'name', 'category', 'revenue'],
};
