#!/usr/bin/env node
/**
 * Stateless throughput: records per second through a five-operator topology (filter →
 * mapValues → selectKey → flatMapValues → mapValues → to) run by the `TopologyTestDriver`, on
 * ~170-byte JSON product events. The input is serialized once, up front, and piped as raw bytes,
 * so the timed loop is the engine and its serdes (String keys, JSON values) plus the test
 * driver's per-record cost. Beside it, in the same process, a ceiling: the same bytes
 * deserialized and serialized again with no topology at all (string key, JSON.parse,
 * JSON.stringify). The ratio of the two is the figure to watch.
 *
 * Usage: node dist/stateless.js [--records N] [--runs N] [--warmup N]
 */
import { cpus } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Consumed, Produced, Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';

/** A product-analytics event as the shop's frontend writes it. */
interface ProductEvent {
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

/** What the topology writes: one record per user, product and category. */
interface CategoryActivity {
  readonly userId: string;
  readonly productId: string;
  readonly category: string;
  readonly type: ProductEvent['type'];
  readonly priceCents: number;
  readonly timestamp: number;
}

interface Options {
  readonly records: number;
  readonly runs: number;
  readonly warmup: number;
}

interface InputRecord {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly timestamp: number;
}

/** One timed loop: when it started and ended (performance.now() ms) and what it wrote. */
interface Timing {
  readonly startMs: number;
  readonly endMs: number;
  readonly output: number;
}

interface RunSummary {
  readonly recordsPerSecond: { readonly median: number; readonly min: number; readonly max: number };
  readonly nsPerRecord: { readonly median: number; readonly min: number; readonly max: number };
  /** Median share of the timed loop spent in GC pauses. */
  readonly gcShare: number;
}

const inputTopic = 'product-events';
const outputTopic = 'category-activity-by-user';
const usage = 'Usage: node benchmarks/dist/stateless.js [--records N (default 200000)] [--runs N (default 5)] [--warmup N (default 50000)]';

function parseOptions(argv: readonly string[]): Options {
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

/** A small seeded generator (mulberry32), so every run pipes the same events. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const categoryNames = ['audio', 'books', 'garden', 'kitchen', 'toys', 'sports', 'outdoor', 'office'];
const eventTypes: readonly ProductEvent['type'][] = ['view', 'view', 'view', 'view', 'view', 'view', 'add_to_cart', 'add_to_cart', 'purchase'];

/**
 * Serialized events: 10% from bots (the filter drops them), 10% in two categories (flatMapValues
 * emits two records), the rest in one, so the output is about as many records as the input.
 */
function generateInput(count: number): InputRecord[] {
  const random = seededRandom(42);
  const start = Date.UTC(2026, 0, 1);
  const records: InputRecord[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const productId = `p-${String(Math.floor(random() * 50_000)).padStart(6, '0')}`;
    const first = categoryNames[Math.floor(random() * categoryNames.length)]!;
    const event: ProductEvent = {
      eventId: `e-${String(index).padStart(8, '0')}`,
      type: eventTypes[Math.floor(random() * eventTypes.length)]!,
      productId,
      userId: `u-${String(Math.floor(random() * 20_000)).padStart(5, '0')}`,
      price: Math.round(random() * 50_000) / 100,
      currency: 'EUR',
      categories: random() < 0.1 ? [first, 'sale'] : [first],
      bot: random() < 0.1,
      timestamp: start + index * 10,
    };
    records[index] = { key: Buffer.from(productId, 'utf8'), value: Buffer.from(JSON.stringify(event), 'utf8'), timestamp: event.timestamp };
  }
  return records;
}

/** The five stateless operators, keyed by product on the way in and by user on the way out. */
function buildTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(inputTopic, Consumed.with(Serdes.String(), Serdes.Json<ProductEvent>()))
    .filter((_productId, event) => !event.bot)
    // A projection, written out: `{ ...event, priceCents }` here costs about a quarter of the
    // throughput by itself (V8's object spread on a JSON.parse result), which is user code, not engine.
    .mapValues((event) => ({
      userId: event.userId,
      productId: event.productId,
      type: event.type,
      categories: event.categories,
      priceCents: Math.round(event.price * 100),
      timestamp: event.timestamp,
    }))
    .selectKey((_productId, event) => event.userId)
    .flatMapValues((event) => event.categories.map((category) => ({ event, category })))
    .mapValues(
      ({ event, category }): CategoryActivity => ({
        userId: event.userId,
        productId: event.productId,
        category,
        type: event.type,
        priceCents: event.priceCents,
        timestamp: event.timestamp,
      }),
    )
    .to(outputTopic, Produced.with(Serdes.String(), Serdes.Json<CategoryActivity>()));
  return builder.build();
}

/** Pipes `count` records through a fresh driver. */
function runEngine(input: readonly InputRecord[], count: number): Timing {
  const driver = new TopologyTestDriver(buildTopology(), { applicationId: 'bench-stateless', logger: silentLogger }, { initialWallClockTime: 0 });
  try {
    const topic = driver.createInputTopic(inputTopic, Serdes.Bytes(), Serdes.Bytes());
    const startMs = performance.now();
    for (let index = 0; index < count; index++) {
      const record = input[index]!;
      topic.pipeInput(record.key, record.value, record.timestamp);
    }
    const endMs = performance.now();
    const dropped = [...driver.droppedRecords()];
    if (dropped.length > 0) throw new Error(`The topology dropped records, so the figures are wrong: ${JSON.stringify(dropped)}.`);
    const output = driver.createOutputTopic(outputTopic, Serdes.Bytes(), Serdes.Bytes()).queueSize;
    return { startMs, endMs, output };
  } finally {
    driver.close();
  }
}

/** The ceiling: per record, what the serdes alone cost (string key, JSON value, both ways). */
function runCeiling(input: readonly InputRecord[], count: number): Timing {
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
class GcClock {
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

function summarize(timings: readonly Timing[], records: number, gc: GcClock): RunSummary {
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

function rate(records: number, timing: Timing): string {
  return `${Math.round((records * 1000) / (timing.endMs - timing.startMs)).toLocaleString('en-US')} rec/s`;
}

function printSummary(label: string, summary: RunSummary): void {
  const { recordsPerSecond: rates, nsPerRecord: ns } = summary;
  const format = (value: number): string => `${value.toLocaleString('en-US')} rec/s`.padStart(14);
  console.log(
    `${label.padEnd(22)} median ${format(rates.median)}  min ${format(rates.min)}  max ${format(rates.max)}  ` +
      `${ns.median} ns/record (${ns.min}-${ns.max}), GC ${(summary.gcShare * 100).toFixed(0)}% of the time`,
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const benchmarkStart = performance.now();
  const gc = new GcClock();
  const machine = { node: process.version, cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, platform: `${process.platform}-${process.arch}` };
  const input = generateInput(Math.max(options.records, options.warmup));
  const averageBytes = Math.round(input.reduce((sum, record) => sum + record.value.length, 0) / input.length);

  console.log('stateless-5-op: filter → mapValues → selectKey → flatMapValues → mapValues → to, through TopologyTestDriver');
  console.log(`machine: Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores (${machine.platform})`);
  console.log(
    `input: ${options.records.toLocaleString('en-US')} records/run × ${options.runs} runs, ${averageBytes}-byte JSON values, ` +
      `warm-up ${options.warmup.toLocaleString('en-US')}`,
  );

  // Warm-up: let V8 optimize both loops before anything is timed.
  if (options.warmup > 0) {
    runEngine(input, options.warmup);
    runCeiling(input, options.warmup);
  }

  const engineTimings: Timing[] = [];
  const ceilingTimings: Timing[] = [];
  // Interleaved, so drift of the machine (other load, thermal) hits both sides alike.
  for (let run = 0; run < options.runs; run++) {
    const engine = runEngine(input, options.records);
    const ceiling = runCeiling(input, options.records);
    engineTimings.push(engine);
    ceilingTimings.push(ceiling);
    console.log(`  run ${run + 1}/${options.runs}: engine ${rate(options.records, engine)}, ceiling ${rate(options.records, ceiling)}`);
  }
  await gc.settle();
  gc.stop();

  const engine = summarize(engineTimings, options.records, gc);
  const ceiling = summarize(ceilingTimings, options.records, gc);
  const ratio = engine.recordsPerSecond.median / ceiling.recordsPerSecond.median;
  const outputRecords = engineTimings[0]!.output;
  console.log('');
  printSummary('engine (5 operators)', engine);
  printSummary('ceiling (serdes only)', ceiling);
  console.log(`engine / ceiling: ${(ratio * 100).toFixed(1)}% (median over median); ${outputRecords.toLocaleString('en-US')} output records per run`);
  console.log(
    JSON.stringify({
      benchmark: 'stateless-5-op',
      records: options.records,
      runs: options.runs,
      warmup: options.warmup,
      averageValueBytes: averageBytes,
      outputRecords,
      engine,
      ceiling,
      engineToCeiling: Number(ratio.toFixed(4)),
      machine,
      elapsedSeconds: Number(((performance.now() - benchmarkStart) / 1000).toFixed(1)),
      date: new Date().toISOString(),
    }),
  );
}

try {
  await main();
} catch (error) {
  console.error(`stateless-5-op: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
