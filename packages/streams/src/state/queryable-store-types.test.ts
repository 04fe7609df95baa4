import { describe, expect, it } from 'vitest';
import { Consumed, Grouped, Materialized, Serdes, SessionWindows, StreamsBuilder, TimeWindows } from '../index.js';
import { TopologyTestDriver } from '../test-utils/index.js';
import { QueryableStoreTypes } from './queryable-store-types.js';

function clicksDriver(): TopologyTestDriver {
  const builder = new StreamsBuilder();
  const grouped = builder.stream('clicks', Consumed.with(Serdes.String(), Serdes.String())).groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
  grouped.count(Materialized.as('clicks-per-user'));
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ ...Materialized.as('clicks-per-window'), retentionMs: 1_000 });
  grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)).count({ ...Materialized.as('click-sessions'), retentionMs: 1_000 });
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'iq' });
  const input = driver.createInputTopic('clicks', Serdes.String(), Serdes.String());
  input.pipeInput('ann', '/a', 1);
  input.pipeInput('ann', '/b', 3);
  input.pipeInput('bob', '/a', 12);
  return driver;
}

describe('interactive queries', () => {
  it('reads a table store as plain values, or with timestamps', () => {
    const driver = clicksDriver();
    const counts = driver.query('clicks-per-user', QueryableStoreTypes.keyValueStore<string, number>());
    expect(counts.get('ann')).toBe(2);
    expect(counts.get('nobody')).toBeUndefined();
    expect([...counts.all()]).toEqual([
      { key: 'ann', value: 2 },
      { key: 'bob', value: 1 },
    ]);
    expect(counts.approximateNumEntries()).toBe(2);
    expect('put' in counts).toBe(false);
    const timestamped = driver.query('clicks-per-user', QueryableStoreTypes.timestampedKeyValueStore<string, number>());
    expect(timestamped.get('ann')).toEqual({ value: 2, timestamp: 3 });
    driver.close();
  });

  it('reads window and session stores', () => {
    const driver = clicksDriver();
    const windows = driver.query('clicks-per-window', QueryableStoreTypes.windowStore<string, number>());
    expect(windows.fetch('ann', 0)).toBe(2);
    expect([...windows.fetchRange('bob', 0, 100)]).toEqual([{ key: 10, value: 1 }]);
    const sessions = driver.query('click-sessions', QueryableStoreTypes.sessionStore<string, number>());
    expect([...sessions.fetch('ann')].map((entry) => [entry.key.window.start, entry.key.window.end, entry.value])).toEqual([[1, 3, 2]]);
    driver.close();
  });

  it('names the store and the fix when the name or the type is wrong', () => {
    const driver = clicksDriver();
    expect(() => driver.query('missing', QueryableStoreTypes.keyValueStore())).toThrow(/No running task holds a store named 'missing'/);
    expect(() => driver.query('clicks-per-user', QueryableStoreTypes.windowStore())).toThrow(/cannot be read as a window store/);
    driver.close();
  });
});
