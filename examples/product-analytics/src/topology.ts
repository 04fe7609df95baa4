/**
 * The product-analytics pipeline as a pure `buildTopology(builder, options)`: the test driver,
 * and later the embedded runner and the Kafka runtime, all run the topology it returns.
 *
 * 1. Parse and validate `product-events` (read as bytes, parsed in a processor, so every reason
 *    reaches `product-events-dlq` with the original bytes). The event's own time becomes the
 *    record's; one stamped too far ahead of the wall clock, or produced too long after it
 *    happened, is dead-lettered before it moves any window's stream time.
 * 2. De-duplicate by eventId: copies less than a horizon apart in event time are one event.
 * 3. Re-key by productId and left-join the catalog table (Debezium or plain upserts; deletes and
 *    tombstones remove a product); unknown products get category 'unknown' and are counted.
 *    Catalog records the table cannot apply go to the same dead-letter topic, with the reason.
 * 4. 5-minute tumbling windows with grace per product and per category (funnel counts, revenue,
 *    conversion, HyperLogLog unique users), and trend windows per product.
 * 5. `ProductStats`, `CategoryStats` and `ProductTrend` out, every update or final results only.
 * 6. Alerts on thresholds, at most one per kind and product per cool-down.
 *
 * The example is a private workspace package, not published; its tests import this file.
 *
 * @packageDocumentation
 * @module @tributary/example-product-analytics/topology
 */
import {
  BufferConfig,
  Consumed,
  Named,
  Produced,
  Serdes,
  Stores,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  Branched,
  countDistinct,
  pair,
  updateInPlace,
  type KTable,
  type Serde,
  type TimestampExtractor,
  type Topology,
  type Windowed,
} from '@tributary/streams';
import {
  unknownCategory,
  type Alert,
  type CategoryStats,
  type EnrichedEvent,
  type Product,
  type ProductEvent,
  type ProductStats,
  type ProductTrend,
} from './model.js';
import { DeduplicateInEventTime, OncePerHorizon, ParseCatalogChange, ParseProductEvent, type ValidCatalogChange, type ValidEvent } from './processors.js';
import { resolveOptions, type ProductAnalyticsOptions, type ResolvedOptions } from './options.js';
import {
  AlertSerde,
  CategoryStatsSerde,
  FunnelAggregateSerde,
  ProductSerde,
  ProductStatsSerde,
  ProductTrendSerde,
  TrendAggregateSerde,
  type FunnelAggregate,
  type TrendAggregate,
} from './serdes.js';
import { EnrichedEventRepartitionSerde, ProductEventRepartitionSerde } from './repartition-serdes.js';

export { defaultOptions, resolveOptions } from './options.js';
export type { AlertThresholds, ProductAnalyticsOptions, ProductAnalyticsTopics, ResolvedOptions } from './options.js';

/** The names of the stores the topology creates, for interactive queries and tests. */
export const storeNames = {
  /** Key-value, productId → `Product`: the catalog table the events are joined with. */
  catalog: 'catalog',
  /** Window store, eventId → the event times its copies were seen at, within the de-duplication horizon. */
  dedupeIds: 'dedupe-event-ids',
  /** Key-value, productId → count of events whose product the catalog does not know. */
  unknownProducts: 'unknown-product-events',
  /** Window store, productId → `FunnelAggregate` per 5-minute window. */
  productWindows: 'product-windows',
  /** Window store, category → `FunnelAggregate` per 5-minute window. */
  categoryWindows: 'category-windows',
  /** Window store, productId → `TrendAggregate` per hopping trend window. */
  trendWindows: 'product-trend-windows',
  /** Key-value, `<alertType>|<productId>` → when its cool-down ends (stream time, epoch ms). */
  alertIds: 'alert-cooldown-ids',
  /** Key-value, `<expiry>|<alert id>` → alert id, in time order, so expired cool-downs are swept without a full scan. */
  alertIndex: 'alert-cooldown-expiry',
} as const;

const minute = 60_000;

function emptyFunnel(precision: number): FunnelAggregate {
  return { views: 0, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0, name: '', category: '', lastEventAt: 0, users: countDistinctUsers(precision).initializer() };
}

const userCounters = new Map<number, ReturnType<typeof countDistinct<string, EnrichedEvent>>>();
function countDistinctUsers(precision: number): ReturnType<typeof countDistinct<string, EnrichedEvent>> {
  let counter = userCounters.get(precision);
  if (counter === undefined) {
    counter = countDistinct<string, EnrichedEvent>((event) => event.userId, precision);
    userCounters.set(precision, counter);
  }
  return counter;
}

/** An aggregate as its window's aggregation may change it: only while its store holds it for the aggregation alone. */
type Mutable<T> = { -readonly [P in keyof T]: T[P] };

/**
 * Adds an event to a window's funnel in place: the aggregation calls it only with an aggregate
 * nobody else holds (see `updateInPlace`), and copies the funnel and its sketch first otherwise.
 */
const addToFunnel = updateInPlace<string, EnrichedEvent, FunnelAggregate>({
  update: (_key, event, aggregate) => {
    const funnel = aggregate as Mutable<FunnelAggregate>;
    const type = event.eventType;
    if (type === 'view') funnel.views++;
    else if (type === 'click') funnel.clicks++;
    else if (type === 'add_to_cart') funnel.addToCarts++;
    else if (type === 'purchase') funnel.purchases++;
    funnel.revenue += event.revenue;
    // The latest event's catalog view wins, so a rename shows from the next event on.
    funnel.name = event.name;
    funnel.category = event.category;
    funnel.lastEventAt = Math.max(funnel.lastEventAt, event.timestamp);
    funnel.users.addInPlace(event.userId);
    return funnel;
  },
  copy: (aggregate) => ({ ...aggregate, users: aggregate.users.copy() }),
});

/** Adds an event to a trend window in place, as {@link addToFunnel} does. */
const addToTrend = updateInPlace<string, EnrichedEvent, TrendAggregate>({
  update: (_key, event, aggregate) => {
    const trend = aggregate as Mutable<TrendAggregate>;
    if (event.eventType === 'view') trend.views++;
    else if (event.eventType === 'purchase') trend.purchases++;
    trend.name = event.name;
    trend.category = event.category;
    trend.lastEventAt = Math.max(trend.lastEventAt, event.timestamp);
    return trend;
  },
  copy: (aggregate) => ({ ...aggregate }),
});

/** Rounded to cents: revenue is a sum of floats, and readers compare it. */
function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}

function funnelFields(windowed: Windowed<string>, aggregate: FunnelAggregate) {
  return {
    windowStart: windowed.window.start,
    windowEnd: windowed.window.end,
    views: aggregate.views,
    clicks: aggregate.clicks,
    addToCarts: aggregate.addToCarts,
    purchases: aggregate.purchases,
    revenue: roundMoney(aggregate.revenue),
    conversionRate: aggregate.views === 0 ? 0 : aggregate.purchases / aggregate.views,
    uniqueUsers: Math.round(aggregate.users.count()),
    updatedAt: aggregate.lastEventAt,
  };
}

/** The `ProductStats` of one product's window. */
export function toProductStats(windowed: Windowed<string>, aggregate: FunnelAggregate): ProductStats {
  return { productId: windowed.key, name: aggregate.name, category: aggregate.category, ...funnelFields(windowed, aggregate) };
}

/** The `CategoryStats` of one category's window. */
export function toCategoryStats(windowed: Windowed<string>, aggregate: FunnelAggregate): CategoryStats {
  return { category: windowed.key, ...funnelFields(windowed, aggregate) };
}

function toProductTrend(windowed: Windowed<string>, aggregate: TrendAggregate, windowSizeMs: number): ProductTrend {
  const minutes = windowSizeMs / minute;
  return {
    productId: windowed.key,
    name: aggregate.name,
    category: aggregate.category,
    windowStart: windowed.window.start,
    windowEnd: windowed.window.end,
    views: aggregate.views,
    purchases: aggregate.purchases,
    viewsPerMinute: aggregate.views / minutes,
    purchasesPerMinute: aggregate.purchases / minutes,
    updatedAt: aggregate.lastEventAt,
  };
}

/** Joins an event with its catalog entry, or marks its product unknown. */
function enrich(event: ProductEvent, product: Product | null): EnrichedEvent {
  const unitPrice = event.price ?? product?.price ?? 0;
  return {
    eventId: event.eventId,
    userId: event.userId,
    productId: event.productId,
    eventType: event.eventType,
    timestamp: event.timestamp,
    name: product?.name ?? event.productId,
    category: product?.category ?? unknownCategory,
    revenue: event.eventType === 'purchase' ? unitPrice * (event.quantity ?? 1) : 0,
  };
}

function trendAlerts(trend: ProductTrend, options: ResolvedOptions): readonly Alert[] {
  const { viewsPerMinute, purchasesPerMinute } = options.alerts;
  const spike = trend.viewsPerMinute >= viewsPerMinute;
  const surge = trend.purchasesPerMinute >= purchasesPerMinute;
  if (!spike && !surge) return noAlerts; // the common case: no objects per update
  const base = { productId: trend.productId, name: trend.name, category: trend.category, windowStart: trend.windowStart, windowEnd: trend.windowEnd, detectedAt: trend.updatedAt };
  const alerts: Alert[] = [];
  if (spike) {
    alerts.push({ ...base, alertType: 'views_spike', value: trend.viewsPerMinute, threshold: viewsPerMinute, message: `${trend.name}: ${trend.viewsPerMinute} views/min (threshold ${viewsPerMinute})` });
  }
  if (surge) {
    alerts.push({ ...base, alertType: 'purchase_surge', value: trend.purchasesPerMinute, threshold: purchasesPerMinute, message: `${trend.name}: ${trend.purchasesPerMinute} purchases/min (threshold ${purchasesPerMinute})` });
  }
  return alerts;
}

const noAlerts: readonly Alert[] = [];

function conversionAlerts(stats: ProductStats, options: ResolvedOptions): readonly Alert[] {
  const { conversionRateBelow, conversionMinViews } = options.alerts;
  if (stats.views < conversionMinViews || stats.conversionRate >= conversionRateBelow) return noAlerts;
  return [
    {
      alertType: 'conversion_drop',
      productId: stats.productId,
      name: stats.name,
      category: stats.category,
      windowStart: stats.windowStart,
      windowEnd: stats.windowEnd,
      value: stats.conversionRate,
      threshold: conversionRateBelow,
      message: `${stats.name}: conversion ${(stats.conversionRate * 100).toFixed(2)}% over ${stats.views} views (threshold ${(conversionRateBelow * 100).toFixed(2)}%)`,
      detectedAt: stats.updatedAt,
    },
  ];
}

function finalOnly<V>(table: KTable<Windowed<string>, V>, options: ResolvedOptions, name: string): KTable<Windowed<string>, V> {
  return options.emitFinalOnly ? table.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded(), name)) : table;
}

/**
 * The input sources' time. The events carry their own event time, which the parse step puts on
 * each valid event before anything keeps time (the first sub-topology has no windows or stores),
 * so the source's time only orders records and stamps dead letters. A record without a Kafka
 * timestamp (-1) is therefore kept, stamped with its partition's time (or the wall clock before
 * the first record), instead of being dropped before its payload is read.
 */
const timeOrPlaceholder: TimestampExtractor<unknown, unknown> = (record, partitionTime) =>
  record.timestamp >= 0 ? record.timestamp : partitionTime >= 0 ? partitionTime : record.wallClockTimeMs;

/**
 * Builds the product-analytics pipeline on `builder` and returns the topology. Options are
 * checked here, once; see {@link ProductAnalyticsOptions} for each and its default.
 */
export function buildTopology(builder?: StreamsBuilder, options: ProductAnalyticsOptions = {}): Topology {
  const resolved = resolveOptions(options);
  builder ??= new StreamsBuilder({ dslStoreSuppliers: resolved.storeSuppliers });
  const keyValueStore = (name: string, orderedScans = false) => resolved.storeSuppliers.keyValueStore(name, { orderedScans });
  const { topics } = resolved;
  const string = Serdes.String();

  // 1. Parse and validate. Bytes in, so the parse step sees every record, including ones the
  // serde rejects, and sends each with its reason and original bytes to the dead-letter topic.
  const parsed = builder
    .stream(topics.events, { ...Consumed.with(Serdes.Bytes(), Serdes.Bytes()), timestampExtractor: timeOrPlaceholder })
    .processValues(() => new ParseProductEvent(resolved.maxFutureSkewMs, resolved.maxLatenessMs), Named.as('parse-and-validate'))
    .split(Named.as('events-'))
    .branch((_key, result) => result.valid, Branched.as('valid'))
    .defaultBranch(Branched.as('invalid'));
  parsed['events-invalid']
    .mapValues((result) => (result.valid ? null : result.original), Named.as('original-bytes'))
    // A null value (a tombstone on the events topic) goes to the dead-letter topic as null: no serde sees it.
    .to(topics.deadLetter, Produced.with(Serdes.Bytes(), Serdes.Bytes() as Serde<Buffer | null>));

  // 2. De-duplicate. Keyed by productId first (through a repartition topic), so the copies of
  // an event, which share its productId, meet in one task whatever key the producer gave them.
  // Retained for the horizon plus grace: a record the windows still take on time is compared
  // with every copy within the horizon of it, before or after.
  const dedupeRetentionMs = resolved.dedupeHorizonMs + resolved.gracePeriodMs;
  builder.addStateStore(
    Stores.windowStoreBuilder(resolved.storeSuppliers.windowStore(storeNames.dedupeIds, dedupeRetentionMs, resolved.dedupeHorizonMs, false), string, Serdes.Float64()),
  );
  const events = parsed['events-valid']
    .map((_key, result) => {
      const { event } = result as ValidEvent; // the branch holds only valid results
      return pair(event.productId, event);
    }, Named.as('key-by-product'))
    .repartition({ name: 'events-by-product', keySerde: string, valueSerde: ProductEventRepartitionSerde })
    .processValues(
      () => new DeduplicateInEventTime<string, ProductEvent>(storeNames.dedupeIds, resolved.dedupeHorizonMs, (record) => record.value.eventId),
      Named.as('dedupe-by-event-id'),
      storeNames.dedupeIds,
    );

  // 3. Enrich from the catalog: every CDC form becomes a product or a delete (tombstones arrive
  // as null). Bytes in and parsed in a processor, as the events are, so a change the table
  // cannot apply (malformed, keyed wrong, a truncate) reaches the dead-letter topic too.
  const catalogChanges = builder
    .stream(topics.catalog, { ...Consumed.with(string, Serdes.Bytes()), timestampExtractor: timeOrPlaceholder })
    .processValues(() => new ParseCatalogChange(), Named.as('parse-catalog-change'))
    .split(Named.as('catalog-'))
    .branch((_key, result) => result.valid, Branched.as('valid'))
    .defaultBranch(Branched.as('invalid'));
  catalogChanges['catalog-invalid']
    .mapValues((result) => (result.valid ? null : result.original), Named.as('catalog-original-bytes'))
    .to(topics.deadLetter, Produced.with(string, Serdes.Bytes() as Serde<Buffer | null>));
  const catalog: KTable<string, Product> = catalogChanges['catalog-valid']
    .mapValues((result) => (result as ValidCatalogChange).product as Product, Named.as('catalog-to-product')) // null deletes
    .toTable(Named.as('catalog-table'), { storeName: storeNames.catalog, keySerde: string, valueSerde: ProductSerde });
  const enriched = events.leftJoin(catalog, enrich, { keySerde: string, valueSerde: ProductEventRepartitionSerde });
  enriched
    .filter((_productId, event) => event.category === unknownCategory, Named.as('unknown-products'))
    .groupByKey({ keySerde: string, valueSerde: EnrichedEventRepartitionSerde })
    .count({ storeName: storeNames.unknownProducts, keySerde: string });

  // 4. Windows. One aggregate holds the funnel counts and the unique-user sketch together: a
  // table-table join of two windowed aggregates would emit twice per event, the first half-updated.
  const precision = resolved.sketchPrecision;
  const tumbling = TimeWindows.ofSizeAndGrace(resolved.windowSizeMs, resolved.gracePeriodMs);
  const productWindows = enriched
    .groupByKey({ keySerde: string, valueSerde: EnrichedEventRepartitionSerde })
    .windowedBy(tumbling)
    .aggregate(
      () => emptyFunnel(precision),
      addToFunnel,
      { storeName: storeNames.productWindows, keySerde: string, valueSerde: FunnelAggregateSerde },
    );
  const categoryWindows = enriched
    .groupBy((_productId, event) => event.category, { name: 'events-by-category', keySerde: string, valueSerde: EnrichedEventRepartitionSerde })
    .windowedBy(tumbling)
    .aggregate(
      () => emptyFunnel(precision),
      addToFunnel,
      { storeName: storeNames.categoryWindows, keySerde: string, valueSerde: FunnelAggregateSerde },
    );
  // Trend windows: hopping, 5 minutes advancing by 1, rather than 1-minute sliding windows. A
  // record updates exactly size / advance = 5 hopping windows, while a sliding-window record
  // updates every window that holds it: as many as the key's records in the last minute, which
  // for a popular product at 100k events/s is thousands of store writes per record. Aligned
  // windows also compare across products and minutes (a dashboard's "last 5 minutes, per
  // minute"), and any burst shorter than 4 minutes falls wholly inside one of them.
  const trendWindows = enriched
    .groupByKey({ keySerde: string, valueSerde: EnrichedEventRepartitionSerde })
    .windowedBy(TimeWindows.ofSizeAndGrace(resolved.trendWindowSizeMs, resolved.gracePeriodMs).advanceBy(resolved.trendAdvanceMs))
    .aggregate(
      (): TrendAggregate => ({ views: 0, purchases: 0, name: '', category: '', lastEventAt: 0 }),
      addToTrend,
      { storeName: storeNames.trendWindows, keySerde: string, valueSerde: TrendAggregateSerde },
    );

  // 5. Results, keyed by productId or category (the window is in the value, so any consumer reads the key).
  finalOnly(productWindows, resolved, 'product-windows-final')
    .toStream(Named.as('product-windows-out'))
    .map((windowed, aggregate) => pair(windowed.key, toProductStats(windowed, aggregate)), Named.as('to-product-stats'))
    .to(topics.productAnalytics, Produced.with(string, ProductStatsSerde));
  finalOnly(categoryWindows, resolved, 'category-windows-final')
    .toStream(Named.as('category-windows-out'))
    .map((windowed, aggregate) => pair(windowed.key, toCategoryStats(windowed, aggregate)), Named.as('to-category-stats'))
    .to(topics.categoryAnalytics, Produced.with(string, CategoryStatsSerde));
  const trends = trendWindows
    .toStream(Named.as('trend-windows-out'))
    .map((windowed, aggregate) => pair(windowed.key, toProductTrend(windowed, aggregate, resolved.trendWindowSizeMs)), Named.as('to-product-trend'));
  trends.to(topics.trends, Produced.with(string, ProductTrendSerde));

  // 6. Alerts, from every update (never the suppressed results, which would come a window late).
  builder.addStateStore(Stores.keyValueStoreBuilder(keyValueStore(storeNames.alertIds), string, Serdes.Float64()));
  // Swept in key (expiry) order by a punctuator: a persistent store keeps its whole key index.
  builder.addStateStore(Stores.keyValueStoreBuilder(keyValueStore(storeNames.alertIndex, true), string, string));
  const conversion = productWindows
    .toStream(Named.as('product-windows-for-alerts'))
    .map((windowed, aggregate) => pair(windowed.key, toProductStats(windowed, aggregate)), Named.as('stats-for-alerts'))
    .flatMapValues((stats) => conversionAlerts(stats, resolved), Named.as('conversion-alerts'));
  trends
    .flatMapValues((trend) => trendAlerts(trend, resolved), Named.as('trend-alerts'))
    .merge(conversion, Named.as('all-alerts'))
    .processValues(
      () => new OncePerHorizon<string, Alert>(storeNames.alertIds, storeNames.alertIndex, resolved.alerts.cooldownMs, (record) => `${record.value.alertType}|${record.key}`),
      Named.as('alert-cooldown'),
      storeNames.alertIds,
      storeNames.alertIndex,
    )
    .to(topics.alerts, Produced.with(string, AlertSerde));

  return builder.build();
}
