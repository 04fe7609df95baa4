/**
 * Checks what the flagship (examples/product-analytics) wrote after a smoke run against an
 * answer recomputed from its input topics, not from the generator's memory: reads
 * `product-events` and `product-catalog` back read_committed, parses every event as the app
 * does (the app's serde and future-skew check), drops invalid ones, de-duplicates by eventId
 * with the app's rule, enriches from the catalog and counts each product's and category's
 * 5-minute windows. Then reads `product-analytics` and `category-analytics` read_committed,
 * takes the last value per (key, window) and compares every window field by field.
 *
 * The answer is only well defined when it does not depend on how the runtime interleaves
 * partitions: no event may be late beyond the grace period whatever order the events are seen
 * in, and the copies of an event must lie within the de-duplication horizon of one another (then
 * exactly one copy counts, whichever comes first). The verifier checks both on the input it read
 * and throws, saying which, when the input does not qualify.
 *
 * Unique users are a HyperLogLog estimate. Its registers are a maximum per register, so the
 * estimate of a set does not depend on the order or repetition of its values: the verifier
 * computes it exactly, with the library's own sketch over each window's expected users.
 */
import { Headers, UniqueCountSketch } from '@tributary/streams';
import type { Kafka } from 'kafkajs';
import { unknownCategory, type CategoryStats, type Product, type ProductEvent, type ProductStats } from '../../../examples/product-analytics/src/model.js';
import { CatalogChangeSerde, ProductEventSerde, timestampReason } from '../../../examples/product-analytics/src/serdes.js';
import type { ProductAnalyticsTopics, ResolvedOptions } from '../../../examples/product-analytics/src/topology.js';
import { defaultPartition } from '../../../packages/kafka/src/internal/murmur2.js';
import { readCommitted, type StuckPartition } from './smoke-verify.js';

/** The fields of a window that the verifier compares: the counts, then the rest. */
export interface WindowStats {
  readonly key: string;
  readonly windowStart: number;
  readonly views: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  /** In cents, so sums in another order compare equal. */
  readonly revenueCents: number;
  readonly uniqueUsers: number;
  readonly updatedAt: number;
  /** Products only: the catalog's name and category. */
  readonly name?: string;
  readonly category?: string;
}

/** The answer a run must reach, per window. */
export interface FlagshipExpectation {
  /** Records on the events topic. */
  readonly eventsIn: number;
  /** Events that parse and validate. */
  readonly valid: number;
  /** Valid events after de-duplication: what the windows count. */
  readonly unique: number;
  readonly products: ReadonlyMap<string, WindowStats>;
  readonly categories: ReadonlyMap<string, WindowStats>;
}

/** How one window's output compares with its answer. */
export type WindowVerdict = 'exact' | 'low' | 'high' | 'wrong';

/** The comparison of one kind of window (products or categories). */
export interface WindowComparison {
  readonly expected: number;
  /** Expected windows found in the output. */
  readonly compared: number;
  /** A count or the revenue below the answer, or the window missing. */
  readonly low: number;
  /** A count or the revenue above the answer, none below, or a window the answer lacks. */
  readonly high: number;
  /** Counts and revenue exact, but unique users, updatedAt, name or category not. */
  readonly wrong: number;
  /** Events the low windows are short of, summed over windows. */
  readonly lostEvents: number;
  /** Events the high windows counted more than once, summed over windows. */
  readonly duplicatedEvents: number;
  /** Up to 12 windows that were not exact, with both sides, for the report. */
  readonly samples: ReadonlyArray<{ readonly window: string; readonly verdict: WindowVerdict; readonly expected: WindowStats | undefined; readonly actual: WindowStats | undefined }>;
}

export interface FlagshipSummary {
  readonly name: string;
  readonly expectation: FlagshipExpectation;
  readonly products: WindowComparison;
  readonly categories: WindowComparison;
  /** Events the category windows counted as `unknown` (joined without a catalog entry), and how many the answer has there. */
  readonly unknownCategoryEvents: { readonly expected: number; readonly actual: number };
  readonly openTransactions: readonly StuckPartition[];
  /** Records read back read_committed from the output topics. */
  readonly outputRecords: { readonly products: number; readonly categories: number };
  readonly killsSurvived: number;
  /** The one-line summary printed by {@link verifyFlagshipRun}. */
  readonly line: string;
}

/** Why the input topics cannot give one answer whatever the interleaving. */
export class AmbiguousInputError extends Error {
  override readonly name = 'AmbiguousInputError';
}

function windowId(key: string, windowStart: number): string {
  return `${key}@${windowStart}`;
}

interface Accumulator {
  key: string;
  windowStart: number;
  views: number;
  clicks: number;
  addToCarts: number;
  purchases: number;
  revenue: number;
  users: Set<string>;
  updatedAt: number;
  name?: string;
  category?: string;
}

function add(windows: Map<string, Accumulator>, key: string, windowStart: number, event: ProductEvent, revenue: number, product?: { name: string; category: string }): void {
  const id = windowId(key, windowStart);
  let window = windows.get(id);
  if (window === undefined) {
    window = { key, windowStart, views: 0, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0, users: new Set(), updatedAt: 0 };
    windows.set(id, window);
  }
  if (event.eventType === 'view') window.views++;
  else if (event.eventType === 'click') window.clicks++;
  else if (event.eventType === 'add_to_cart') window.addToCarts++;
  else window.purchases++;
  window.revenue += revenue;
  window.users.add(event.userId);
  window.updatedAt = Math.max(window.updatedAt, event.timestamp);
  if (product !== undefined) {
    window.name = product.name;
    window.category = product.category;
  }
}

function finish(windows: Map<string, Accumulator>, precision: number): Map<string, WindowStats> {
  const result = new Map<string, WindowStats>();
  for (const [id, window] of windows) {
    let sketch = UniqueCountSketch.empty(precision);
    for (const user of window.users) sketch = sketch.with(user);
    const { users: _users, revenue, ...rest } = window;
    result.set(id, { ...rest, revenueCents: Math.round(revenue * 100), uniqueUsers: sketch.count() });
  }
  return result;
}

/** An input or output record read back; `timestamp` is its Kafka timestamp (the event's own time when absent). */
type RawRecord = { readonly key: string | null; readonly value: Buffer | null; readonly timestamp?: number };

/**
 * The per-window answer for the records of the events and catalog topics, under `options` (the
 * app's resolved options). Throws {@link AmbiguousInputError} when the answer would depend on
 * the order the runtime sees the events in.
 */
export function expectFlagship(events: readonly RawRecord[], catalogRecords: readonly RawRecord[], options: ResolvedOptions, nowMs = Date.now()): FlagshipExpectation {
  const headers = new Headers();
  const catalog = new Map<string, Product>();
  for (const record of catalogRecords) {
    if (record.key === null) continue;
    const change = record.value === null ? null : CatalogChangeSerde.deserialize(options.topics.catalog, record.value, headers);
    if (change === null || change.kind === 'delete') catalog.delete(record.key);
    else catalog.set(record.key, change.product);
  }

  // Parse and validate as ParseProductEvent does; keep every copy of each id.
  const copies = new Map<string, ProductEvent[]>();
  let valid = 0;
  for (const record of events) {
    if (record.value === null) continue;
    let event: ProductEvent;
    try {
      event = ProductEventSerde.deserialize(options.topics.events, record.value, headers);
    } catch {
      continue;
    }
    if (timestampReason(event, nowMs, options.maxFutureSkewMs, record.timestamp ?? event.timestamp, options.maxLatenessMs) !== undefined) continue;
    valid++;
    const list = copies.get(event.eventId);
    if (list === undefined) copies.set(event.eventId, [event]);
    else list.push(event);
  }

  // De-duplicate: copies less than the horizon apart are one event. When every copy of an id is
  // within the horizon of every other, exactly one counts whichever comes first, and which one
  // does not matter only if they are the same event.
  const unique: ProductEvent[] = [];
  let latest = Number.NEGATIVE_INFINITY;
  for (const [eventId, list] of copies) {
    const first = list[0]!;
    for (const copy of list) {
      if (Math.abs(copy.timestamp - first.timestamp) >= options.dedupeHorizonMs || JSON.stringify(copy) !== JSON.stringify(first)) {
        throw new AmbiguousInputError(
          `Event '${eventId}' has copies that differ or lie ${Math.abs(copy.timestamp - first.timestamp)} ms apart (horizon ${options.dedupeHorizonMs} ms): which of them count depends on the order the app sees them in. Generate retries as exact copies close in event time.`,
        );
      }
    }
    unique.push(first);
    latest = Math.max(latest, first.timestamp);
  }

  const size = options.windowSizeMs;
  const products = new Map<string, Accumulator>();
  const categories = new Map<string, Accumulator>();
  for (const event of unique) {
    const windowStart = Math.floor(event.timestamp / size) * size;
    // Dropped as late once stream time reaches window end + grace; stream time can be as far as the latest event.
    if (windowStart + size + options.gracePeriodMs <= latest) {
      throw new AmbiguousInputError(
        `Event '${event.eventId}' at ${event.timestamp} is in a window that closes (end + grace ${windowStart + size + options.gracePeriodMs}) before the latest event (${latest}): whether it counts depends on the order the app sees the events in. Bound the input's out-of-orderness within the grace period.`,
      );
    }
    const product = catalog.get(event.productId);
    const unitPrice = event.price ?? product?.price ?? 0;
    const revenue = event.eventType === 'purchase' ? unitPrice * (event.quantity ?? 1) : 0;
    const enriched = { name: product?.name ?? event.productId, category: product?.category ?? unknownCategory };
    add(products, event.productId, windowStart, event, revenue, enriched);
    add(categories, enriched.category, windowStart, event, revenue);
  }
  return {
    eventsIn: events.length,
    valid,
    unique: unique.length,
    products: finish(products, options.sketchPrecision),
    categories: finish(categories, options.sketchPrecision),
  };
}

/** The last value per (key, window) of `product-analytics` or `category-analytics` records, in the verifier's terms. */
export function latestWindows(records: readonly RawRecord[], keyOf: (value: ProductStats & CategoryStats) => string): Map<string, WindowStats> {
  const latest = new Map<string, WindowStats>();
  for (const record of records) {
    if (record.value === null) continue;
    const value = JSON.parse(record.value.toString('utf8')) as ProductStats & CategoryStats;
    const key = keyOf(value);
    latest.set(windowId(key, value.windowStart), {
      key,
      windowStart: value.windowStart,
      views: value.views,
      clicks: value.clicks,
      addToCarts: value.addToCarts,
      purchases: value.purchases,
      revenueCents: Math.round(value.revenue * 100),
      uniqueUsers: value.uniqueUsers,
      updatedAt: value.updatedAt,
      ...(value.productId === undefined ? {} : { name: value.name, category: value.category }),
    });
  }
  return latest;
}

const countFields = ['views', 'clicks', 'addToCarts', 'purchases', 'revenueCents'] as const;
const eventFields = ['views', 'clicks', 'addToCarts', 'purchases'] as const;

function eventsOf(stats: WindowStats | undefined): number {
  return stats === undefined ? 0 : eventFields.reduce((sum, field) => sum + stats[field], 0);
}

/** Compares every expected window (and every window the output has) with the answer. */
export function compareWindows(expected: ReadonlyMap<string, WindowStats>, actual: ReadonlyMap<string, WindowStats>): WindowComparison {
  let compared = 0;
  let low = 0;
  let high = 0;
  let wrong = 0;
  let lostEvents = 0;
  let duplicatedEvents = 0;
  const samples: Array<WindowComparison['samples'][number]> = [];
  for (const id of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(id);
    const got = actual.get(id);
    if (want !== undefined && got !== undefined) compared++;
    let verdict: WindowVerdict = 'exact';
    if (want === undefined) verdict = 'high';
    else if (got === undefined || countFields.some((field) => got[field] < want[field])) verdict = 'low';
    else if (countFields.some((field) => got[field] > want[field])) verdict = 'high';
    else if (got.uniqueUsers !== want.uniqueUsers || got.updatedAt !== want.updatedAt || got.name !== want.name || got.category !== want.category) verdict = 'wrong';
    const difference = eventsOf(got) - eventsOf(want);
    if (difference < 0) lostEvents -= difference;
    else duplicatedEvents += difference;
    if (verdict === 'exact') continue;
    if (verdict === 'low') low++;
    else if (verdict === 'high') high++;
    else wrong++;
    if (samples.length < 12) samples.push({ window: id, verdict, expected: want, actual: got });
  }
  return { expected: expected.size, compared, low, high, wrong, lostEvents, duplicatedEvents, samples };
}

/**
 * Events the low windows are short of, by the task that counts them: the product windows are
 * counted in sub-topology 1, whose task `1_<p>` reads partition p of the `events-by-product`
 * repartition topic, where the runtime's partitioner puts the productId (murmur2, as Kafka's).
 * A loss confined to some tasks points at their commits or restores (see the app's debug log).
 */
export function lostByProductTask(expected: ReadonlyMap<string, WindowStats>, actual: ReadonlyMap<string, WindowStats>, partitions: number): Record<string, number> {
  const lost: Record<string, number> = {};
  for (const [id, want] of expected) {
    const short = eventsOf(want) - eventsOf(actual.get(id));
    if (short <= 0) continue;
    const task = `1_${defaultPartition(Buffer.from(want.key), partitions)}`;
    lost[task] = (lost[task] ?? 0) + short;
  }
  return lost;
}

export interface VerifyFlagshipOptions {
  readonly kafka: Kafka;
  /** Names the run in the summary line. */
  readonly name: string;
  /** The app's resolved options (topics, window size, grace, horizon, sketch precision). */
  readonly options: ResolvedOptions;
  readonly killsSurvived: number;
  /** How long to read before calling a partition stuck. Default 60 s. */
  readonly timeoutMs?: number;
}

/** Reads the run's input and output topics, compares them, prints one SMOKE line and returns the summary. */
export async function verifyFlagshipRun(verify: VerifyFlagshipOptions): Promise<FlagshipSummary> {
  const topics: ProductAnalyticsTopics = verify.options.topics;
  const { records, stuck } = await readCommitted(verify.kafka, [topics.events, topics.catalog, topics.productAnalytics, topics.categoryAnalytics], verify.timeoutMs ?? 60_000);
  const expectation = expectFlagship(records.get(topics.events)!, records.get(topics.catalog)!, verify.options);
  const actualProducts = latestWindows(records.get(topics.productAnalytics)!, (value) => value.productId);
  const products = compareWindows(expectation.products, actualProducts);
  const actualCategories = latestWindows(records.get(topics.categoryAnalytics)!, (value) => value.category);
  const categories = compareWindows(expectation.categories, actualCategories);
  const unknownIn = (windows: ReadonlyMap<string, WindowStats>) => [...windows.values()].filter((stats) => stats.key === unknownCategory).reduce((sum, stats) => sum + eventsOf(stats), 0);
  const unknownCategoryEvents = { expected: unknownIn(expectation.categories), actual: unknownIn(actualCategories) };
  const describe = (comparison: WindowComparison) =>
    `expected=${comparison.expected} compared=${comparison.compared} low=${comparison.low} high=${comparison.high} wrong=${comparison.wrong}`;
  const line =
    `SMOKE ${verify.name}: events in=${expectation.eventsIn} (valid=${expectation.valid}, unique=${expectation.unique}), ` +
    `product windows ${describe(products)}, category windows ${describe(categories)}, ` +
    `lost events=${products.lostEvents}, duplicated=${products.duplicatedEvents} (category windows: lost=${categories.lostEvents}, duplicated=${categories.duplicatedEvents}), ` +
    `kills survived=${verify.killsSurvived}, open transactions=${stuck.length}`;
  console.log(line);
  for (const [kind, comparison] of [['product', products], ['category', categories]] as const) {
    if (comparison.samples.length > 0) console.log(`SMOKE ${verify.name}: ${kind} windows not exact, e.g. ${JSON.stringify(comparison.samples)}`);
  }
  if (products.lostEvents > 0) {
    const admin = verify.kafka.admin();
    await admin.connect();
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topics.events] }).finally(() => admin.disconnect())).topics;
    const partitions = metadata?.partitions.length ?? 0;
    if (partitions > 0) console.log(`SMOKE ${verify.name}: product-window events lost by task ${JSON.stringify(lostByProductTask(expectation.products, actualProducts, partitions))}`);
  }
  if (unknownCategoryEvents.actual !== unknownCategoryEvents.expected) {
    console.log(
      `SMOKE ${verify.name}: ${unknownCategoryEvents.actual} events counted in category '${unknownCategory}', ${unknownCategoryEvents.expected} expected: the rest were joined while the catalog table lacked their product`,
    );
  }
  if (stuck.length > 0) console.log(`SMOKE ${verify.name}: partitions short of their end read_committed ${JSON.stringify(stuck)}`);
  const outputRecords = { products: records.get(topics.productAnalytics)!.length, categories: records.get(topics.categoryAnalytics)!.length };
  return { name: verify.name, expectation, products, categories, unknownCategoryEvents, openTransactions: stuck, outputRecords, killsSurvived: verify.killsSurvived, line };
}
