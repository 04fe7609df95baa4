/**
 * What the throughput harnesses share: the product events they pipe (generated with a fixed seed
 * and serialized once, before timing), option parsing, the serde-only ceiling, timing with GC
 * accounting, and the summary each prints (median, min and max over the runs, and a JSON line).
 */
import { cpus } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { seededRandom } from '../../test/support/seeded-random.js';

/** A product-analytics event as the shop's frontend writes it. */
export interface ProductEvent {
  readonly eventId: string;
  readonly type: 'view' | 'add_to_cart' | 'purchase';
  readonly productId: string;
  readonly userId: string;
  readonly price: number;
  readonly currency: string;
  readonly categories: readonly string[];
  readonly bot: boolean;
  readonly timestamp: number;
}

export interface Options {
  readonly records: number;
  readonly runs: number;
  readonly warmup: number;
}

export interface InputRecord {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly timestamp: number;
}

/** One timed loop: when it started and ended (performance.now() ms) and what it wrote. */
export interface Timing {
  readonly startMs: number;
  readonly endMs: number;
  readonly output: number;
}

export interface RunSummary {
  readonly recordsPerSecond: { readonly median: number; readonly min: number; readonly max: number };
  readonly nsPerRecord: { readonly median: number; readonly min: number; readonly max: number };
  /** Median share of the timed loop spent in GC pauses. */
  readonly gcShare: number;
}

/** Node version, CPU model and cores, for the JSON line. */
export interface Machine {
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly platform: string;
}

export function describeMachine(): Machine {
  return { node: process.version, cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, platform: `${process.platform}-${process.arch}` };
}

/** Parses `--records N --runs N --warmup N`; `--help` prints `usage` and exits. */
export function parseOptions(argv: readonly string[], usage: string): Options {
  const values: Record<keyof Options, number> = { records: 200_000, runs: 5, warmup: 50_000 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    // `pnpm bench -- --runs 3` passes the `--` through.
    if (flag === '--') continue;
    const name = flag.replace(/^--/, '');
    if (!(name in values)) throw new Error(`Unknown option '${flag}'. ${usage}`);
    const text = argv[++index];
    const value = Number(text);
    const minimum = name === 'warmup' ? 0 : 1;
    if (text === undefined || !Number.isInteger(value) || value < minimum) {
      throw new Error(`Option '${flag}' takes an integer of at least ${minimum}, got ${text === undefined ? 'nothing' : `'${text}'`}.`);
    }
    values[name as keyof Options] = value;
  }
  return values;
}

// A seeded generator, so every run pipes the same events.
export { seededRandom };

export const categoryNames = ['audio', 'books', 'garden', 'kitchen', 'toys', 'sports', 'outdoor', 'office'];
const eventTypes: readonly ProductEvent['type'][] = ['view', 'view', 'view', 'view', 'view', 'view', 'add_to_cart', 'add_to_cart', 'purchase'];

/** The id of product `index`, as events and the catalog write it. */
export function productId(index: number): string {
  return `p-${String(index).padStart(6, '0')}`;
}

/** When the generated events start (epoch ms); they are 10 ms apart. */
const eventsStartMs = Date.UTC(2026, 0, 1);

/**
 * Serialized events keyed by product id, 10 ms apart in event time: 10% from bots, 10% in two
 * categories (the second is 'sale'), the rest in one; products drawn uniformly from `products`.
 */
export function generateInput(count: number, products = 50_000): InputRecord[] {
  const random = seededRandom(42);
  const records: InputRecord[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const product = productId(Math.floor(random() * products));
    const first = categoryNames[Math.floor(random() * categoryNames.length)]!;
    const event: ProductEvent = {
      eventId: `e-${String(index).padStart(8, '0')}`,
      type: eventTypes[Math.floor(random() * eventTypes.length)]!,
      productId: product,
      userId: `u-${String(Math.floor(random() * 20_000)).padStart(5, '0')}`,
      price: Math.round(random() * 50_000) / 100,
      currency: 'EUR',
      categories: random() < 0.1 ? [first, 'sale'] : [first],
      bot: random() < 0.1,
      timestamp: eventsStartMs + index * 10,
    };
    records[index] = { key: Buffer.from(product, 'utf8'), value: Buffer.from(JSON.stringify(event), 'utf8'), timestamp: event.timestamp };
  }
  return records;
}

export function averageValueBytes(input: readonly InputRecord[]): number {
  return Math.round(input.reduce((sum, record) => sum + record.value.length, 0) / input.length);
}

/** The ceiling: per record, what the serdes alone cost (string key, JSON value, both ways). */
export function runCeiling(input: readonly InputRecord[], count: number): Timing {
  let bytes = 0;
  const startMs = performance.now();
  for (let index = 0; index < count; index++) {
    const record = input[index]!;
    const key = record.key.toString('utf8');
    const value: unknown = JSON.parse(record.value.toString('utf8'));
    bytes += Buffer.from(key, 'utf8').length + Buffer.from(JSON.stringify(value), 'utf8').length;
  }
  const endMs = performance.now();
  // Using the sum keeps the loop from being optimized away.
  if (bytes === 0) throw new Error('The ceiling wrote no bytes.');
  return { startMs, endMs, output: count };
}

/**
 * Garbage-collection time inside timed loops, from V8's `gc` performance entries. They arrive
 * asynchronously, so `settle()` yields to the event loop before `within` is asked.
 */
export class GcClock {
  private readonly pauses: { startMs: number; durationMs: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.pauses.push({ startMs: entry.startTime, durationMs: entry.duration });
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  async settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** Milliseconds of GC pauses that started inside `timing`. */
  within(timing: Timing): number {
    let total = 0;
    for (const pause of this.pauses) if (pause.startMs >= timing.startMs && pause.startMs < timing.endMs) total += pause.durationMs;
    return total;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(timings: readonly Timing[], records: number, gc: GcClock): RunSummary {
  const elapsedMs = timings.map((timing) => timing.endMs - timing.startMs);
  const rates = elapsedMs.map((ms) => (records * 1000) / ms);
  const perRecord = elapsedMs.map((ms) => (ms * 1e6) / records);
  const gcShares = timings.map((timing, index) => gc.within(timing) / elapsedMs[index]!);
  return {
    recordsPerSecond: { median: Math.round(median(rates)), min: Math.round(Math.min(...rates)), max: Math.round(Math.max(...rates)) },
    nsPerRecord: { median: Math.round(median(perRecord)), min: Math.round(Math.min(...perRecord)), max: Math.round(Math.max(...perRecord)) },
    gcShare: Number(median(gcShares).toFixed(3)),
  };
}

export function rate(records: number, timing: Timing): string {
  return `${Math.round((records * 1000) / (timing.endMs - timing.startMs)).toLocaleString('en-US')} rec/s`;
}

export function printSummary(label: string, summary: RunSummary): void {
  const { recordsPerSecond: rates, nsPerRecord: ns } = summary;
  const format = (value: number): string => `${value.toLocaleString('en-US')} rec/s`.padStart(14);
  console.log(
    `${label.padEnd(26)} median ${format(rates.median)}  min ${format(rates.min)}  max ${format(rates.max)}  ` +
      `${ns.median} ns/record (${ns.min}-${ns.max}), GC ${(summary.gcShare * 100).toFixed(0)}% of the time`,
  );
}

/** Throws when a run dropped records, since its figures would then measure less work. */
export function checkNothingDropped(dropped: ReadonlyMap<string, number>, benchmark: string): void {
  if (dropped.size > 0) throw new Error(`${benchmark} dropped records, so the figures are wrong: ${JSON.stringify([...dropped])}.`);
}
