#!/usr/bin/env node
/**
 * A million windows of unique-count sketches on LevelDB: memory and recovery (issue #15). Loads
 * `--events` events through the engine (the `EmbeddedRunner`, LevelDB stores, a commit every
 * second) into the flagship's kind of windowed aggregation, `countDistinct` users per key in
 * 5-minute windows, over `--keys` keys, and prints RSS, heap and state on disk at every million
 * events. Then it restores the store from the changelog the run wrote (streamed from a file, as a
 * restore streams it from Kafka) into a fresh state directory, timing it, and checks restored
 * windows against counts recomputed from the input.
 *
 * The input, all in one 5-minute window: one event in ten goes to one of `--hot-keys` keys (each
 * then sees about `events / 10 / hot-keys` users: dense sketches), the rest to the `--keys` keys in
 * turn (one or two users each: sparse ones), users drawn from `--users`. Memory is bounded by
 * configuration: the record cache (`--cache-mb`), LevelDB's block cache and write buffer and the
 * store's key index (`indexMaxEntries`), all printed; run under a small heap to show it:
 *
 *   pnpm --filter @tributary/benchmarks run bench:sketches [-- --keys N --events M]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { countDistinct, Consumed, EmbeddedRunner, Materialized, Serdes, silentLogger, StreamsBuilder, Stores, TimeWindows, UniqueCountSketch, uniqueCountSketchSerde } from '@tributary/streams';
import type { TimestampedWindowStore } from '@tributary/streams';
import { DEFAULT_LEVEL_CACHE_SIZE, DEFAULT_LEVEL_WRITE_BUFFER_SIZE, DEFAULT_LEVEL_INDEX_MAX_ENTRIES, LevelStores } from '@tributary/level';
import { ChangelogFile, contextFor, directoryMegabytes, megabytes, numberArgument, readChangelog, timestampedRecords } from './state-support.js';

const keyCount = numberArgument('--keys', 1_000_000);
const eventCount = numberArgument('--events', 2_000_000);
const hotKeyCount = numberArgument('--hot-keys', 100);
const userCount = numberArgument('--users', 200_000);
const cacheMaxBytes = numberArgument('--cache-mb', 10) * 1024 * 1024;
const reportEvery = numberArgument('--report-every', 1_000_000);
const applicationId = 'sketch-state';
const store = 'users-per-key';
const windowSizeMs = 5 * 60 * 1000;
const retentionMs = 24 * 60 * 60 * 1000;
/** A window boundary; every event falls in the 200 seconds after it, so in one window. */
const startTime = Date.UTC(2026, 0, 1);
const root = mkdtempSync(join(tmpdir(), 'tributary-sketch-state-'));

/** The key of event `index`: a hot key for one event in ten, else the keys in turn. */
function keyOf(index: number): string {
  if (index % 10 === 0) return `hot-${((index / 10) % hotKeyCount).toString(36)}`;
  return `key-${((index - Math.ceil(index / 10)) % keyCount).toString(36).padStart(5, '0')}`;
}

/** The user of event `index`, spread over the users by a multiplicative hash. */
function userOf(index: number): string {
  return `user-${(Math.imul(index + 1, 0x9e3779b1) >>> 0) % userCount}`;
}

function timestampOf(index: number): number {
  return startTime + Math.floor((index * 200_000) / eventCount);
}

function buildTopology() {
  const builder = new StreamsBuilder({ dslStoreSuppliers: LevelStores.dslStoreSuppliers() });
  const { initializer, aggregator } = countDistinct<string, string>((user) => user);
  builder
    .stream('events', Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(windowSizeMs, 0))
    .aggregate(initializer, aggregator, { ...Materialized.as(store), keySerde: Serdes.String(), valueSerde: uniqueCountSketchSerde(), retentionMs });
  return builder.build();
}

function peakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

let phaseStart = performance.now();
function report(phase: string, records: number, stateDir: string): void {
  const memory = process.memoryUsage();
  const seconds = (performance.now() - phaseStart) / 1000;
  console.log(
    `| ${phase} | ${records.toLocaleString('en-US')} | ${megabytes(memory.rss)} | ${megabytes(peakRssBytes())} | ${megabytes(memory.heapUsed)} | ${megabytes(memory.external + memory.arrayBuffers)} | ${directoryMegabytes(stateDir)} | ${seconds.toFixed(1)} | ${Math.round(records / seconds).toLocaleString('en-US')} |`,
  );
}

/** What the changelog's sketches weigh: the latest record per window is what a restore keeps, but every record is what Kafka stores. */
const changelogStats = { records: 0, valueBytes: 0, sparse: 0, dense: 0 };

async function load(stateDir: string, changelog: ChangelogFile): Promise<void> {
  const runner = await EmbeddedRunner.start(buildTopology(), { applicationId, logger: silentLogger, cacheMaxBytes }, { stateDir, commitIntervalMs: 1_000 });
  runner.onRecord(`${applicationId}-${store}-changelog`, (record) => {
    const value = record.value!;
    changelogStats.records++;
    changelogStats.valueBytes += value.length;
    // The value is the sketch's bytes (first byte 0x81: sparse); the store holds them behind their timestamp.
    if (value[0] === 0x81) changelogStats.sparse++;
    else changelogStats.dense++;
    changelog.append(0, record.key!, value, record.timestamp);
  });
  phaseStart = performance.now();
  for (let index = 0; index < eventCount; index++) {
    runner.send('events', Buffer.from(keyOf(index)), Buffer.from(userOf(index)), { timestamp: timestampOf(index) });
    // Yield to the event loop now and then, so the commit timer fires as it would under load.
    if (index % 2_000 === 1_999) await new Promise((resolve) => setImmediate(resolve));
    if ((index + 1) % reportEvery === 0 && index + 1 < eventCount) report('load', index + 1, stateDir);
  }
  await runner.commit();
  report('load', eventCount, stateDir);
  await runner.close();
  await LevelStores.closed();
}

/** Restores the store from the changelog into `stateDir`, then checks a few windows against counts recomputed from the input. */
async function restore(stateDir: string, changelog: string): Promise<void> {
  const context = contextFor(applicationId, stateDir);
  const supplier = LevelStores.persistentWindowStore(store, retentionMs, windowSizeMs, false);
  phaseStart = performance.now();
  const handle = await supplier.prepare(context);
  let nextReport = reportEvery;
  // A windowed aggregation's store is timestamped: its changelog's bare values go back behind their record timestamps.
  const restored = await handle.restore(timestampedRecords(readChangelog(changelog, 0), store), {
    onProgress: (count) => {
      if (count >= nextReport) {
        report('restore', count, stateDir);
        nextReport += reportEvery;
      }
    },
  });
  await handle.writeCheckpoint(restored);
  report('restore', restored, stateDir);
  const windows = Stores.timestampedWindowStoreBuilder(supplier, Serdes.String(), uniqueCountSketchSerde()).withLoggingDisabled().build() as TimestampedWindowStore<string, UniqueCountSketch>;
  windows.init(context);
  const probes = [keyOf(0), keyOf(10 * (hotKeyCount - 1)), keyOf(1), keyOf(eventCount - 1), keyOf(Math.floor(eventCount / 2) + 1)];
  const users = new Map(probes.map((key) => [key, new Set<string>()]));
  for (let index = 0; index < eventCount; index++) users.get(keyOf(index))?.add(userOf(index));
  for (const key of probes) {
    const exact = users.get(key)!;
    let expected = UniqueCountSketch.empty();
    for (const user of exact) expected = expected.with(user);
    const sketch = windows.fetch(key, startTime)?.value;
    console.log(`restored ${key}: ${String(sketch?.count())} users (${exact.size} exactly; recomputed sketch ${expected.count()}; ${sketch?.isSparse ? 'sparse' : 'dense'})`);
    if (sketch === undefined || sketch.count() !== expected.count() || !sketch.toBytes().equals(expected.toBytes())) throw new Error(`restored window of ${key} disagrees with the input`);
  }
  windows.close();
  await LevelStores.closed();
}

async function main(): Promise<void> {
  console.log(
    `sketch state: ${eventCount.toLocaleString('en-US')} events, ${keyCount.toLocaleString('en-US')} keys + ${hotKeyCount} hot keys in one 5-minute window, ${userCount.toLocaleString('en-US')} users; Node ${process.version}, heap limit ${megabytes(getHeapStatistics().heap_size_limit)} MB, record cache ${megabytes(cacheMaxBytes)} MB, LevelDB block cache ${megabytes(DEFAULT_LEVEL_CACHE_SIZE)} MB and write buffer ${megabytes(DEFAULT_LEVEL_WRITE_BUFFER_SIZE)} MB per store, indexMaxEntries ${DEFAULT_LEVEL_INDEX_MAX_ENTRIES.toLocaleString('en-US')}`,
  );
  console.log('| phase | records | RSS MB | peak RSS MB | heap MB | buffers MB | state on disk MB | seconds | records/s |');
  console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: |');
  const loadDir = join(root, 'load');
  const restoreDir = join(root, 'restore');
  mkdirSync(loadDir);
  mkdirSync(restoreDir);
  const changelog = new ChangelogFile(join(root, 'changelog.bin'));
  try {
    await load(loadDir, changelog);
    changelog.close();
    rmSync(loadDir, { recursive: true, force: true });
    await restore(restoreDir, changelog.path);
    const perWindow = changelogStats.valueBytes / changelogStats.records;
    console.log(
      `changelog: ${changelogStats.records.toLocaleString('en-US')} records, ${directoryMegabytes(changelog.path)} MB; sketch bytes per record ${perWindow.toFixed(1)} on average; ${changelogStats.sparse.toLocaleString('en-US')} sparse, ${changelogStats.dense.toLocaleString('en-US')} dense`,
    );
    console.log(
      JSON.stringify({ benchmark: 'sketch-state', events: eventCount, keys: keyCount, hotKeys: hotKeyCount, changelogRecords: changelogStats.records, sketchBytesPerRecord: Number(perWindow.toFixed(1)), peakRssMb: Math.round(peakRssBytes() / 1024 / 1024), node: process.version }),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
