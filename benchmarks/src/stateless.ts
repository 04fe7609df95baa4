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
import { performance } from 'node:perf_hooks';
import { Consumed, Produced, Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import {
  averageValueBytes,
  checkNothingDropped,
  describeMachine,
  GcClock,
  generateInput,
  parseOptions,
  printSummary,
  rate,
  runCeiling,
  summarize,
  type InputRecord,
  type ProductEvent,
  type Timing,
} from './harness.js';

/** What the topology writes: one record per user, product and category. */
interface CategoryActivity {
  readonly userId: string;
  readonly productId: string;
  readonly category: string;
  readonly type: ProductEvent['type'];
  readonly priceCents: number;
  readonly timestamp: number;
}

const inputTopic = 'product-events';
const outputTopic = 'category-activity-by-user';
const usage = 'Usage: node benchmarks/dist/stateless.js [--records N (default 200000)] [--runs N (default 5)] [--warmup N (default 50000)]';

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
    checkNothingDropped(driver.droppedRecords(), 'The topology');
    const output = driver.createOutputTopic(outputTopic, Serdes.Bytes(), Serdes.Bytes()).queueSize;
    return { startMs, endMs, output };
  } finally {
    driver.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), usage);
  const benchmarkStart = performance.now();
  const gc = new GcClock();
  const machine = describeMachine();
  const input = generateInput(Math.max(options.records, options.warmup));
  const averageBytes = averageValueBytes(input);

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
