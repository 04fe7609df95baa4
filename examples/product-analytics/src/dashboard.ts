/**
 * The live view of `product-analytics run`: keeps the latest stats of the current window per
 * product and category as results arrive, and renders them, once a second, either as a
 * redrawn terminal screen or (when stdout is not a terminal) as plain lines a script can read.
 */
import type { Alert, CategoryStats, ProductStats } from './model.js';

/** Counters the runner reports with each frame. */
export interface Throughput {
  /** Seconds since the run started. */
  readonly elapsedSeconds: number;
  /** Events sent (all kinds) since the start. */
  readonly sent: number;
  /** Events per second over the last interval. */
  readonly eventsPerSecond: number;
  /** Records the engine processed since the start (all topics, internal ones included). */
  readonly processed: number;
  /** Records dropped by the engine (late beyond grace and others), by reason. */
  readonly dropped: ReadonlyMap<string, number>;
  /** Records on the dead-letter topic. */
  readonly deadLetters: number;
  /** How far the engine's stream time is ahead of the wall clock, ms (a clock set wrong somewhere). */
  readonly streamTimeAheadOfWallClockMs: number;
}

const topCount = 5;

function money(amount: number): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 16);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + ' '.repeat(width - text.length);
}

function padStart(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

/** A warning when stream time runs more than a second ahead of the wall clock, else nothing. */
export function streamTimeAhead(aheadMs: number): string {
  return aheadMs > 1_000 ? ` | stream time ${(aheadMs / 1000).toFixed(0)}s ahead of the clock: a producer's clock is wrong` : '';
}

/** One alert as a line. */
export function formatAlert(alert: Alert): string {
  return `ALERT ${alert.alertType} ${alert.productId} (${alert.category}) ${alert.message} [window ${clock(alert.windowStart)}–${clock(alert.windowEnd)}]`;
}

/** The state behind the view: the latest stats of the newest window, and recent alerts. */
export class Dashboard {
  private readonly products = new Map<string, ProductStats>();
  private readonly categories = new Map<string, CategoryStats>();
  private readonly alerts: Alert[] = [];
  private pendingAlerts: Alert[] = [];
  private currentWindow = Number.NEGATIVE_INFINITY;
  private alertCount = 0;

  /** `webUrl`: where `--http` serves the web dashboard, shown on the terminal screen. */
  constructor(private readonly webUrl?: string) {}

  addProductStats(stats: ProductStats): void {
    if (stats.windowStart > this.currentWindow) {
      this.currentWindow = stats.windowStart;
      this.products.clear();
      this.categories.clear();
    }
    if (stats.windowStart === this.currentWindow) this.products.set(stats.productId, stats);
  }

  addCategoryStats(stats: CategoryStats): void {
    if (stats.windowStart === this.currentWindow) this.categories.set(stats.category, stats);
    else if (stats.windowStart > this.currentWindow) {
      this.currentWindow = stats.windowStart;
      this.products.clear();
      this.categories.clear();
      this.categories.set(stats.category, stats);
    }
  }

  addAlert(alert: Alert): void {
    this.alertCount++;
    this.alerts.push(alert);
    if (this.alerts.length > 8) this.alerts.shift();
    this.pendingAlerts.push(alert);
  }

  /** Alerts that arrived since the last call. */
  takeNewAlerts(): Alert[] {
    const alerts = this.pendingAlerts;
    this.pendingAlerts = [];
    return alerts;
  }

  private top<T extends { views: number; revenue: number }>(values: Iterable<T>, by: 'views' | 'revenue'): T[] {
    return [...values].sort((a, b) => b[by] - a[by]).slice(0, topCount);
  }

  private throughputLine(throughput: Throughput): string {
    let dropped = 0;
    for (const count of throughput.dropped.values()) dropped += count;
    return `throughput: ${Math.round(throughput.eventsPerSecond)} events/s | sent ${throughput.sent} | processed ${throughput.processed} | dlq ${throughput.deadLetters} | dropped ${dropped} | alerts ${this.alertCount} | ${throughput.elapsedSeconds.toFixed(0)}s${streamTimeAhead(throughput.streamTimeAheadOfWallClockMs)}`;
  }

  /** Plain lines for a non-terminal stdout: throughput, then the top products and categories, then new alerts. */
  plainLines(throughput: Throughput): string[] {
    const lines = [this.throughputLine(throughput)];
    if (this.currentWindow !== Number.NEGATIVE_INFINITY) {
      for (const stats of this.top(this.products.values(), 'views')) {
        lines.push(`product ${stats.productId} "${stats.name}" ${stats.category} window ${clock(stats.windowStart)} views=${stats.views} clicks=${stats.clicks} carts=${stats.addToCarts} purchases=${stats.purchases} revenue=${money(stats.revenue)} conversion=${percent(stats.conversionRate)} users=${stats.uniqueUsers}`);
      }
      for (const stats of this.top(this.categories.values(), 'revenue')) {
        lines.push(`category ${stats.category} window ${clock(stats.windowStart)} views=${stats.views} purchases=${stats.purchases} revenue=${money(stats.revenue)} users=${stats.uniqueUsers}`);
      }
    }
    for (const alert of this.takeNewAlerts()) lines.push(formatAlert(alert));
    return lines;
  }

  /** A full screen for a terminal: two tables per subject, the latest alerts, and the counters. */
  screen(throughput: Throughput, width: number): string {
    const lines: string[] = [];
    const title = 'Tributary · product analytics (embedded)';
    const window = this.currentWindow === Number.NEGATIVE_INFINITY ? 'waiting for the first results…' : `window ${clock(this.currentWindow)}–${clock(this.currentWindow + 5 * 60_000)} UTC`;
    lines.push(`\x1b[1m${title}\x1b[0m   ${window}`, '');
    const productRow = (stats: ProductStats) =>
      `  ${pad(stats.productId, 6)} ${pad(stats.name, 22)} ${pad(stats.category, 11)} ${padStart(String(stats.views), 7)} ${padStart(String(stats.purchases), 6)} ${padStart(money(stats.revenue), 12)} ${padStart(percent(stats.conversionRate), 6)} ${padStart(String(stats.uniqueUsers), 6)}`;
    const productHeader = `  ${pad('id', 6)} ${pad('product', 22)} ${pad('category', 11)} ${padStart('views', 7)} ${padStart('buys', 6)} ${padStart('revenue', 12)} ${padStart('conv', 6)} ${padStart('users', 6)}`;
    lines.push('\x1b[1mTop products by views\x1b[0m', `\x1b[2m${productHeader}\x1b[0m`, ...this.top(this.products.values(), 'views').map(productRow), '');
    lines.push('\x1b[1mTop products by revenue\x1b[0m', `\x1b[2m${productHeader}\x1b[0m`, ...this.top(this.products.values(), 'revenue').map(productRow), '');
    const categoryHeader = `  ${pad('category', 12)} ${padStart('views', 8)} ${padStart('buys', 6)} ${padStart('revenue', 13)} ${padStart('conv', 6)} ${padStart('users', 6)}`;
    const categoryRow = (stats: CategoryStats) =>
      `  ${pad(stats.category, 12)} ${padStart(String(stats.views), 8)} ${padStart(String(stats.purchases), 6)} ${padStart(money(stats.revenue), 13)} ${padStart(percent(stats.conversionRate), 6)} ${padStart(String(stats.uniqueUsers), 6)}`;
    lines.push('\x1b[1mTop categories by revenue\x1b[0m', `\x1b[2m${categoryHeader}\x1b[0m`, ...this.top(this.categories.values(), 'revenue').map(categoryRow), '');
    lines.push('\x1b[1mAlerts\x1b[0m');
    if (this.alerts.length === 0) lines.push('  (none yet)');
    for (const alert of this.alerts.slice(-5)) lines.push(`  \x1b[33m${formatAlert(alert).slice(0, Math.max(20, width - 2))}\x1b[0m`);
    this.pendingAlerts = [];
    lines.push('', this.throughputLine(throughput));
    if (this.webUrl !== undefined) lines.push(`web dashboard: ${this.webUrl}/`);
    lines.push('\x1b[2mCtrl-C to stop\x1b[0m');
    // Home, draw, and clear what is left of each line and below: no flicker from a full clear.
    return `\x1b[H${lines.map((line) => `${line}\x1b[K`).join('\n')}\n\x1b[J`;
  }
}
