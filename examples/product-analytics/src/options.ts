/**
 * The options of the product-analytics topology: topic names, time horizons, thresholds. Every
 * option has a default; {@link resolveOptions} checks them once, when the topology is built, and
 * names the option that is wrong.
 */
import { ConfigError, Stores, type DslStoreSuppliers } from '@tributary/streams';

const minute = 60_000;

/** The topics the app reads and writes. */
export interface ProductAnalyticsTopics {
  /** Interaction events (input). */
  readonly events: string;
  /** Catalog changes, CDC or plain upserts (input). */
  readonly catalog: string;
  /** Events that could not be parsed or failed validation, with the reason in headers. */
  readonly deadLetter: string;
  /** `ProductStats` per product and 5-minute window. */
  readonly productAnalytics: string;
  /** `CategoryStats` per category and 5-minute window. */
  readonly categoryAnalytics: string;
  /** `ProductTrend` per product and trend window. */
  readonly trends: string;
  /** `Alert`s. */
  readonly alerts: string;
}

/** The alert thresholds. */
export interface AlertThresholds {
  /** A views-spike alert fires when a trend window's average views per minute reaches this. */
  readonly viewsPerMinute: number;
  /** A conversion-drop alert fires when a 5-minute window's conversion rate is below this… */
  readonly conversionRateBelow: number;
  /** …once the window has at least this many views, so a window's first views do not alarm. */
  readonly conversionMinViews: number;
  /** A purchase-surge alert fires when a trend window's average purchases per minute reaches this. */
  readonly purchasesPerMinute: number;
  /** At most one alert of a kind per product within this much stream time. */
  readonly cooldownMs: number;
}

/** Everything {@link buildTopology} can be told; all optional. */
export interface ProductAnalyticsOptions {
  /** Topic names to use instead of the defaults (`product-events`, `product-catalog`, ...), any subset. */
  readonly topics?: Partial<ProductAnalyticsTopics>;
  /** De-duplication: copies of an event id less than this far apart in event time are one event. Default 10 minutes. */
  readonly dedupeHorizonMs?: number;
  /** The analytics windows' size. Default 5 minutes. */
  readonly windowSizeMs?: number;
  /** How late (behind stream time) an event may be and still count. Default 1 minute. */
  readonly gracePeriodMs?: number;
  /** The trend windows' size. Default 5 minutes. */
  readonly trendWindowSizeMs?: number;
  /** How often a new trend window starts. Default 1 minute. */
  readonly trendAdvanceMs?: number;
  /**
   * How far ahead of the wall clock an event's timestamp may be; an event stamped further ahead
   * goes to the dead-letter topic before it moves stream time. At most `gracePeriodMs`: an event
   * stamped further ahead than the grace would make every on-time event late. Default 10
   * seconds, or the grace period when that is shorter.
   */
  readonly maxFutureSkewMs?: number;
  /**
   * How long after its event time an event may reach Kafka: how far its timestamp may be behind
   * its record's timestamp (or behind the wall clock, for a record without one). An event older
   * than that goes to the dead-letter topic, so the product and the category windows never
   * disagree about it (an event from 1970 is not counted by one and dropped as late by the
   * other). Default: the grace period, beyond which the windows would drop it as late anyway.
   */
  readonly maxLatenessMs?: number;
  /** Emit one final result per window (suppressed until it closes) instead of every update. Default false. */
  readonly emitFinalOnly?: boolean;
  /** HyperLogLog precision for unique users (4–18). Default 12: 4 KiB per window, 1.6% standard error. */
  readonly sketchPrecision?: number;
  /**
   * Alert thresholds to use instead of the defaults, any subset: 100 views or 20 purchases per
   * minute, conversion below 1% once a window has 200 views, one alert per kind and product per
   * 5 minutes.
   */
  readonly alerts?: Partial<AlertThresholds>;
  /**
   * Where the app's own stores (de-duplication, alert cool-downs) keep their bytes. Default in
   * memory; give the same suppliers as the builder's `dslStoreSuppliers` (LevelDB, say) so every
   * store is on one backend. `buildTopology` without a builder makes one with these.
   */
  readonly storeSuppliers?: DslStoreSuppliers;
}

/** {@link ProductAnalyticsOptions} with every default applied. */
export interface ResolvedOptions {
  /** Every topic's name. */
  readonly topics: ProductAnalyticsTopics;
  /** Copies of an event id less than this many ms apart in event time are one event. */
  readonly dedupeHorizonMs: number;
  /** The analytics windows' size, ms. */
  readonly windowSizeMs: number;
  /** How far behind stream time an event may be and still count, ms. */
  readonly gracePeriodMs: number;
  /** The trend windows' size, ms. */
  readonly trendWindowSizeMs: number;
  /** How often a new trend window starts, ms. */
  readonly trendAdvanceMs: number;
  /** How far ahead of the wall clock an event may be stamped before it is dead-lettered, ms (at most the grace). */
  readonly maxFutureSkewMs: number;
  /** How far an event's time may be behind its record's before it is dead-lettered, ms. */
  readonly maxLatenessMs: number;
  /** Whether each window emits one final result when it closes, instead of every update. */
  readonly emitFinalOnly: boolean;
  /** HyperLogLog precision of the unique-user counts, 4 to 18. */
  readonly sketchPrecision: number;
  /** Every alert threshold. */
  readonly alerts: AlertThresholds;
  /** The backend of the app's own stores (de-duplication, alert cool-downs). */
  readonly storeSuppliers: DslStoreSuppliers;
}

/** The defaults, as the spec gives them. */
export const defaultOptions: ResolvedOptions = {
  topics: {
    events: 'product-events',
    catalog: 'product-catalog',
    deadLetter: 'product-events-dlq',
    productAnalytics: 'product-analytics',
    categoryAnalytics: 'category-analytics',
    trends: 'product-trends',
    alerts: 'product-alerts',
  },
  dedupeHorizonMs: 10 * minute,
  windowSizeMs: 5 * minute,
  gracePeriodMs: 1 * minute,
  trendWindowSizeMs: 5 * minute,
  trendAdvanceMs: 1 * minute,
  maxFutureSkewMs: 10_000,
  maxLatenessMs: 1 * minute,
  emitFinalOnly: false,
  sketchPrecision: 12,
  alerts: {
    viewsPerMinute: 100,
    conversionRateBelow: 0.01,
    conversionMinViews: 200,
    purchasesPerMinute: 20,
    cooldownMs: 5 * minute,
  },
  storeSuppliers: Stores.inMemoryDslStoreSuppliers(),
};

function fail(option: string, requirement: string, value: unknown): never {
  throw new ConfigError(`product-analytics option '${option}' ${requirement}, got ${JSON.stringify(value)}.`);
}

function checkKeys(object: unknown, allowed: object, path: string): Record<string, unknown> {
  if (object === undefined) return {};
  if (typeof object !== 'object' || object === null || Array.isArray(object)) fail(path, 'must be an object', object);
  for (const key of Object.keys(object)) {
    if (!(key in allowed)) fail(`${path === '' ? '' : `${path}.`}${key}`, `is unknown (known: ${Object.keys(allowed).join(', ')})`, (object as Record<string, unknown>)[key]);
  }
  return object as Record<string, unknown>;
}

function integer(value: unknown, fallback: number, option: string, minimum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) fail(option, `must be an integer >= ${minimum}`, value);
  return value;
}

function ratio(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) fail(option, 'must be a number from 0 to 1', value);
  return value;
}

function positive(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(option, 'must be a number > 0', value);
  return value;
}

/** Applies the defaults and checks every option, throwing a `ConfigError` that names the one that is wrong. */
export function resolveOptions(options: ProductAnalyticsOptions = {}): ResolvedOptions {
  const given = checkKeys(options, defaultOptions, '');
  const topicsGiven = checkKeys(given['topics'], defaultOptions.topics, 'topics');
  const topics = { ...defaultOptions.topics } as Record<keyof ProductAnalyticsTopics, string>;
  const seen = new Map<string, string>();
  for (const name of Object.keys(defaultOptions.topics) as Array<keyof ProductAnalyticsTopics>) {
    const topic = topicsGiven[name] ?? defaultOptions.topics[name];
    if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
      fail(`topics.${name}`, 'must be a Kafka topic name (1–249 of a-z A-Z 0-9 . _ -)', topic);
    }
    const other = seen.get(topic);
    if (other !== undefined) fail(`topics.${name}`, `must differ from topics.${other}`, topic);
    seen.set(topic, name);
    topics[name] = topic;
  }
  const alertsGiven = checkKeys(given['alerts'], defaultOptions.alerts, 'alerts');
  const defaults = defaultOptions.alerts;
  const windowSizeMs = integer(given['windowSizeMs'], defaultOptions.windowSizeMs, 'windowSizeMs', 1);
  const trendWindowSizeMs = integer(given['trendWindowSizeMs'], defaultOptions.trendWindowSizeMs, 'trendWindowSizeMs', 1);
  const trendAdvanceMs = integer(given['trendAdvanceMs'], defaultOptions.trendAdvanceMs, 'trendAdvanceMs', 1);
  if (trendAdvanceMs > trendWindowSizeMs) fail('trendAdvanceMs', `must be at most trendWindowSizeMs (${trendWindowSizeMs})`, trendAdvanceMs);
  const emitFinalOnly = given['emitFinalOnly'] ?? defaultOptions.emitFinalOnly;
  if (typeof emitFinalOnly !== 'boolean') fail('emitFinalOnly', 'must be a boolean', emitFinalOnly);
  const sketchPrecision = integer(given['sketchPrecision'], defaultOptions.sketchPrecision, 'sketchPrecision', 4);
  if (sketchPrecision > 18) fail('sketchPrecision', 'must be an integer from 4 to 18', sketchPrecision);
  const gracePeriodMs = integer(given['gracePeriodMs'], defaultOptions.gracePeriodMs, 'gracePeriodMs', 0);
  const maxFutureSkewMs = integer(given['maxFutureSkewMs'], Math.min(defaultOptions.maxFutureSkewMs, gracePeriodMs), 'maxFutureSkewMs', 0);
  if (maxFutureSkewMs > gracePeriodMs) {
    fail('maxFutureSkewMs', `must be at most gracePeriodMs (${gracePeriodMs}): an event stamped further ahead would move stream time past every on-time event's window`, maxFutureSkewMs);
  }
  const storeSuppliers = given['storeSuppliers'] ?? defaultOptions.storeSuppliers;
  if (typeof storeSuppliers !== 'object' || storeSuppliers === null || typeof (storeSuppliers as DslStoreSuppliers).keyValueStore !== 'function') {
    fail('storeSuppliers', 'must be DslStoreSuppliers (such as Stores.inMemoryDslStoreSuppliers())', typeof storeSuppliers);
  }
  return {
    storeSuppliers: storeSuppliers as DslStoreSuppliers,
    topics,
    dedupeHorizonMs: integer(given['dedupeHorizonMs'], defaultOptions.dedupeHorizonMs, 'dedupeHorizonMs', 1),
    windowSizeMs,
    gracePeriodMs,
    trendWindowSizeMs,
    trendAdvanceMs,
    maxFutureSkewMs,
    maxLatenessMs: integer(given['maxLatenessMs'], gracePeriodMs, 'maxLatenessMs', 0),
    emitFinalOnly,
    sketchPrecision,
    alerts: {
      viewsPerMinute: positive(alertsGiven['viewsPerMinute'], defaults.viewsPerMinute, 'alerts.viewsPerMinute'),
      conversionRateBelow: ratio(alertsGiven['conversionRateBelow'], defaults.conversionRateBelow, 'alerts.conversionRateBelow'),
      conversionMinViews: integer(alertsGiven['conversionMinViews'], defaults.conversionMinViews, 'alerts.conversionMinViews', 1),
      purchasesPerMinute: positive(alertsGiven['purchasesPerMinute'], defaults.purchasesPerMinute, 'alerts.purchasesPerMinute'),
      cooldownMs: integer(alertsGiven['cooldownMs'], defaults.cooldownMs, 'alerts.cooldownMs', 0),
    },
  };
}
