/**
 * The data contracts of the product-analytics app: what arrives on `product-events` and
 * `product-catalog`, and what the app writes to `product-analytics`, `category-analytics`,
 * `product-trends` and `product-alerts`. Each type has its JSON schema beside it, so the serdes
 * validate what they read and write with a compiled fast-json-stringify writer.
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
  readonly userId: string;
  readonly productId: string;
  readonly eventType: EventType;
  /** Event time, epoch ms: when the interaction happened on the device. */
  readonly timestamp: number;
  /** Unit price paid (purchases); the catalog's price is used when absent. */
  readonly price?: number;
  /** Units bought (purchases); 1 when absent. */
  readonly quantity?: number;
  readonly sessionId?: string;
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
  readonly productId: string;
  readonly name: string;
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
  readonly productId: string;
  readonly name?: string;
  readonly category?: string;
  readonly price?: number;
  readonly updatedAt?: number;
}

/**
 * Debezium's change-event envelope (JSON converter); `op` is create, update, delete, read
 * (snapshot) or truncate. The app rejects a truncate (see `CatalogChangeSerde`).
 */
export interface DebeziumEnvelope {
  readonly before: DebeziumProductRow | null;
  readonly after: DebeziumProductRow | null;
  readonly op: 'c' | 'u' | 'd' | 'r' | 't';
  readonly ts_ms?: number;
}

/** The envelope as Debezium writes it with schemas enabled: wrapped in `payload`. */
export interface DebeziumMessage {
  readonly payload: DebeziumEnvelope;
}

/** Any value `product-catalog` may carry (a tombstone is a null value, which no serde sees). */
export type CatalogWireValue = DebeziumEnvelope | DebeziumMessage | Product;

/** A catalog change, whatever its wire form: an upsert of the whole product, or a delete. */
export type CatalogChange =
  | { readonly kind: 'upsert'; readonly product: Product }
  | { readonly kind: 'delete'; readonly productId: string };

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
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** The funnel counts of one window. */
interface FunnelCounts {
  readonly views: number;
  readonly clicks: number;
  readonly addToCarts: number;
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
  readonly productId: string;
  readonly name: string;
  readonly category: string;
}

/** One category's stats over one 5-minute window, on `category-analytics` (key: category). */
export interface CategoryStats extends WindowBounds, FunnelCounts {
  readonly category: string;
}

/** A product's velocity over a trend window (5 minutes, advancing by 1), on `product-trends` (key: productId). */
export interface ProductTrend extends WindowBounds {
  readonly productId: string;
  readonly name: string;
  readonly category: string;
  readonly views: number;
  readonly purchases: number;
  /** views / window minutes: the window's average rate. */
  readonly viewsPerMinute: number;
  /** purchases / window minutes. */
  readonly purchasesPerMinute: number;
  readonly updatedAt: number;
}

/** The kinds of alert, one per configurable threshold. */
export const alertTypes = ['views_spike', 'conversion_drop', 'purchase_surge'] as const;

/** One of {@link alertTypes}. */
export type AlertType = (typeof alertTypes)[number];

/** A threshold crossed, on `product-alerts` (key: productId). */
export interface Alert extends WindowBounds {
  readonly alertType: AlertType;
  readonly productId: string;
  readonly name: string;
  readonly category: string;
  /** The measured value: views or purchases per minute, or the conversion rate. */
  readonly value: number;
  readonly threshold: number;
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
  readonly eventId: string;
  readonly userId: string;
  readonly productId: string;
  readonly eventType: EventType;
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
