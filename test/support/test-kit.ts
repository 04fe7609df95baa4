/**
 * The test kit of the packages' unit tests, imported as `#test-kit` (tsconfig.json's `paths` and
 * vitest.config.ts's alias): test drivers that close themselves when the test ends, the store
 * kind of the run, the serde fixtures every DSL suite uses, `numberTopology`, and the helpers the
 * stateless operators' tests share (`runNumbers`, `catchStreamsError`,
 * `expectTimestampAndHeadersKept`). The table, join and aggregation operators' own helpers sit
 * beside them, in `kstream/internal/ops/stateful-test-kit.ts`.
 *
 * Store kinds: the stateful DSL suites run against either store backend,
 * `TRIBUTARY_TEST_STORES=memory` (the default, the `unit` vitest project) or `level` (the
 * `unit-level` project), so one suite proves both. The kit lives outside `packages/streams`
 * because `@tributary/level` depends on the streams package; importing LevelDB only here,
 * dynamically, keeps streams free of it at run time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import type { DslStoreSuppliers, KStream, StreamsBuilderOptions, Topology } from '../../packages/streams/src/index.js';
import { StreamsError } from '../../packages/streams/src/errors/streams-error.js';
import { Consumed } from '../../packages/streams/src/kstream/consumed.js';
import { Produced } from '../../packages/streams/src/kstream/produced.js';
import { StreamsBuilder } from '../../packages/streams/src/kstream/streams-builder.js';
import { Headers } from '../../packages/streams/src/processor/headers.js';
import { silentLogger } from '../../packages/streams/src/logger.js';
import { Serdes } from '../../packages/streams/src/serde/serdes.js';
import { Stores } from '../../packages/streams/src/state/stores.js';
import { TestRecord, TopologyTestDriver } from '../../packages/streams/src/test-utils/index.js';
import { LocalRunner } from '../../packages/streams/src/processor/internal/local-runner.js';
import type { LocalRunnerOptions } from '../../packages/streams/src/processor/internal/local-runner.js';
import type { StreamsConfig } from '../../packages/streams/src/config.js';
import type { TestDriverConfig, TopologyTestDriverOptions } from '../../packages/streams/src/test-utils/index.js';

/** Reads `in` topics of string keys and values. */
export const strings = Consumed.with(Serdes.String(), Serdes.String());
/** Writes string keys and values. */
export const writeStrings = Produced.with(Serdes.String(), Serdes.String());
/** Reads string keys and Int32 values. */
export const numbers = Consumed.with(Serdes.String(), Serdes.Int32());
/** Writes string keys and Int32 values. */
export const writeNumbers = Produced.with(Serdes.String(), Serdes.Int32());

/** Which backend the DSL's own stores use in this run. */
export type StoreKind = 'memory' | 'level';

function readStoreKind(): StoreKind {
  const value = process.env['TRIBUTARY_TEST_STORES'] ?? 'memory';
  if (value !== 'memory' && value !== 'level') throw new Error(`TRIBUTARY_TEST_STORES must be 'memory' or 'level', got '${value}'.`);
  return value;
}

export const storeKind: StoreKind = readStoreKind();

const level = storeKind === 'level' ? await import('@tributary/level') : undefined;

/** Options for `new StreamsBuilder(...)`: the DSL's stores on this run's backend. */
export function builderOptions(): StreamsBuilderOptions {
  return level === undefined ? {} : { dslStoreSuppliers: level.LevelStores.dslStoreSuppliers() };
}

/** Suppliers of bare stores on this run's backend, for the store-level property tests. */
export function storeSuppliers(): DslStoreSuppliers {
  return level === undefined ? Stores.inMemoryDslStoreSuppliers() : level.LevelStores.dslStoreSuppliers();
}

let sharedStateDir: string | undefined;
/**
 * A state directory for stores opened by hand (one per test process, deleted when it exits), or
 * `undefined` in memory mode, where stores need none.
 */
export function storeStateDir(): string | undefined {
  if (level === undefined) return undefined;
  if (sharedStateDir === undefined) {
    const directory = mkdtempSync(join(tmpdir(), 'tributary-level-stores-'));
    process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
    sharedStateDir = directory;
  }
  return sharedStateDir;
}

/**
 * The fast-check run count for a property: LevelDB opens real databases per run, so the level
 * suite runs fewer cases of each property (the memory suite keeps the full count).
 */
export function propertyRuns(runs: number, levelRuns = 15): number {
  return level === undefined ? runs : Math.min(runs, levelRuns);
}

/**
 * A test driver on this run's backend, closed when the test finishes. With LevelDB its stores
 * are opened first, under a fresh state directory, and released and deleted when the test
 * finishes; `close()` keeps working as the tests call it (it starts the release, which the
 * test's end awaits).
 */
export async function openDriver(topology: Topology, config: TestDriverConfig = {}, options: TopologyTestDriverOptions = {}): Promise<TopologyTestDriver> {
  if (level === undefined) return closeWhenFinished(new TopologyTestDriver(topology, config, options));
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-level-suite-'));
  let driver: TopologyTestDriver;
  try {
    driver = await TopologyTestDriver.create(topology, config, { ...options, stateDir });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  let released: Promise<void> | undefined;
  const release = (): Promise<void> => (released ??= driver.closeAsync());
  driver.close = (): void => {
    void release().catch(() => undefined);
  };
  onTestFinished(async () => {
    try {
      await release();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
  return driver;
}

/**
 * A started {@link LocalRunner} on this run's backend, for tests that drive tasks directly; it is
 * closed (and with LevelDB, its stores released and their directory deleted) when the test finishes.
 */
export async function openRunner(topology: Topology, config: StreamsConfig, options: LocalRunnerOptions = {}): Promise<LocalRunner> {
  if (level === undefined) {
    const runner = new LocalRunner(topology, config, options);
    onTestFinished(() => runner.close());
    return runner;
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-level-suite-'));
  const runner = new LocalRunner(topology, config, { ...options, stateDir });
  onTestFinished(async () => {
    try {
      await runner.closeAndRelease();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
  await runner.prepare();
  return runner;
}

/**
 * {@link openDriver} as the DSL suites use it: a silent logger and the wall clock at 0 unless
 * `config` or `options` say otherwise.
 */
export function openQuietDriver(topology: Topology, config: TestDriverConfig = {}, options: TopologyTestDriverOptions = {}): Promise<TopologyTestDriver> {
  return openDriver(topology, { logger: silentLogger, ...config }, { initialWallClockTime: 0, ...options });
}

/**
 * A test driver on in-memory stores whatever the run's store kind (for tests of the driver and
 * the engine, not of stores), with a silent logger and the wall clock at 0 unless `config` or
 * `options` say otherwise; closed when the test finishes.
 */
export function openMemoryDriver(topology: Topology, config: TestDriverConfig = {}, options: TopologyTestDriverOptions = {}): TopologyTestDriver {
  return closeWhenFinished(new TopologyTestDriver(topology, { logger: silentLogger, ...config }, { initialWallClockTime: 0, ...options }));
}

function closeWhenFinished(driver: TopologyTestDriver): TopologyTestDriver {
  onTestFinished(() => driver.close());
  return driver;
}

/**
 * A topology reading `in` with string keys and Int32 values ({@link numbers}), shaped by `build`;
 * the DSL's stores on this run's backend ({@link builderOptions}).
 */
export function numberTopology(build: (stream: KStream<string, number>, builder: StreamsBuilder) => void): Topology {
  const builder = new StreamsBuilder(builderOptions());
  build(builder.stream('in', numbers), builder);
  return builder.build();
}

/**
 * Pipes `entries` into `in` (string keys, Int32 values) on an in-memory driver and returns what
 * `out` got, as key-value pairs read with string keys and `outputValueSerde` (Int32 unless given).
 */
export function runNumbers<V>(
  topology: Topology,
  entries: ReadonlyArray<readonly [string | null, number | null]>,
  outputValueSerde: Parameters<TopologyTestDriver['createOutputTopic']>[2] = Serdes.Int32(),
  config: TestDriverConfig = {},
): Array<{ key: string | null; value: V | null }> {
  const driver = openMemoryDriver(topology, config);
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
  const output = driver.createOutputTopic('out', Serdes.String(), outputValueSerde);
  input.pipeKeyValueList(entries);
  return output.readKeyValuesToList() as Array<{ key: string | null; value: V | null }>;
}

/** Runs `action` and returns what it threw, which must be a `StreamsError`; fails the test when it throws nothing. */
export function catchStreamsError(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    expect(StreamsError.isInstance(error)).toBe(true);
    return error;
  }
  throw new Error('Expected the action to throw.');
}

/**
 * Pipes one record (timestamp 42, two `trace` headers) from `in` through the stream `apply`
 * makes to `out`, and checks that exactly one record comes out with that timestamp and those
 * headers, in order.
 */
export function expectTimestampAndHeadersKept(apply: (stream: KStream<string, number>) => KStream<string, number>): void {
  const builder = new StreamsBuilder();
  apply(builder.stream('in', numbers)).to('out', writeNumbers);
  const driver = openMemoryDriver(builder.build());
  const headers = new Headers().add('trace', 'trace-1').add('trace', 'trace-2');
  driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput(new TestRecord('k', 1, 42, headers));
  const records = driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readRecordsToList();
  expect(records).toHaveLength(1);
  expect(records[0]!.timestamp).toBe(42);
  expect(records[0]!.headers.headers('trace').map((header) => header.value.toString('utf8'))).toEqual(['trace-1', 'trace-2']);
}
