/**
 * What the web dashboard shows, and where it reads it: the analytics come from the state stores
 * through interactive queries, never from the output topics, so with several Kafka instances
 * every page shows the one whole picture. Embedded, the reads go to the runner's stores; on Kafka,
 * through the query server's routes, which ask every instance holding a store (or forward a key's
 * read to the one holding it). A snapshot is built from these reads once a second.
 */
import { QueryableStoreTypes, StreamsError, type EmbeddedRunner } from '@tributary/streams';
import type { Alert } from './model.js';
import type { FunnelAggregate, TrendAggregate } from './serdes.js';
import { defaultOptions, storeNames } from './topology.js';

/** One product's or category's 5-minute window, as the dashboard shows it. */
export interface WindowStats {
  /** The productId or category. */
  readonly key: string;
  /** The product's catalog name (for a category: the category). */
  readonly name: string;
  readonly category: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly views: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  /** Rounded to cents. */
  readonly revenue: number;
  /** Purchases per view, 0 without views. */
  readonly conversionRate: number;
  /** The HyperLogLog estimate, rounded. */
  readonly uniqueUsers: number;
  /** Event time of the latest event counted. */
  readonly updatedAt: number;
}

/** One hopping trend window of a product. */
export interface TrendPoint {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly views: number;
  readonly purchases: number;
  /** Event time of the latest event counted. */
  readonly updatedAt: number;
}

/** A funnel aggregate as JSON carries it: the counts, and the sketch's estimate instead of its registers. */
interface FunnelJson {
  readonly views: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  readonly revenue: number;
  readonly name: string;
  readonly category: string;
  readonly lastEventAt: number;
  readonly uniqueUsers: number;
}

/** The JSON form of a `FunnelAggregate` (the query server's `toJson` for the window stores); anything else as it is. */
export function funnelToJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('users' in value)) return value;
  const aggregate = value as FunnelAggregate;
  const json: FunnelJson = {
    views: aggregate.views,
    clicks: aggregate.clicks,
    addToCarts: aggregate.addToCarts,
    purchases: aggregate.purchases,
    revenue: Math.round(aggregate.revenue * 100) / 100,
    name: aggregate.name,
    category: aggregate.category,
    lastEventAt: aggregate.lastEventAt,
    uniqueUsers: Math.round(aggregate.users.count()),
  };
  return json;
}

function windowStats(key: string, windowStart: number, windowEnd: number, funnel: FunnelJson): WindowStats {
  return {
    key,
    name: funnel.name,
    category: funnel.category,
    windowStart,
    windowEnd,
    views: funnel.views,
    clicks: funnel.clicks,
    addToCarts: funnel.addToCarts,
    purchases: funnel.purchases,
    revenue: funnel.revenue,
    conversionRate: funnel.views === 0 ? 0 : funnel.purchases / funnel.views,
    uniqueUsers: funnel.uniqueUsers,
    updatedAt: funnel.lastEventAt,
  };
}

/** The dashboard's reads of the analytics stores. */
export interface AnalyticsReader {
  /** Every category window still retained (a few windows of a few dozen categories). */
  categoryWindows(): Promise<WindowStats[]>;
  /** Every product's window starting at `windowStart`; `truncated` when there were more than a read returns. */
  productWindows(windowStart: number): Promise<{ readonly entries: WindowStats[]; readonly truncated: boolean }>;
  /** A product's trend windows starting from `from` to `to`, oldest first. */
  trendWindows(productId: string, from: number, to: number): Promise<TrendPoint[]>;
}

const windowSizeMs = defaultOptions.windowSizeMs;
const trendWindowSizeMs = defaultOptions.trendWindowSizeMs;

/** Reads an embedded run's stores directly: the runner's `query`, on this thread. */
export function embeddedReader(runner: EmbeddedRunner): AnalyticsReader {
  const funnels = (store: string) => runner.query(store, QueryableStoreTypes.windowStore<string, FunnelAggregate>());
  return {
    async categoryWindows() {
      const found: WindowStats[] = [];
      for (const entry of funnels(storeNames.categoryWindows).all()) {
        found.push(windowStats(entry.key.key, entry.key.window.start, entry.key.window.end, funnelToJson(entry.value) as FunnelJson));
      }
      return found;
    },
    async productWindows(windowStart) {
      const found: WindowStats[] = [];
      for (const entry of funnels(storeNames.productWindows).fetchAll(windowStart, windowStart)) {
        found.push(windowStats(entry.key.key, entry.key.window.start, entry.key.window.end, funnelToJson(entry.value) as FunnelJson));
      }
      return { entries: found, truncated: false };
    },
    async trendWindows(productId, from, to) {
      const store = runner.query(storeNames.trendWindows, QueryableStoreTypes.windowStore<string, TrendAggregate>());
      const found: TrendPoint[] = [];
      for (const entry of store.fetchRange(productId, from, to)) {
        found.push({ windowStart: entry.key, windowEnd: entry.key + trendWindowSizeMs, views: entry.value.views, purchases: entry.value.purchases, updatedAt: entry.value.lastEventAt });
      }
      return found;
    },
  };
}

/**
 * A read the query server could not answer now (503 while rebalancing or restoring, an instance
 * unreachable), code `DASHBOARD_ANALYTICS_UNAVAILABLE`; the dashboard shows the message and keeps
 * the last analytics it read.
 */
class AnalyticsUnavailableError extends StreamsError {
  constructor(message: string, cause?: unknown) {
    super('DASHBOARD_ANALYTICS_UNAVAILABLE', message, cause === undefined ? {} : { cause });
  }
}

interface StoreAnswer<Entry> {
  readonly entries?: Entry[];
  readonly windows?: Entry[];
  readonly truncated?: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The largest answer the query server gives (its `maxLimit`). */
const limit = 1000;

/**
 * Reads through a query server's routes at `baseUrl` (this instance's own): a store's `all` route
 * asks every instance holding the store and joins their entries; a key's route is forwarded to the
 * instance holding the key. So each instance's dashboard shows every instance's analytics.
 */
export function queryServerReader(baseUrl: string, timeoutMs = 5_000): AnalyticsReader {
  async function get<Entry>(path: string): Promise<StoreAnswer<Entry> | undefined> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new AnalyticsUnavailableError(`The query server at ${baseUrl} did not answer ${path}: ${error instanceof Error ? error.message : String(error)}. The dashboard asks again in a second.`, error);
    }
    const answer = (await response.json()) as StoreAnswer<Entry>;
    if (response.status === 404 && answer.error?.code === 'KEY_NOT_FOUND') return undefined;
    if (response.status !== 200) throw new AnalyticsUnavailableError(answer.error?.message ?? `The query server answered ${path} with ${response.status}.`);
    return answer;
  }
  type WindowedEntry = { key: string; window: { start: number; end: number }; value: FunnelJson };
  const windows = async (path: string): Promise<{ entries: WindowStats[]; truncated: boolean }> => {
    const answer = await get<WindowedEntry>(path);
    return { entries: (answer?.entries ?? []).map((entry) => windowStats(entry.key, entry.window.start, entry.window.end, entry.value)), truncated: answer?.truncated === true };
  };
  return {
    categoryWindows: async () => (await windows(`/stores/${storeNames.categoryWindows}/all?limit=${limit}`)).entries,
    productWindows: (windowStart) => windows(`/stores/${storeNames.productWindows}/all?from=${windowStart}&to=${windowStart}&limit=${limit}`),
    async trendWindows(productId, from, to) {
      const answer = await get<{ start: number; value: TrendAggregate }>(`/stores/${storeNames.trendWindows}/keys/${encodeURIComponent(productId)}?from=${from}&to=${to}&limit=${limit}`);
      return (answer?.windows ?? []).map((window) => ({ windowStart: window.start, windowEnd: window.start + trendWindowSizeMs, views: window.value.views, purchases: window.value.purchases, updatedAt: window.value.lastEventAt }));
    },
  };
}

/** This instance's engine counters, and every instance's together. */
export interface Counters {
  /** Instances counted (embedded: 1). */
  readonly instances: number;
  /** Instances whose counters answered; fewer than `instances` while one cannot be reached. */
  readonly answering: number;
  /** Records processed per second over the last second (every sub-topology, repartitioned records included). */
  readonly recordsPerSecond: number;
  /** Records processed since each instance started. */
  readonly processed: number;
  /** Records waiting to be processed: the input partitions' lag on Kafka; embedded, events due by the rate but not yet sent. */
  readonly lag: number;
  /** Records the engine dropped (late beyond grace and other reasons). */
  readonly dropped: number;
}

/** Alerts the dashboard's feed holds. */
export const feedAlerts = 20;

/** The feed of events the stores do not keep: alerts and dead letters. */
export interface EventFeed {
  /** The latest alerts, oldest first. */
  readonly alerts: readonly Alert[];
  /** Alerts seen in all. */
  readonly alertCount: number;
  /** Records on the dead-letter topic (embedded: sent there since the start; on Kafka: all the topic holds). */
  readonly deadLetters: number;
}

/** What the page gets once a second, as one server-sent event. */
export interface DashboardSnapshot {
  /** Where the analytics run. */
  readonly mode: 'embedded' | 'kafka';
  /** Wall clock of the snapshot, epoch ms. */
  readonly at: number;
  /** The newest 5-minute window holding data, or `null` before the first results. */
  readonly window: { readonly start: number; readonly end: number } | null;
  /** The latest event time counted in that window. */
  readonly streamTime: number | null;
  /** The window's top products by views, then by revenue. */
  readonly productsByViews: readonly WindowStats[];
  readonly productsByRevenue: readonly WindowStats[];
  /** Products in the window in all (the lists hold the top ones). */
  readonly productCount: number;
  /** More products than one read returns (1000 on Kafka): the lists rank the ones read. */
  readonly productsTruncated: boolean;
  /** The window's categories by revenue. */
  readonly categories: readonly WindowStats[];
  readonly alerts: readonly Alert[];
  readonly alertCount: number;
  readonly deadLetters: number;
  readonly counters: Counters;
  /** Why the analytics could not be read now (rebalancing, restoring); the page keeps the last ones it had. */
  readonly status: string | null;
  /** The selected product's trend windows, when the page asked for one. */
  readonly trend: { readonly productId: string; readonly points: readonly TrendPoint[] } | null;
}

/** The analytics part of a snapshot, read once per tick and shared by every page. */
export type AnalyticsView = Pick<DashboardSnapshot, 'window' | 'streamTime' | 'productsByViews' | 'productsByRevenue' | 'productCount' | 'productsTruncated' | 'categories'>;

const topCount = 10;
/** How far back the trend chart reaches: the trend store keeps a few windows; the page keeps what it saw. */
export const trendLookbackMs = 60 * 60_000;

function top(stats: readonly WindowStats[], by: 'views' | 'revenue'): WindowStats[] {
  return [...stats].sort((a, b) => b[by] - a[by] || (a.key < b.key ? -1 : 1)).slice(0, topCount);
}

/**
 * Reads the current window's analytics: the newest category window holding data picks the window
 * (the window stores retain only the last few), then every product's stats in it.
 */
export async function readAnalytics(reader: AnalyticsReader): Promise<AnalyticsView> {
  const categoryWindows = await reader.categoryWindows();
  let newest = Number.NEGATIVE_INFINITY;
  for (const stats of categoryWindows) newest = Math.max(newest, stats.windowStart);
  if (newest === Number.NEGATIVE_INFINITY) return { window: null, streamTime: null, productsByViews: [], productsByRevenue: [], productCount: 0, productsTruncated: false, categories: [] };
  const categories = categoryWindows.filter((stats) => stats.windowStart === newest);
  const { entries: products, truncated } = await reader.productWindows(newest);
  let streamTime = 0;
  for (const stats of categories) streamTime = Math.max(streamTime, stats.updatedAt);
  return {
    window: { start: newest, end: newest + windowSizeMs },
    streamTime,
    productsByViews: top(products, 'views'),
    productsByRevenue: top(products, 'revenue'),
    productCount: products.length,
    productsTruncated: truncated,
    categories: top(categories, 'revenue'),
  };
}
