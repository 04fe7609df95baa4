/**
 * LevelDB stores under the test driver: a topology materialized on LevelDB runs with no other
 * change once its stores are prepared (`TopologyTestDriver.create`), and its data survives the
 * driver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Consumed, Materialized, Produced, QueryableStoreTypes, Serdes, StreamsBuilder, TimeWindows, WindowedSerdes } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import { LevelStores } from './index.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function stateDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-level-driver-'));
  directories.push(directory);
  return directory;
}

function countTopology() {
  const builder = new StreamsBuilder();
  const grouped = builder.stream('clicks', Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
  grouped.count(Materialized.as(LevelStores.persistentKeyValueStore('clicks-per-user'))).toStream().to('counts', Produced.with(Serdes.String(), Serdes.Float64()));
  grouped
    .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
    .count({ ...Materialized.as(LevelStores.persistentWindowStore('clicks-per-window', 1_000, 10, false)), retentionMs: 1_000 })
    .toStream()
    .to('windowed-counts', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
  return builder.build();
}

describe('LevelDB stores in the test driver', () => {
  it('needs the stores prepared, and says how', () => {
    const driver = new TopologyTestDriver(countTopology(), { applicationId: 'level-driver' }, { stateDir: stateDir() });
    const input = driver.createInputTopic('clicks', Serdes.String(), Serdes.String());
    expect(() => input.pipeInput('ann', '/a', 1)).toThrow(/await TopologyTestDriver.create/);
  });

  it('counts into LevelDB, queries it, and finds the data again after a restart', async () => {
    const directory = stateDir();
    const first = await TopologyTestDriver.create(countTopology(), { applicationId: 'level-driver' }, { stateDir: directory });
    const input = first.createInputTopic('clicks', Serdes.String(), Serdes.String());
    for (const [user, time] of [['ann', 1], ['bob', 2], ['ann', 3], ['ann', 12]] as const) input.pipeInput(user, '/page', time);
    expect(first.createOutputTopic('counts', Serdes.String(), Serdes.Float64()).readKeyValuesToMap()).toEqual(new Map([['ann', 3], ['bob', 1]]));
    const windows = first.query('clicks-per-window', QueryableStoreTypes.windowStore<string, number>());
    expect([...windows.fetchRange('ann', 0, 100)]).toEqual([{ key: 0, value: 2 }, { key: 10, value: 1 }]);
    await first.closeAsync();

    // The test driver writes no checkpoints, so a reopened store without one is wiped (the
    // exactly-once rule): a restart finds its data only when a driver checkpoints it.
    const second = await TopologyTestDriver.create(countTopology(), { applicationId: 'level-driver' }, { stateDir: directory });
    expect(second.query('clicks-per-user', QueryableStoreTypes.keyValueStore<string, number>()).get('ann')).toBeUndefined();
    await second.closeAsync();
  });
});
