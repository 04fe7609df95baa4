#!/usr/bin/env node
/**
 * Stateful throughput: records per second through three topologies run by the
 * `TopologyTestDriver`, on the ~170-byte JSON product events of the stateless benchmark (1,000
 * products here), serialized once up front and piped as raw bytes:
 * - `windowed-count`: groupByKey → 5-minute tumbling windows with 1-minute grace → count → to,
 *   with the default in-memory window store, caching on;
 * - `windowed-count-suppressed`: the same, with `suppress(untilWindowCloses)` before the sink, so
 *   one final count per product and window is written;
 * - `stream-table-join`: the events joined with a 1,000-product catalog table (piped before the
 *   timed loop), enriched, and written out.
 * Beside them, in the same process and interleaved run by run, the serde-only ceiling of the
 * stateless benchmark; each topology is reported against it.
 *
 * Usage: node dist/stateful.js [--records N] [--runs N] [--warmup N] [--only NAME]
 */
import { performance } from 'node:perf_hooks';
import {
  BufferConfig,
  Consumed,
  Produced,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  WindowedSerdes,
  silentLogger,
  type Topology,
} from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import {
  averageValueBytes,
  categoryNames,
  checkNothingDropped,
  describeMachine,
  GcClock,
  generateInput,
  parseOptions,
  printSummary,
  productId,
  rate,
  runCeiling,
  seededRandom,
  summarize,
  type InputRecord,
  type ProductEvent,
  type Timing,
} from './harness.js';

/** A catalog entry, keyed by product id. */
interface Product {
  readonly productId: string;
  readonly name: string;
  readonly brand: string;
  readonly category: string;
  readonly listPriceCents: number;
}

/** An event with its product's catalog entry folded in. */
interface EnrichedEvent {
  readonly eventId: string;
  readonly type: ProductEvent['type'];
  readonly productId: string;
  readonly productName: string;
  readonly brand: string;
  readonly category: string;
  readonly userId: string;
  readonly priceCents: number;
  readonly discountCents: number;
  readonly timestamp: number;
}

const productCount = 1_000;
const eventsTopic = 'product-events';
const catalogTopic = 'product-catalog';
const windowSizeMs = 5 * 60_000;
const windowGraceMs = 60_000;
const names = ['windowed-count', 'windowed-count-suppressed', 'stream-table-join'] as const;
type BenchmarkName = (typeof names)[number];
const usage =
  'Usage: node benchmarks/dist/stateful.js [--records N (default 200000)] [--runs N (default 5)] [--warmup N (default 50000)] ' +
  `[--only ${names.join('|')} (default: all)]`;

const windowedKeySerde = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), windowSizeMs);
const events = Consumed.with(Serdes.String(), Serdes.Json<ProductEvent>());

function windowedCount(suppressed: boolean): Topology {
  const builder = new StreamsBuilder();
  const counts = builder.stream(eventsTopic, events).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(windowSizeMs, windowGraceMs)).count();
  (suppressed ? counts.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())) : counts)
    .toStream()
    .to('events-per-product-window', Produced.with(windowedKeySerde, Serdes.Float64()));
  return builder.build();
}

function streamTableJoin(): Topology {
  const builder = new StreamsBuilder();
  const catalog = builder.table(catalogTopic, Consumed.with(Serdes.String(), Serdes.Json<Product>()));
  builder
    .stream(eventsTopic, events)
    .join(
      catalog,
      (event, product): EnrichedEvent => {
        const priceCents = Math.round(event.price * 100);
        return {
          eventId: event.eventId,
          type: event.type,
          productId: event.productId,
          productName: product.name,
          brand: product.brand,
          category: product.category,
          userId: event.userId,
          priceCents,
          discountCents: Math.max(0, product.listPriceCents - priceCents),
          timestamp: event.timestamp,
        };
      },
    )
    .to('enriched-events', Produced.with(Serdes.String(), Serdes.Json<EnrichedEvent>()));
  return builder.build();
}

/** The catalog, serialized: one entry per product the events name. */
function generateCatalog(): InputRecord[] {
  const random = seededRandom(7);
  const brands = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark'];
  const catalog: InputRecord[] = [];
  for (let index = 0; index < productCount; index++) {
    const product: Product = {
      productId: productId(index),
      name: `Product ${index}`,
      brand: brands[Math.floor(random() * brands.length)]!,
      category: categoryNames[Math.floor(random() * categoryNames.length)]!,
      listPriceCents: Math.round(random() * 5_000_000),
    };
    catalog.push({ key: Buffer.from(product.productId, 'utf8'), value: Buffer.from(JSON.stringify(product), 'utf8'), timestamp: 0 });
  }
  return catalog;
}

const topologies: Record<BenchmarkName, { readonly describe: string; readonly build: () => Topology; readonly output: string }> = {
  'windowed-count': {
    describe: 'groupByKey → 5-min tumbling windows, 1-min grace → count → to (in-memory store, caching on)',
    build: () => windowedCount(false),
    output: 'events-per-product-window',
  },
  'windowed-count-suppressed': {
    describe: 'the same → suppress(untilWindowCloses) → to',
    build: () => windowedCount(true),
    output: 'events-per-product-window',
  },
  'stream-table-join': {
    describe: 'join with a 1,000-product catalog table → enrich → to',
    build: streamTableJoin,
    output: 'enriched-events',
  },
};

/** Pipes `count` events through a fresh driver running `name`; the catalog goes in first, untimed. */
function runEngine(name: BenchmarkName, input: readonly InputRecord[], catalog: readonly InputRecord[], count: number): Timing {
  const { build, output } = topologies[name];
  const driver = new TopologyTestDriver(build(), { applicationId: `bench-${name}`, logger: silentLogger }, { initialWallClockTime: 0 });
  try {
    if (name === 'stream-table-join') {
      const catalogInput = driver.createInputTopic(catalogTopic, Serdes.Bytes(), Serdes.Bytes());
      for (const record of catalog) catalogInput.pipeInput(record.key, record.value, record.timestamp);
    }
    const topic = driver.createInputTopic(eventsTopic, Serdes.Bytes(), Serdes.Bytes());
    const startMs = performance.now();
    for (let index = 0; index < count; index++) {
      const record = input[index]!;
      topic.pipeInput(record.key, record.value, record.timestamp);
    }
    const endMs = performance.now();
    checkNothingDropped(driver.droppedRecords(), name);
    const written = driver.createOutputTopic(output, Serdes.Bytes(), Serdes.Bytes()).queueSize;
    return { startMs, endMs, output: written };
  } finally {
    driver.close();
  }
}

/** Takes `--only NAME` out of the arguments; the rest are the shared options. */
function parseSelection(argv: readonly string[]): { readonly selected: readonly BenchmarkName[]; readonly rest: readonly string[] } {
  const index = argv.indexOf('--only');
  if (index < 0) return { selected: names, rest: argv };
  const name = argv[index + 1];
  if (!names.includes(name as BenchmarkName)) throw new Error(`Option '--only' takes one of ${names.join(', ')}, got ${name === undefined ? 'nothing' : `'${name}'`}. ${usage}`);
  return { selected: [name as BenchmarkName], rest: [...argv.slice(0, index), ...argv.slice(index + 2)] };
}

async function main(): Promise<void> {
  const { selected, rest } = parseSelection(process.argv.slice(2));
  const options = parseOptions(rest, usage);
  const benchmarkStart = performance.now();
  const gc = new GcClock();
  const machine = describeMachine();
  const input = generateInput(Math.max(options.records, options.warmup), productCount);
  const catalog = generateCatalog();
  const averageBytes = averageValueBytes(input);

  console.log('stateful: windowed count, windowed count with suppression, stream-table join, through TopologyTestDriver');
  for (const name of selected) console.log(`  ${name}: ${topologies[name].describe}`);
  console.log(`machine: Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores (${machine.platform})`);
  console.log(
    `input: ${options.records.toLocaleString('en-US')} records/run × ${options.runs} runs, ${averageBytes}-byte JSON values, ` +
      `${productCount.toLocaleString('en-US')} products, 10 ms apart in event time, warm-up ${options.warmup.toLocaleString('en-US')}`,
  );

  // Warm-up: let V8 optimize every loop before anything is timed.
  if (options.warmup > 0) {
    for (const name of selected) runEngine(name, input, catalog, options.warmup);
    runCeiling(input, options.warmup);
  }

  const timings = new Map<BenchmarkName, Timing[]>(selected.map((name) => [name, []]));
  const ceilingTimings: Timing[] = [];
  // Interleaved, so drift of the machine (other load, thermal) hits every topology alike.
  for (let run = 0; run < options.runs; run++) {
    const line: string[] = [];
    for (const name of selected) {
      const timing = runEngine(name, input, catalog, options.records);
      timings.get(name)!.push(timing);
      line.push(`${name} ${rate(options.records, timing)}`);
    }
    const ceiling = runCeiling(input, options.records);
    ceilingTimings.push(ceiling);
    console.log(`  run ${run + 1}/${options.runs}: ${line.join(', ')}, ceiling ${rate(options.records, ceiling)}`);
  }
  await gc.settle();
  gc.stop();

  const ceiling = summarize(ceilingTimings, options.records, gc);
  const summaries = selected.map((name) => ({ name, summary: summarize(timings.get(name)!, options.records, gc), outputRecords: timings.get(name)![0]!.output }));
  console.log('');
  for (const { name, summary } of summaries) printSummary(name, summary);
  printSummary('ceiling (serdes only)', ceiling);
  for (const { name, summary, outputRecords } of summaries) {
    const ratio = summary.recordsPerSecond.median / ceiling.recordsPerSecond.median;
    console.log(`${name} / ceiling: ${(ratio * 100).toFixed(1)}% (median over median); ${outputRecords.toLocaleString('en-US')} output records per run`);
  }
  const elapsedSeconds = Number(((performance.now() - benchmarkStart) / 1000).toFixed(1));
  const date = new Date().toISOString();
  for (const { name, summary, outputRecords } of summaries) {
    console.log(
      JSON.stringify({
        benchmark: name,
        records: options.records,
        runs: options.runs,
        warmup: options.warmup,
        averageValueBytes: averageBytes,
        products: productCount,
        outputRecords,
        engine: summary,
        ceiling,
        engineToCeiling: Number((summary.recordsPerSecond.median / ceiling.recordsPerSecond.median).toFixed(4)),
        machine,
        elapsedSeconds,
        date,
      }),
    );
  }
}

try {
  await main();
} catch (error) {
  console.error(`stateful: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
