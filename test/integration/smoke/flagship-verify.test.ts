/**
 * The flagship verifier's answer is the flagship's: for the smoke input, the answer recomputed
 * from the records equals what the topology writes on the test driver, window for window and
 * field for field; and the comparison reports a low, high, missing or wrong window when there is
 * one. No broker needed.
 */
import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, silentLogger } from '@tributary/streams';
import { TestRecord, TopologyTestDriver } from '@tributary/streams/test';
import { buildTopology, defaultOptions, resolveOptions } from '../../../examples/product-analytics/src/topology.js';
import { flagshipInput } from './flagship-scenario.js';
import { defaultPartition } from '../../../packages/kafka/src/internal/murmur2.js';
import { AmbiguousInputError, compareWindows, expectFlagship, latestWindows, lostByProductTask, type WindowStats } from './flagship-verify.js';

const options = resolveOptions({});
const topics = defaultOptions.topics;

/** The smoke input through the topology on the test driver: the input as records, and the output windows. */
function runOnDriver(events: number) {
  const records = flagshipInput({ events, seed: 12 });
  const driver = new TopologyTestDriver(buildTopology(new StreamsBuilder()), { applicationId: 'flagship-verify-test', logger: silentLogger }, { initialWallClockTime: Date.now() });
  try {
    const eventsTopic = driver.createInputTopic(topics.events, Serdes.Bytes(), Serdes.Bytes());
    const catalogTopic = driver.createInputTopic(topics.catalog, Serdes.Bytes(), Serdes.Bytes());
    for (const record of records) (record.stream === 'events' ? eventsTopic : catalogTopic).pipeInput(new TestRecord(record.key, record.value, record.timestamp));
    const read = (topic: string) => driver.createOutputTopic(topic, Serdes.String(), Serdes.Bytes()).readKeyValuesToList().map(({ key, value }) => ({ key, value }));
    return {
      events: records.filter((record) => record.stream === 'events').map(({ key, value, timestamp }) => ({ key: key?.toString('utf8') ?? null, value, timestamp })),
      catalog: records.filter((record) => record.stream === 'catalog').map(({ key, value }) => ({ key: key?.toString('utf8') ?? null, value })),
      products: latestWindows(read(topics.productAnalytics), (value) => value.productId),
      categories: latestWindows(read(topics.categoryAnalytics), (value) => value.category),
    };
  } finally {
    driver.close();
  }
}

function withChange(windows: ReadonlyMap<string, WindowStats>, id: string, change: Partial<WindowStats> | undefined): Map<string, WindowStats> {
  const copy = new Map(windows);
  if (change === undefined) copy.delete(id);
  else copy.set(id, { ...copy.get(id)!, ...change });
  return copy;
}

describe('the flagship smoke verifier', () => {
  it('computes from the input what the topology writes, every window and field', () => {
    const run = runOnDriver(20_000);
    const expectation = expectFlagship(run.events, run.catalog, options);
    expect(expectation.unique).toBeLessThan(expectation.valid); // duplicates were dropped
    expect(expectation.valid).toBeLessThan(expectation.eventsIn); // malformed ones too
    expect(new Set([...expectation.products.values()].map((stats) => stats.windowStart)).size).toBe(2);
    expect(expectation.products.size).toBeGreaterThan(300);
    expect(run.products).toEqual(expectation.products);
    expect(run.categories).toEqual(expectation.categories);
    expect(compareWindows(expectation.products, run.products)).toMatchObject({ compared: expectation.products.size, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
  });

  it('reports a window low, high, missing or wrong, with the events lost or duplicated', () => {
    const run = runOnDriver(5_000);
    const expected = expectFlagship(run.events, run.catalog, options).products;
    const [id, stats] = [...expected].find(([, window]) => window.views > 2 && window.purchases > 0)!;
    expect(compareWindows(expected, withChange(expected, id, { views: stats.views - 2 }))).toMatchObject({ low: 1, high: 0, wrong: 0, lostEvents: 2, duplicatedEvents: 0 });
    expect(compareWindows(expected, withChange(expected, id, { revenueCents: stats.revenueCents - 1 }))).toMatchObject({ low: 1, lostEvents: 0 });
    expect(compareWindows(expected, withChange(expected, id, { purchases: stats.purchases + 1 }))).toMatchObject({ low: 0, high: 1, duplicatedEvents: 1 });
    expect(compareWindows(expected, withChange(expected, id, { uniqueUsers: stats.uniqueUsers + 1 }))).toMatchObject({ low: 0, high: 0, wrong: 1 });
    expect(compareWindows(expected, withChange(expected, id, undefined))).toMatchObject({ compared: expected.size - 1, low: 1, lostEvents: stats.views + stats.clicks + stats.addToCarts + stats.purchases });
    expect(compareWindows(expected, withChange(expected, 'p9999@0', { ...stats, key: 'p9999', windowStart: 0 }))).toMatchObject({ high: 1 });
    // Losses by the task counting them: the repartition topic's partition of the product.
    const other = [...expected.values()].find((window) => defaultPartition(Buffer.from(window.key), 4) !== defaultPartition(Buffer.from(stats.key), 4))!;
    const short = withChange(withChange(expected, id, { views: stats.views - 2 }), `${other.key}@${other.windowStart}`, undefined);
    expect(lostByProductTask(expected, short, 4)).toEqual({
      [`1_${defaultPartition(Buffer.from(stats.key), 4)}`]: 2,
      [`1_${defaultPartition(Buffer.from(other.key), 4)}`]: other.views + other.clicks + other.addToCarts + other.purchases,
    });
    expect(lostByProductTask(expected, expected, 4)).toEqual({});
  });

  it('refuses input whose answer depends on the order of the events', () => {
    const run = runOnDriver(2_000);
    const event = JSON.parse(run.events.find((record) => record.value !== null && record.value.toString('utf8').includes('"view"'))!.value!.toString('utf8')) as { timestamp: number };
    const late = { key: null, value: Buffer.from(JSON.stringify({ ...event, eventId: 'late-one', timestamp: event.timestamp - 10 * 60_000 })) };
    expect(() => expectFlagship([...run.events, late], run.catalog, options)).toThrow(AmbiguousInputError);
    const farCopy = { key: null, value: Buffer.from(JSON.stringify({ ...event, timestamp: event.timestamp + 1 })) };
    expect(() => expectFlagship([...run.events, farCopy], run.catalog, options)).toThrow(/copies that differ/);
  });
});
