/**
 * `KafkaStreams` on the real broker (issue 5's "Done means"): the same topologies that pass in the
 * TopologyTestDriver write the same results on Kafka; state survives a restart and moves between
 * instances through the changelog; bad topologies, topics, records and options fail clearly.
 *
 * Kafka spreads keys over partitions and interleaves partitions freely, so outputs are compared
 * per key: the sequence of each key where the key's order is defined (no key change before the
 * sink), otherwise each key's final value or the sorted set of results.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { logLevel } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { KafkaStreams, type KafkaClientSupplier } from '@tributary/kafka';
import { LevelStores } from '@tributary/level';
import {
  BufferConfig,
  ConfigError,
  Consumed,
  DeadLetterHeaders,
  Materialized,
  Produced,
  QueryableStoreTypes,
  Serdes,
  StreamsBuilder,
  Stores,
  Suppressed,
  TimeWindows,
  WindowedSerdes,
  deadLetterTopic,
  findMetrics,
  sumMetrics,
  logAndFail,
  silentLogger,
  type DeserializationExceptionHandler,
  type Topology,
  type Windowed,
} from '@tributary/streams';
import { clientName, clientOption } from './helpers/client-option.mjs';
import { bootstrapServers, createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import {
  consumeLatest,
  consumeUntil,
  createApp,
  deleteTopicsWithPrefix,
  describeTopics,
  driverOutput,
  latestByKey,
  listTopics,
  produce,
  sequencesByKey,
  sleep,
  startApp,
  tempStateDir,
  waitFor,
  type InputRecord,
  type OutputRecord,
  type TestApp,
} from './helpers/streams-app.js';

/** Every test here is bounded well below this. */
const testTimeout = 60_000;
const strings = Consumed.with(Serdes.String(), Serdes.String());
const writeStrings = Produced.with(Serdes.String(), Serdes.String());
const minute = 60_000;
/** Recent, minute-aligned event times, so broker retention never touches the test's records. */
const baseTime = Math.floor(Date.now() / (60 * minute)) * 60 * minute - 60 * minute;

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `count` string records over `keys` keys, one second apart from `start`. */
function keyedRecords(count: number, keys: number, start = baseTime, prefix = 'v'): InputRecord<string, string>[] {
  return Array.from({ length: count }, (_, index) => ({ key: `k${index % keys}`, value: `${prefix}${index}`, timestamp: start + index * 1_000 }));
}

/** Each key's count in `records`, keyed as the output topic keys it. */
function expectedCounts(...batches: readonly (readonly InputRecord<string, string>[])[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of batches.flat()) counts.set(record.key!, (counts.get(record.key!) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The ids of the tasks an instance runs now, from `metrics().tasks`. */
function taskIds(testApp: TestApp): string[] {
  const tasks = (testApp.app.metrics() as { tasks?: unknown }).tasks;
  const entries: unknown[] = Array.isArray(tasks) ? tasks : tasks instanceof Map ? [...tasks.keys()] : typeof tasks === 'object' && tasks !== null ? Object.keys(tasks) : [];
  return entries
    .map((entry) => {
      if (typeof entry === 'string') return entry;
      const task = entry as { taskId?: unknown; id?: unknown };
      const id = task.taskId ?? task.id;
      if (typeof id === 'string') return id;
      const parts = id as { subtopology?: number; partition?: number } | undefined;
      return `${parts?.subtopology}_${parts?.partition}`;
    })
    .sort();
}

/** `stream(input).groupByKey().count()` into `output`, with the counts in `store` (LevelDB when asked). */
function countTopology(input: string, output: string, persistent: boolean): () => Topology {
  return () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input, strings)
      .groupByKey()
      .count(persistent ? Materialized.as(LevelStores.persistentKeyValueStore('counts')) : Materialized.as('counts'))
      .toStream()
      .to(output, Produced.with(Serdes.String(), Serdes.Float64()));
    return builder.build();
  };
}

/** Files called `name` anywhere under `directory`. */
function findFiles(directory: string, name: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((path) => path.split('/').at(-1) === name).map((path) => join(directory, path));
}

describe('KafkaStreams gives the test driver’s results on Kafka', () => {
  it('a stateless pipe: per key, the same values, timestamps and headers in the same order', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-pipe-in');
    const output = uniqueTopic('it-pipe-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
    const build = (): Topology => {
      const builder = new StreamsBuilder();
      builder
        .stream(input, strings)
        .filter((_key, value) => !value.endsWith('7'))
        .flatMapValues((value) => [value.toUpperCase(), `${value}!`])
        .to(output, writeStrings);
      return builder.build();
    };
    const records = keyedRecords(120, 13).map((record, index) => ({ ...record, headers: { trace: `t-${index}` } }));
    const expected = driverOutput(build, [{ topic: input, records }], { topic: output });

    await startApp(build());
    await produce({ topic: input, records });
    const actual = await consumeUntil(output, expected.length, { timeoutMs: 30_000 });

    const pick = (record: OutputRecord<string, string>) => [record.value, record.timestamp, record.headers.trace];
    expect(actual).toHaveLength(expected.length);
    expect(sequencesByKey(actual, pick)).toEqual(sequencesByKey(expected, pick));
    expect(new Set(actual.map((record) => record.partition)).size).toBeGreaterThan(1);
  });

  it('a windowed count: each window’s final count per key, and a compact,delete changelog', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-window-in');
    const output = uniqueTopic('it-window-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
    const windowSerde = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), minute);
    const build = (): Topology => {
      const builder = new StreamsBuilder();
      builder
        .stream(input, strings)
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(minute, 60 * minute))
        .count(Materialized.as('clicks-per-minute'))
        .toStream()
        .to(output, Produced.with(windowSerde, Serdes.Float64()));
      return builder.build();
    };
    // Five minutes of clicks over nine pages, a little out of order (well within the grace).
    const random = generator(42);
    const records: InputRecord<string, string>[] = Array.from({ length: 150 }, (_, index) => ({
      key: `/page-${Math.floor(random() * 9)}`,
      value: `user-${index % 17}`,
      timestamp: baseTime + Math.floor((index / 150) * 5 * minute) + Math.floor(random() * 20_000) - 10_000,
    }));
    const windowKey = (key: Windowed<string>) => `${key.key}@${key.window.start - baseTime}`;
    const expected = latestByKey(driverOutput(build, [{ topic: input, records }], { topic: output, keySerde: windowSerde, valueSerde: Serdes.Float64() }), windowKey);
    expect([...expected.values()].reduce((sum, count) => sum + count, 0)).toBe(records.length);

    const { applicationId } = await startApp(build());
    await produce({ topic: input, records });
    const actual = await consumeLatest(output, expected, { keySerde: windowSerde, valueSerde: Serdes.Float64(), keyText: windowKey, timeoutMs: 30_000 });
    expect(actual).toEqual(expected);

    const changelog = `${applicationId}-clicks-per-minute-changelog`;
    const described = (await describeTopics([changelog])).get(changelog);
    expect(described?.partitions).toBe(3);
    expect(described?.configs['cleanup.policy']?.split(',').sort()).toEqual(['compact', 'delete']);
    expect(Number(described?.configs['retention.ms'])).toBeGreaterThanOrEqual(61 * minute);
  });

  it('a stream–table join after selectKey: the same joined records, through a 3-partition repartition topic', { timeout: testTimeout }, async () => {
    interface Order { readonly orderId: string; readonly productId: string; readonly quantity: number }
    interface Product { readonly name: string; readonly price: number }
    interface OrderTotal { readonly orderId: string; readonly product: string; readonly total: number }
    const orders = uniqueTopic('it-join-orders');
    const products = uniqueTopic('it-join-products');
    const output = uniqueTopic('it-join-out');
    await createTopics(kafkaClient(), [
      { topic: orders, numPartitions: 3 },
      { topic: products, numPartitions: 3 },
      { topic: output, numPartitions: 3 },
    ]);
    const build = (): Topology => {
      const builder = new StreamsBuilder();
      const productTable = builder.table(products, Consumed.with(Serdes.String(), Serdes.Json<Product>()), Materialized.as('products'));
      builder
        .stream(orders, Consumed.with(Serdes.String(), Serdes.Json<Order>()))
        .selectKey((_orderId, order) => order.productId)
        .join(productTable, (order, product): OrderTotal => ({ orderId: order.orderId, product: product.name, total: order.quantity * product.price }), {
          keySerde: Serdes.String(),
          valueSerde: Serdes.Json<Order>(),
        })
        .to(output, Produced.with(Serdes.String(), Serdes.Json<OrderTotal>()));
      return builder.build();
    };
    const productRecords: InputRecord<string, Product>[] = Array.from({ length: 20 }, (_, index) => ({
      key: `p${index}`,
      value: { name: `product ${index}`, price: index + 0.5 },
      timestamp: baseTime + index,
    }));
    // p20..p22 are in no table: an inner join drops those orders.
    const orderRecords: InputRecord<string, Order>[] = Array.from({ length: 90 }, (_, index) => ({
      key: `o${index}`,
      value: { orderId: `o${index}`, productId: `p${(index * 7) % 23}`, quantity: 1 + (index % 4) },
      timestamp: baseTime + minute + index * 100,
    }));
    const productInput = { topic: products, records: productRecords, valueSerde: Serdes.Json<Product>() };
    const orderInput = { topic: orders, records: orderRecords, valueSerde: Serdes.Json<Order>() };
    const expected = driverOutput(build, [productInput, orderInput], { topic: output, valueSerde: Serdes.Json<OrderTotal>() });
    expect(expected.length).toBeGreaterThan(70);

    const testApp = await startApp(build());
    // The table first, fully loaded, as the driver saw it; then the orders.
    await produce(productInput);
    const tableLoaded = () => {
      try {
        const store = testApp.app.query('products', QueryableStoreTypes.keyValueStore<string, Product>());
        return productRecords.every((record) => store.get(record.key!) !== undefined);
      } catch {
        return false; // not queryable while the instance rebalances
      }
    };
    await waitFor(tableLoaded, 'the products table to hold every product', 20_000);
    await produce(orderInput);
    const actual = await consumeUntil(output, expected.length, { valueSerde: Serdes.Json<OrderTotal>(), timeoutMs: 30_000 });

    const sorted = (records: OutputRecord<string, OrderTotal>[]) =>
      records.map((record) => ({ key: record.key, value: record.value, timestamp: record.timestamp })).sort((a, b) => (a.value!.orderId < b.value!.orderId ? -1 : 1));
    expect(sorted(actual)).toEqual(sorted(expected));

    const internal = (await listTopics()).filter((topic) => topic.startsWith(`${testApp.applicationId}-`));
    const repartition = internal.filter((topic) => topic.endsWith('-repartition'));
    expect(repartition).toHaveLength(1);
    const changelog = `${testApp.applicationId}-products-changelog`;
    const described = await describeTopics([...repartition, ...(internal.includes(changelog) ? [changelog] : [])]);
    expect(described.get(repartition[0]!)?.partitions).toBe(3);
    // Kafka Streams may reuse the source topic as the table's changelog; a changelog it creates is compacted.
    if (described.has(changelog)) expect(described.get(changelog)?.configs['cleanup.policy']).toBe('compact');
  });

  it('a global table join: every instance reads the whole table, with no co-partitioning needed', { timeout: testTimeout }, async () => {
    interface View { readonly productId: string }
    const views = uniqueTopic('it-global-views');
    const catalog = uniqueTopic('it-global-catalog');
    const output = uniqueTopic('it-global-out');
    // The global table's topic has 2 partitions, the stream's 3: global tables need no co-partitioning.
    await createTopics(kafkaClient(), [
      { topic: views, numPartitions: 3 },
      { topic: catalog, numPartitions: 2 },
      { topic: output, numPartitions: 3 },
    ]);
    const build = (): Topology => {
      const builder = new StreamsBuilder();
      const names = builder.globalTable(catalog, strings, Materialized.as('catalog'));
      builder
        .stream(views, Consumed.with(Serdes.String(), Serdes.Json<View>()))
        .join(names, (_userId, view) => view.productId, (view, name) => `${view.productId}:${name}`)
        .to(output, writeStrings);
      return builder.build();
    };
    const catalogRecords: InputRecord<string, string>[] = Array.from({ length: 15 }, (_, index) => ({ key: `p${index}`, value: `name-${index}`, timestamp: baseTime }));
    const viewRecords: InputRecord<string, View>[] = Array.from({ length: 80 }, (_, index) => ({
      key: `user-${index % 11}`,
      value: { productId: `p${(index * 3) % 17}` }, // p15 and p16 are not in the catalog
      timestamp: baseTime + minute + index * 250,
    }));
    const catalogInput = { topic: catalog, records: catalogRecords };
    const viewInput = { topic: views, records: viewRecords, valueSerde: Serdes.Json<View>() };
    const expected = driverOutput(build, [catalogInput, viewInput], { topic: output });

    // Produced before the start: the global store is loaded before any view is processed.
    await produce(catalogInput);
    const testApp = await startApp(build());
    expect(testApp.app.query('catalog', QueryableStoreTypes.keyValueStore<string, string>()).get('p14')).toBe('name-14');
    await produce(viewInput);
    const actual = await consumeUntil(output, expected.length, { timeoutMs: 30_000 });

    const pick = (record: OutputRecord<string, string>) => [record.value, record.timestamp];
    expect(sequencesByKey(actual, pick)).toEqual(sequencesByKey(expected, pick));
  });
});

describe('KafkaStreams state survives restarts and moves between instances', () => {
  it('a restarted instance resumes its LevelDB counts from its checkpoint and keeps counting', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-restart-in');
    const output = uniqueTopic('it-restart-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
    const build = countTopology(input, output, true);
    const stateDir = await tempStateDir();
    const first = await startApp(build(), { stateDir });
    const batch1 = keyedRecords(60, 9);
    await produce({ topic: input, records: batch1 });
    expect(await consumeLatest(output, expectedCounts(batch1), { valueSerde: Serdes.Float64() })).toEqual(expectedCounts(batch1));

    await first.app.close({ timeoutMs: 15_000 });
    expect(first.state()).toBe('NOT_RUNNING');
    // A clean close leaves a checkpoint per task store, so the next start need not replay the changelog.
    expect(findFiles(join(stateDir, first.applicationId), '.checkpoint').length).toBe(3);

    const batch2 = keyedRecords(45, 12, baseTime + 10 * minute, 'w');
    await produce({ topic: input, records: batch2 });
    const second = await startApp(build(), { applicationId: first.applicationId, stateDir });
    expect(second.app.metrics().restored).toBe(0); // the checkpoints were at the changelogs' ends
    const totals = expectedCounts(batch1, batch2);
    expect(await consumeLatest(output, totals, { valueSerde: Serdes.Float64() })).toEqual(totals);
    const counts = second.app.query('counts', QueryableStoreTypes.keyValueStore<string, number>());
    expect(new Map([...totals.keys()].map((key) => [key, counts.get(key)]))).toEqual(totals);
  });

  it('a restarted instance with in-memory stores restores its counts from the changelog', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-restore-in');
    const output = uniqueTopic('it-restore-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
    const build = countTopology(input, output, false);
    const first = await startApp(build());
    const batch1 = keyedRecords(60, 9);
    await produce({ topic: input, records: batch1 });
    expect(await consumeLatest(output, expectedCounts(batch1), { valueSerde: Serdes.Float64() })).toEqual(expectedCounts(batch1));
    await first.app.close({ timeoutMs: 15_000 });

    const batch2 = keyedRecords(30, 9, baseTime + 10 * minute, 'w');
    await produce({ topic: input, records: batch2 });
    const second = await startApp(build(), { applicationId: first.applicationId, stateDir: first.stateDir, metricsRecordingLevel: 'DEBUG' });
    expect(second.app.metrics().restored).toBeGreaterThanOrEqual(expectedCounts(batch1).size); // a changelog record per key at least
    // KIP-869's task metrics: every restored record counted by its task, nothing left to restore once RUNNING.
    const restoredMetrics = second.app.metrics();
    expect(sumMetrics(restoredMetrics.all, 'stream-task-metrics', 'restore-total')).toBe(restoredMetrics.restored);
    expect(findMetrics(restoredMetrics.all, 'stream-task-metrics', 'restore-remaining-records-total').map((metric) => metric.value)).toEqual([0, 0, 0]);
    // The store's own restore metric, timed by its metered layer (Kafka's store-level restore-rate and -latency).
    expect(sumMetrics(restoredMetrics.all, 'stream-state-metrics', 'restore-total', { 'in-memory-state-id': 'counts' })).toBeGreaterThan(0);
    expect(findMetrics(restoredMetrics.all, 'stream-state-metrics', 'restore-latency-max', { 'in-memory-state-id': 'counts' }).length).toBeGreaterThan(0);
    const totals = expectedCounts(batch1, batch2);
    expect(await consumeLatest(output, totals, { valueSerde: Serdes.Float64() })).toEqual(totals);
  });

  it.each([
    ['in-memory', undefined],
    ['LevelDB', undefined],
    ['in-memory', 'prefixed-changelogs'],
    ['LevelDB', 'prefixed-changelogs'],
  ] as const)(
    "a %s table with upgradeFrom %s restores Kafka's changelog format (and with the option Tributary's old one), and logs bare values at their timestamps",
    { timeout: testTimeout },
    async (backend, upgradeFrom) => {
      const input = uniqueTopic('it-tsformat-in');
      const output = uniqueTopic('it-tsformat-out');
      await createTopics(kafkaClient(), [{ topic: input }, { topic: output }]);
      const applicationId = `it-app-${uniqueTopic('tsformat').slice(-8)}`;
      const changelog = `${applicationId}-table-changelog`;
      onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
      // 8 bytes of `time` (int64 BE), then `text`: a value that starts with its own record timestamp.
      const startingWith = (time: number, text: string) => {
        const bytes = Buffer.concat([Buffer.alloc(8), Buffer.from(text)]);
        bytes.writeBigInt64BE(BigInt(time));
        return bytes;
      };
      // A changelog written before the app starts: a bare value (Kafka's format), and one that
      // starts with its own timestamp: a pre-0.1 build's prefixed record, or Kafka's bare value.
      await createTopics(kafkaClient(), [{ topic: changelog }]);
      const ambiguous = startingWith(baseTime + 1, 'legacy');
      await produce({
        topic: changelog,
        keySerde: Serdes.String(),
        valueSerde: Serdes.Bytes(),
        records: [
          { key: 'ambiguous', value: ambiguous, timestamp: baseTime + 1 },
          { key: 'new', value: Buffer.from('bare'), timestamp: baseTime + 2 },
        ],
      });
      const builder = new StreamsBuilder();
      const supplier = backend === 'LevelDB' ? LevelStores.persistentKeyValueStore('table') : Stores.inMemoryKeyValueStore('table');
      builder
        .table(input, Consumed.with(Serdes.String(), Serdes.Bytes()), Materialized.as<string, Buffer>(supplier))
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Bytes()));
      // Exactly-once restores a changelog to its end (at-least-once would roll back records no commit claims).
      const app = await startApp(builder.build(), { applicationId, processingGuarantee: 'exactly_once', commitIntervalMs: 100, ...(upgradeFrom === undefined ? {} : { upgradeFrom }) });
      const echo = startingWith(baseTime + 4, 'echo');
      await produce({
        topic: input,
        valueSerde: Serdes.Bytes(),
        records: [
          { key: 'fresh', value: Buffer.from('value'), timestamp: baseTime + 3 },
          { key: 'echo', value: echo, timestamp: baseTime + 4 },
        ],
      });
      await consumeUntil(output, 2, { valueSerde: Serdes.Bytes() });
      const table = app.app.query('table', QueryableStoreTypes.timestampedKeyValueStore<string, Buffer>());
      // Only the option reads a value starting with its own timestamp as the old format.
      const restored = upgradeFrom === undefined ? ambiguous : Buffer.from('legacy');
      expect(table.get('ambiguous')).toEqual({ value: restored, timestamp: baseTime + 1 });
      expect(table.get('new')).toEqual({ value: Buffer.from('bare'), timestamp: baseTime + 2 });
      expect(table.get('fresh')).toEqual({ value: Buffer.from('value'), timestamp: baseTime + 3 });
      expect(table.get('echo')).toEqual({ value: echo, timestamp: baseTime + 4 });
      const logged = await consumeUntil(changelog, 4, { valueSerde: Serdes.Bytes() });
      const loggedOf = (key: string) => {
        const record = logged.find((entry) => entry.key === key)!;
        return [record.value, Number(record.timestamp), record.headers];
      };
      expect(loggedOf('fresh')).toEqual([Buffer.from('value'), baseTime + 3, {}]);
      // Kafka writes no header; the option marks the value so that it is not taken for the old format.
      expect(loggedOf('echo')).toEqual([echo, baseTime + 4, upgradeFrom === undefined ? {} : { 'tributary.changelog.bare': '1' }]);
    },
  );

  it.each(['in-memory', 'LevelDB'])(
    "a %s suppression buffer restores an earlier Tributary's changelog and logs Kafka's buffer format",
    { timeout: testTimeout },
    async (backend) => {
      const input = uniqueTopic('it-suppress-in');
      const output = uniqueTopic('it-suppress-out');
      await createTopics(kafkaClient(), [{ topic: input }, { topic: output }]);
      const applicationId = `it-app-${uniqueTopic('suppress').slice(-8)}`;
      const changelog = `${applicationId}-held-store-changelog`;
      onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
      // A buffer changelog an earlier Tributary wrote: 'old' held since baseTime + 1, in its own layout.
      await createTopics(kafkaClient(), [{ topic: changelog }]);
      const legacy = Buffer.concat([Buffer.alloc(28), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 6]), Buffer.from('legacy')]);
      legacy.writeBigInt64BE(BigInt(baseTime + 1), 0);
      legacy.writeBigInt64BE(BigInt(baseTime + 1), 8);
      await produce({ topic: changelog, keySerde: Serdes.String(), valueSerde: Serdes.Bytes(), records: [{ key: 'old', value: legacy, timestamp: baseTime + 1 }] });
      const builder = new StreamsBuilder(backend === 'LevelDB' ? { dslStoreSuppliers: LevelStores.dslStoreSuppliers() } : {});
      builder
        .table(input, strings)
        .suppress(Suppressed.untilTimeLimit(minute, BufferConfig.unbounded(), 'held'))
        .toStream()
        .to(output, writeStrings);
      const app = await startApp(builder.build(), { applicationId, processingGuarantee: 'exactly_once', commitIntervalMs: 100 });
      // Stream time two minutes on releases 'old'; 'fresh' is held, then released by 'later'.
      await produce({ topic: input, records: [{ key: 'fresh', value: 'value', timestamp: baseTime + 2 * minute }] });
      // Held across a commit, 'fresh' is logged in Kafka's buffer layout (version 3): the record
      // context first (timestamp, offset, source topic), the buffer time last.
      const logged = await consumeUntil(changelog, (records) => records.some((record) => record.key === 'fresh' && record.value !== null), { valueSerde: Serdes.Bytes() });
      await produce({ topic: input, records: [{ key: 'later', value: 'x', timestamp: baseTime + 4 * minute }] });
      const released = await consumeUntil(output, 2);
      expect(released.map((record) => [record.key, record.value, record.timestamp])).toEqual([
        ['old', 'legacy', baseTime + 1],
        ['fresh', 'value', baseTime + 2 * minute],
      ]);
      const fresh = logged.find((record) => record.key === 'fresh' && record.value !== null)!;
      expect(fresh.rawHeaders['v']).toEqual(Buffer.from([3]));
      expect(Number(fresh.rawValue!.readBigInt64BE(0))).toBe(baseTime + 2 * minute);
      expect(fresh.rawValue!.subarray(20, 20 + input.length).toString()).toBe(input);
      expect(Number(fresh.rawValue!.readBigInt64BE(fresh.rawValue!.length - 8))).toBe(baseTime + 2 * minute);
      await app.app.close({ timeoutMs: 15_000 });
    },
  );

  it('two instances split the partitions; when one closes the other restores its state and no output is lost', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-scale-in');
    const output = uniqueTopic('it-scale-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
    const build = countTopology(input, output, true);
    const first = await startApp(build());
    // A fresh state directory: whatever the second takes over it must restore from the changelog.
    const second = await startApp(build(), { applicationId: first.applicationId });
    await waitFor(
      () => first.state() === 'RUNNING' && second.state() === 'RUNNING' && taskIds(first).length > 0 && taskIds(second).length > 0 && taskIds(first).length + taskIds(second).length === 3,
      () => `both instances to run tasks (first ${first.state()} ${inspect(taskIds(first))}, second ${second.state()} ${inspect(taskIds(second))})`,
      25_000,
    );
    const firstTasks = taskIds(first);
    const secondTasks = taskIds(second);
    expect([...firstTasks, ...secondTasks].sort()).toEqual(['0_0', '0_1', '0_2']);

    const batch1 = keyedRecords(90, 12);
    await produce({ topic: input, records: batch1 });
    expect(await consumeLatest(output, expectedCounts(batch1), { valueSerde: Serdes.Float64() })).toEqual(expectedCounts(batch1));

    await first.app.close({ timeoutMs: 15_000 });
    await waitFor(
      () => second.state() === 'RUNNING' && taskIds(second).length === 3,
      () => `the second instance to take every task (${second.state()} ${inspect(taskIds(second))})`,
      25_000,
    );
    // It had no state for the tasks it took over: it restored them from the changelog.
    expect(second.app.metrics().restored).toBeGreaterThan(0);
    const batch2 = keyedRecords(60, 12, baseTime + 10 * minute, 'w');
    await produce({ topic: input, records: batch2 });
    const totals = expectedCounts(batch1, batch2);
    expect(await consumeLatest(output, totals, { valueSerde: Serdes.Float64() })).toEqual(totals);
    const counts = second.app.query('counts', QueryableStoreTypes.keyValueStore<string, number>());
    expect(new Map([...totals.keys()].map((key) => [key, counts.get(key)]))).toEqual(totals);
  });
});

describe('KafkaStreams refuses what it cannot run', () => {
  it('rejects start() when joined topics are not co-partitioned, naming both topics and counts', { timeout: testTimeout }, async () => {
    const left = uniqueTopic('it-copart-left');
    const right = uniqueTopic('it-copart-right');
    await createTopics(kafkaClient(), [{ topic: left, numPartitions: 2 }, { topic: right, numPartitions: 3 }]);
    const builder = new StreamsBuilder();
    const table = builder.table(right, strings);
    builder.stream(left, strings).join(table, (value, other) => `${value}/${other}`).to(uniqueTopic('it-copart-out'), writeStrings);
    const testApp = await createApp(builder.build());

    const error: Error = await testApp.app.start().then(
      () => {
        throw new Error('start() resolved');
      },
      (rejection: Error) => rejection,
    );
    expect(error.message).toContain(left);
    expect(error.message).toContain(right);
    expect(error.message).toMatch(/\b2\b/);
    expect(error.message).toMatch(/\b3\b/);
    expect(testApp.states).not.toContain('RUNNING');
  });

  it('rejects start() when a source topic is missing, naming it, and does not create it', { timeout: testTimeout }, async () => {
    const present = uniqueTopic('it-missing-present');
    const missing = uniqueTopic('it-missing-absent');
    await createTopics(kafkaClient(), [{ topic: present }]);
    const builder = new StreamsBuilder();
    builder.stream([present, missing], strings).to(uniqueTopic('it-missing-out'), writeStrings);
    const testApp = await createApp(builder.build());

    await expect(testApp.app.start()).rejects.toThrow(missing);
    expect(testApp.states).not.toContain('RUNNING');
    expect(await listTopics()).not.toContain(missing);
  });

  it('creates internal topics with the replicationFactor option, and names the option when the brokers are too few', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-replication-in');
    await createTopics(kafkaClient(), [{ topic: input }]);
    const replicatedCountTopology = (): Topology => {
      const builder = new StreamsBuilder();
      builder.stream(input, strings).groupByKey().count(Materialized.as('counts')).toStream().to(uniqueTopic('it-replication-out'), Produced.with(Serdes.String(), Serdes.Float64()));
      return builder.build();
    };
    // The test broker is one broker: two replicas cannot be placed.
    const tooMany = await createApp(replicatedCountTopology(), { replicationFactor: 2 });
    const error = await tooMany.app.start().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${tooMany.applicationId}-counts-changelog`);
    expect((error as Error).message).toContain("'replicationFactor'");
    expect(await listTopics()).not.toContain(`${tooMany.applicationId}-counts-changelog`);

    const one = await startApp(replicatedCountTopology(), { replicationFactor: 1 });
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [`${one.applicationId}-counts-changelog`] });
      expect(topics[0]!.partitions.map((partition) => partition.replicas.length)).toEqual([1]);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('KafkaStreams error handling on Kafka', () => {
  interface Reading { readonly n: number }
  const readingSerde = Serdes.Json<Reading>();

  /** Doubles `n`; a negative `n` throws. */
  function doublingTopology(input: string, output: string): Topology {
    const builder = new StreamsBuilder();
    builder
      .stream(input, Consumed.with(Serdes.String(), readingSerde))
      .mapValues((reading) => {
        if (reading.n < 0) throw new RangeError(`negative reading ${reading.n}`);
        return String(reading.n * 2);
      })
      .to(output, writeStrings);
    return builder.build();
  }

  it('sends poison pills to the dead-letter topic with their original bytes and error headers, and goes on', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-dlq-in');
    const output = uniqueTopic('it-dlq-out');
    const dlq = uniqueTopic('it-dlq');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }, { topic: dlq }]);
    const bytes = (text: string) => Buffer.from(text, 'utf8');
    const records: InputRecord<string, Buffer>[] = [
      { key: 'a', value: bytes('{"n":1}'), timestamp: baseTime },
      { key: 'a', value: bytes('{"n": oops'), timestamp: baseTime + 1, headers: { trace: 'poison-1' } }, // cannot be deserialized
      { key: 'a', value: bytes('{"n":2}'), timestamp: baseTime + 2 },
      { key: 'b', value: bytes('{"n":-1}'), timestamp: baseTime + 3, headers: { trace: 'poison-2' } }, // processing throws
      { key: 'b', value: bytes('{"n":3}'), timestamp: baseTime + 4 },
      { key: 'c', value: bytes('{"n":4}'), timestamp: baseTime + 5 },
    ];
    const handlers = { deserializationExceptionHandler: deadLetterTopic({ topic: dlq }), processingExceptionHandler: deadLetterTopic({ topic: dlq }) };
    const inputs = [{ topic: input, records, valueSerde: Serdes.Bytes() }];
    const expectedOutput = driverOutput(() => doublingTopology(input, output), inputs, { topic: output }, handlers);
    const expectedLetters = driverOutput(() => doublingTopology(input, output), inputs, { topic: dlq, valueSerde: Serdes.Bytes() }, handlers);
    expect(expectedLetters).toHaveLength(2);

    await startApp(doublingTopology(input, output), handlers);
    await produce(inputs[0]!);
    const letters = await consumeUntil(dlq, 2, { valueSerde: Serdes.Bytes(), timeoutMs: 20_000 });
    const actualOutput = await consumeUntil(output, expectedOutput.length, { timeoutMs: 20_000 });

    const pick = (record: OutputRecord<string, string>) => record.value;
    expect(sequencesByKey(actualOutput, pick)).toEqual(sequencesByKey(expectedOutput, pick));
    const letter = (record: OutputRecord<string, Buffer>) => ({
      key: record.key,
      value: record.rawValue?.toString('utf8'),
      timestamp: record.timestamp,
      trace: record.headers.trace,
      exception: record.headers[DeadLetterHeaders.exception],
      message: record.headers[DeadLetterHeaders.message],
      topic: record.headers[DeadLetterHeaders.topic],
    });
    const byKey = (a: { key: string | null }, b: { key: string | null }) => ((a.key ?? '') < (b.key ?? '') ? -1 : 1);
    expect(letters.map(letter).sort(byKey)).toEqual(expectedLetters.map(letter).sort(byKey));
    // Where on Kafka each pill came from, which the driver cannot know.
    for (const record of letters) {
      const source = records.find((candidate) => candidate.headers?.trace === record.headers.trace)!;
      expect(record.rawValue).toEqual(source.value);
      expect(Number(record.headers[DeadLetterHeaders.partition])).toBeGreaterThanOrEqual(0);
      expect(Number(record.headers[DeadLetterHeaders.offset])).toBeGreaterThanOrEqual(0);
      expect(record.headers[DeadLetterHeaders.stacktrace]).toBeTruthy();
    }
  });

  it('with logAndFail, a poison pill stops the app in ERROR once, without looping', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-fail-in');
    const output = uniqueTopic('it-fail-out');
    await createTopics(kafkaClient(), [{ topic: input }, { topic: output }]);
    let failures = 0;
    const fail = logAndFail();
    const countingFail: DeserializationExceptionHandler = (context, error) => {
      failures++;
      return fail(context, error);
    };
    const testApp = await startApp(doublingTopology(input, output), { deserializationExceptionHandler: countingFail });
    await produce({
      topic: input,
      valueSerde: Serdes.Bytes(),
      records: [
        { key: 'a', value: Buffer.from('{"n":1}'), timestamp: baseTime },
        { key: 'a', value: Buffer.from('not json'), timestamp: baseTime + 1 },
        { key: 'a', value: Buffer.from('{"n":2}'), timestamp: baseTime + 2 },
      ],
    });
    await waitFor(() => testApp.state() === 'ERROR', () => `state ERROR (states: ${testApp.states.join(' → ')})`, 20_000);
    // Long enough for a restart loop to show itself several times over.
    await sleep(3_000);
    expect(failures).toBe(1);
    expect(testApp.state()).toBe('ERROR');
    expect(testApp.states.filter((state) => state === 'ERROR')).toHaveLength(1);
    expect(testApp.logger.lines.some((line) => line.level === 'error')).toBe(true);
  });
});

/** A @platformatic/kafka supplier that authenticates with SASL PLAIN, without retries (loaded only on that client's run: it needs Node >= 22.22). */
async function platformaticSaslClient(password: string): Promise<KafkaClientSupplier> {
  const { platformaticClient } = await import('@tributary/kafka/platformatic');
  return platformaticClient({ brokers: bootstrapServers().split(','), clientId: 'it-sasl', retries: 0, connection: { sasl: { mechanism: 'PLAIN', username: 'it-user', password } } });
}

describe('KafkaStreams options', () => {
  const topology = (): Topology => {
    const builder = new StreamsBuilder();
    builder.stream('it-options-in', strings).to('it-options-out', writeStrings);
    return builder.build();
  };
  const valid = { applicationId: 'it-options', bootstrapServers: '127.0.0.1:9092' };

  it.each([
    ['commitIntervalMs', { commitIntervalMs: -1 }],
    ['commitIntervalMs', { commitIntervalMs: 'soon' }],
    ['bootstrapServers', { bootstrapServers: '' }],
    ['bootstrapServers', { bootstrapServers: ['no-port'] }],
    ['applicationId', { applicationId: 'has space' }],
    ['stateDir', { stateDir: 42 }],
    ['processingGuarantee', { processingGuarantee: 'at_most_once' }],
    ['cacheMaxBytes', { cacheMaxBytes: -5 }],
    ['consumer.sessionTimeoutMs', { consumer: { sessionTimeoutMs: 'long' } }],
    ['consumer.sessionTimeout', { consumer: { sessionTimeout: 6_000 } }],
    ['consumer.heartbeatIntervalMs', { consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 9_000 } }],
    ['kafka.sasl', { kafka: { sasl: { mechanism: 'plain', username: 'it-user' } } }],
    ['kafka.brokers', { kafka: { brokers: ['127.0.0.1:9092'] } }],
  ])('a bad %s is a ConfigError that names it, at construction', (option, bad) => {
    let thrown: unknown;
    try {
      new KafkaStreams(topology(), { ...valid, ...bad } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', name: 'ConfigError' });
    expect((thrown as Error).message).toContain(`'${option}'`);
  });

  it('never puts the SASL password in an error or a log line', { timeout: testTimeout }, async () => {
    const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
    const input = uniqueTopic('it-sasl-in');
    await createTopics(kafkaClient(), [{ topic: input }]);
    const builder = new StreamsBuilder();
    builder.stream(input, strings).to(uniqueTopic('it-sasl-out'), writeStrings);

    // A bad option beside the password: the message names the option and not the secret.
    let configError: unknown;
    try {
      new KafkaStreams(builder.build(), { ...valid, commitIntervalMs: -1, kafka: { sasl: { mechanism: 'plain', username: 'it-user', password } } });
    } catch (error) {
      configError = error;
    }
    expect(configError).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(inspect(configError, { depth: 10 })).not.toContain(password);

    // The broker's listener speaks no SASL, so authentication fails; nothing may quote the
    // password, even with the client logging everything it does. On @platformatic/kafka the
    // credentials go to its supplier's connection options (the `kafka` option is kafkajs').
    const testApp = await createApp(builder.build(), {
      kafka: { clientId: 'it-sasl', sasl: { mechanism: 'plain', username: 'it-user', password }, retry: { retries: 0 }, connectionTimeout: 3_000, logLevel: logLevel.DEBUG },
      ...(clientName === 'platformatic' ? { client: await platformaticSaslClient(password) } : {}),
    });
    const error: unknown = await testApp.app.start().then(
      () => new Error('start() resolved against a listener without SASL'),
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toBe('start() resolved against a listener without SASL');
    expect(inspect(error, { depth: 10 })).not.toContain(password);
    expect(String((error as Error).stack)).not.toContain(password);
    // kafkajs logged what it did, at debug, through the application's logger (platformatic's clients log nothing of their own).
    if (clientName === 'kafkajs') expect(testApp.logger.lines.some((line) => line.message.startsWith('kafkajs'))).toBe(true);
    expect(testApp.logger.text()).not.toContain(password);
  });
});

describe('docs/running-on-kafka.md', () => {
  it('the page-view counter runs as the guide writes it', { timeout: testTimeout }, async () => {
    const kafka = kafkaClient();
    // The guide's fixed names: clear what an interrupted earlier run may have left.
    const cleanUp = async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const leftovers = (await admin.listTopics()).filter((topic) => ['page-views', 'page-view-counts', 'page-views-dlq'].includes(topic) || topic.startsWith('page-view-counter-'));
        if (leftovers.length > 0) await admin.deleteTopics({ topics: leftovers, timeout: 10_000 });
        // A closed member may linger in the group for a moment (the broker drops it at its leave or its session timeout):
        // wait until the group is empty before deleting it.
        for (const deadline = Date.now() + 20_000; ; await new Promise((resolve) => setTimeout(resolve, 250))) {
          const [group] = (await admin.describeGroups(['page-view-counter'])).groups;
          if (group === undefined || group.state === 'Dead') break;
          if (group.state === 'Empty' || Date.now() > deadline) {
            await admin.deleteGroups(['page-view-counter']);
            break;
          }
        }
      } finally {
        await admin.disconnect();
      }
    };
    await cleanUp();
    onTestFinished(cleanUp);
    await createTopics(kafka, [{ topic: 'page-views', numPartitions: 3 }, { topic: 'page-view-counts' }, { topic: 'page-views-dlq' }]);

    // --- guide: topology.ts ---
    function buildTopology(): Topology {
      const builder = new StreamsBuilder();
      builder
        .stream('page-views', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .count(Materialized.as(LevelStores.persistentKeyValueStore('view-counts')))
        .toStream()
        .to('page-view-counts', Produced.with(Serdes.String(), Serdes.Float64()));
      return builder.build();
    }
    // --- guide: main.ts (stateDir, logger and the client under test aside) ---
    const stateDir = await tempStateDir();
    const changes: string[] = [];
    const app = new KafkaStreams(buildTopology(), {
      applicationId: 'page-view-counter',
      bootstrapServers: process.env.KAFKA_BOOTSTRAP ?? 'localhost:9092',
      stateDir,
      deserializationExceptionHandler: deadLetterTopic({ topic: 'page-views-dlq' }),
      logger: silentLogger,
      ...clientOption(bootstrapServers(), 'page-view-counter'),
    });
    app.onStateChange((state, previous) => changes.push(`${previous} -> ${state}`));
    onTestFinished(() => app.close({ timeoutMs: 15_000 }));
    await app.start();
    // --- end ---

    const views = ['/pricing', '/docs', '/pricing', '/blog', '/pricing'].map((page, index) => ({ key: page, value: `user-${index}`, timestamp: baseTime + index }));
    await produce({ topic: 'page-views', records: views });
    const expected = expectedCounts(views);
    expect(await consumeLatest('page-view-counts', expected, { valueSerde: Serdes.Float64() })).toEqual(expected);
    expect(app.query('view-counts', QueryableStoreTypes.keyValueStore<string, number>()).get('/pricing')).toBe(3);
    await app.close();
    expect(changes).toEqual(['CREATED -> REBALANCING', 'REBALANCING -> RUNNING', 'RUNNING -> PENDING_SHUTDOWN', 'PENDING_SHUTDOWN -> NOT_RUNNING']);
  });
});
