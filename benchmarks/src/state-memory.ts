#!/usr/bin/env node
/**
 * LevelDB state larger than the heap: loads `--ids` distinct ids through the engine (the
 * `EmbeddedRunner`, LevelDB stores, a commit every second) into the flagship's stores, and prints
 * RSS and heap at every million records; then restores every store from the changelog the run
 * wrote (streamed from a file, as a restore streams it from Kafka) into a fresh state directory,
 * printing the same figures, and reads the restored stores back. Run it under a small heap to
 * show memory does not grow with the number of keys:
 *
 *   node --max-old-space-size=400 dist/state-memory.js --ids 10000000 --window-keys 1000000
 *
 * The topology, per record (key: a distinct id, value: one of `--window-keys` window keys):
 * - de-duplication by id in event time (the flagship's `DeduplicateInEventTime`: a window store,
 *   `fetchRange` and `put` per record), every id live for the whole run;
 * - a count per id (a key-value store with one entry per id);
 * - a windowed count per window key (tumbling 1-minute windows, re-keyed through a repartition).
 *
 * Usage: pnpm --filter @tributary/benchmarks run bench:memory [-- --ids N --window-keys M]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Consumed, EmbeddedRunner, Named, QueryableStoreTypes, Serdes, silentLogger, StreamsBuilder, Stores, TimeWindows } from '@tributary/streams';
import type { Serde, TimestampedKeyValueStore, TimestampedWindowStore, WindowStore } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { LevelStores } from '@tributary/level';
import { DeduplicateInEventTime } from '../../examples/product-analytics/src/processors.js';
import { ChangelogFile, contextFor, directoryMegabytes, megabytes, numberArgument, readChangelog, timestampedRecords } from './state-support.js';

const idCount = numberArgument('--ids', 1_000_000);
const windowKeyCount = Math.min(numberArgument('--window-keys', 1_000_000), idCount);
const reportEvery = numberArgument('--report-every', 1_000_000);
const applicationId = 'state-memory';
const horizonMs = 60 * 60 * 1000;
const dedupeRetentionMs = horizonMs;
const windowSizeMs = 60 * 1000;
const windowRetentionMs = 24 * 60 * 60 * 1000;
const startTime = Date.UTC(2026, 0, 1);
/** 100 records per millisecond of event time: 10M ids span under two minutes, all within the horizon. */
const recordsPerMs = 100;
const stores = { dedupe: 'dedupe-ids', counts: 'id-counts', windows: 'window-counts' } as const;
const root = mkdtempSync(join(tmpdir(), 'tributary-state-memory-'));

function buildTopology() {
  const builder = new StreamsBuilder({ dslStoreSuppliers: LevelStores.dslStoreSuppliers() });
  builder.addStateStore(Stores.windowStoreBuilder(LevelStores.persistentWindowStore(stores.dedupe, dedupeRetentionMs, horizonMs, false), Serdes.String(), Serdes.Float64()));
  const events = builder
    .stream('events', Consumed.with(Serdes.String(), Serdes.String()))
    .processValues(() => new DeduplicateInEventTime<string, string>(stores.dedupe, horizonMs, (record) => record.key), Named.as('dedupe'), stores.dedupe);
  events.groupByKey().count({ storeName: stores.counts });
  events
    .groupBy((_id, windowKey) => windowKey, { name: 'by-window-key', keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .windowedBy(TimeWindows.ofSizeAndGrace(windowSizeMs, 0))
    .count({ storeName: stores.windows, retentionMs: windowRetentionMs });
  return builder.build();
}

let phaseStart = performance.now();
let peakRss = 0;
function report(phase: string, records: number, stateDir: string): void {
  const memory = process.memoryUsage();
  peakRss = Math.max(peakRss, memory.rss);
  const seconds = (performance.now() - phaseStart) / 1000;
  console.log(
    `${phase.padEnd(8)} ${String(records).padStart(11)} ${megabytes(memory.rss).padStart(7)} ${megabytes(memory.heapUsed).padStart(8)} ${megabytes(memory.external + memory.arrayBuffers).padStart(9)} ${directoryMegabytes(stateDir).padStart(9)} ${Math.round(records / seconds).toString().padStart(9)}`,
  );
}

/** The DSL's `count()` values: 8-byte big-endian integers. */
const countSerde: Serde<number> = {
  serialize: (_topic, count) => {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeBigInt64BE(BigInt(count));
    return bytes;
  },
  deserialize: (_topic, bytes) => Number(bytes.readBigInt64BE(0)),
};

function idOf(index: number): string {
  return `event-${index.toString(36).padStart(8, '0')}`;
}

function windowKeyOf(index: number): string {
  return `key-${(index % windowKeyCount).toString(36).padStart(6, '0')}`;
}

async function load(stateDir: string, changelog: ChangelogFile): Promise<void> {
  const runner = await EmbeddedRunner.start(buildTopology(), { applicationId, logger: silentLogger }, { stateDir, commitIntervalMs: 1_000 });
  const storeNames = [stores.dedupe, stores.counts, stores.windows];
  storeNames.forEach((store, topicIndex) => runner.onRecord(`${applicationId}-${store}-changelog`, (record) => changelog.append(topicIndex, record.key!, record.value, record.timestamp)));
  phaseStart = performance.now();
  for (let index = 0; index < idCount; index++) {
    runner.send('events', Buffer.from(idOf(index)), Buffer.from(windowKeyOf(index)), { timestamp: startTime + Math.floor(index / recordsPerMs) });
    // Yield to the event loop now and then, so the commit timer fires as it would under load.
    if (index % 2_000 === 1_999) await new Promise((resolve) => setImmediate(resolve));
    if ((index + 1) % reportEvery === 0) report('load', index + 1, stateDir);
  }
  // A duplicate of the first id: the de-duplication must still find it among all the others.
  runner.send('events', Buffer.from(idOf(0)), Buffer.from(windowKeyOf(0)), { timestamp: startTime + Math.floor(idCount / recordsPerMs) });
  await runner.commit();
  const count = runner.query(stores.counts, QueryableStoreTypes.keyValueStore<string, number>()).get(idOf(0));
  report('load', idCount, stateDir);
  await runner.close();
  await LevelStores.closed();
  console.log(`after load: the duplicated id ${idOf(0)} is counted ${String(count)} time(s) (1: the duplicate was dropped)`);
  if (count !== 1) throw new Error(`the duplicate of ${idOf(0)} was counted: ${String(count)}`);
}

async function restore(stateDir: string, changelog: string): Promise<void> {
  const context = contextFor(applicationId, stateDir);
  const suppliers = [
    LevelStores.persistentWindowStore(stores.dedupe, dedupeRetentionMs, horizonMs, false),
    LevelStores.persistentKeyValueStore(stores.counts),
    LevelStores.persistentWindowStore(stores.windows, windowRetentionMs, windowSizeMs, false),
  ] as const;
  // The count stores are timestamped: their changelogs hold bare values, which a restore puts back behind their record timestamps.
  const topologyStores = topologyBuilder(buildTopology())!.stores;
  let restored = 0;
  phaseStart = performance.now();
  for (let topicIndex = 0; topicIndex < suppliers.length; topicIndex++) {
    const supplier = suppliers[topicIndex]!;
    const handle = await supplier.prepare(context);
    const base = restored;
    let nextReport = Math.ceil((base + 1) / reportEvery) * reportEvery;
    const records = readChangelog(changelog, topicIndex);
    const timestamped = topologyStores.get(supplier.name)?.builder.timestamped === true;
    restored += await handle.restore(timestamped ? timestampedRecords(records, supplier.name) : records, {
      onProgress: (count) => {
        if (base + count >= nextReport) {
          report('restore', base + count, stateDir);
          nextReport += reportEvery;
        }
      },
    });
    await handle.writeCheckpoint(restored);
  }
  report('restore', restored, stateDir);
  // Read the restored stores back through the store layers, as the topology would after a restart.
  const dedupe = Stores.windowStoreBuilder(suppliers[0], Serdes.String(), Serdes.Float64()).withLoggingDisabled().build() as WindowStore<string, number>;
  const counts = Stores.timestampedKeyValueStoreBuilder(suppliers[1], Serdes.String(), countSerde).withLoggingDisabled().build() as TimestampedKeyValueStore<string, number>;
  const windows = Stores.timestampedWindowStoreBuilder(suppliers[2], Serdes.String(), countSerde).withLoggingDisabled().build() as TimestampedWindowStore<string, number>;
  dedupe.init(context);
  counts.init(context);
  windows.init(context);
  const probes = [0, Math.floor(idCount / 2), idCount - 1];
  for (const index of probes) {
    const id = idOf(index);
    const seen = [...dedupe.fetchRange(id, startTime - horizonMs, startTime + horizonMs)].length;
    const count = counts.get(id)?.value;
    console.log(`after restore: ${id} seen ${seen} time(s) by de-duplication, counted ${String(count)}`);
    // The first id was sent twice: de-duplication keeps both times (it dropped the second record), the count only one.
    if (seen !== (index === 0 ? 2 : 1) || count !== 1) throw new Error(`restored stores disagree with the load for ${id}`);
  }
  // The first window key's count in its first window: every id sent in that minute with that window key (the duplicate was dropped before the grouping).
  const firstWindow = Math.floor(startTime / windowSizeMs) * windowSizeMs;
  let expected = 0;
  for (let index = 0; index < idCount; index += windowKeyCount) if (Math.floor((startTime + Math.floor(index / recordsPerMs)) / windowSizeMs) * windowSizeMs === firstWindow) expected++;
  const windowCount = windows.fetch(windowKeyOf(0), firstWindow)?.value;
  console.log(`after restore: ${windowKeyOf(0)} counted ${String(windowCount)} time(s) in the window at ${new Date(firstWindow).toISOString()} (${expected} expected)`);
  if (windowCount !== expected) throw new Error(`restored window store disagrees with the load for ${windowKeyOf(0)}`);
  dedupe.close();
  counts.close();
  windows.close();
  await LevelStores.closed();
}

async function main(): Promise<void> {
  console.log(
    `state memory: ${idCount} ids, ${windowKeyCount} window keys, Node ${process.version}, heap limit ${megabytes(getHeapStatistics().heap_size_limit)} MB`,
  );
  console.log(`${'phase'.padEnd(8)} ${'records'.padStart(11)} ${'rss MB'.padStart(7)} ${'heap MB'.padStart(8)} ${'buffers'.padStart(9)} ${'state MB'.padStart(9)} ${'records/s'.padStart(9)}`);
  const loadDir = join(root, 'load');
  const restoreDir = join(root, 'restore');
  mkdirSync(loadDir);
  mkdirSync(restoreDir);
  const changelog = new ChangelogFile(join(root, 'changelog.bin'));
  try {
    await load(loadDir, changelog);
    changelog.close();
    console.log(`changelog: ${changelog.records} records, ${directoryMegabytes(changelog.path)} MB`);
    rmSync(loadDir, { recursive: true, force: true });
    await restore(restoreDir, changelog.path);
    console.log(JSON.stringify({ benchmark: 'state-memory', ids: idCount, windowKeys: windowKeyCount, changelogRecords: changelog.records, peakRssMb: Math.round(peakRss / 1024 / 1024), node: process.version }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
