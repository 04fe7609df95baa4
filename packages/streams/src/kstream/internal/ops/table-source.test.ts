/**
 * `StreamsBuilder.table` (Kafka's `KTableSource`), tested as a user would in the test driver: the
 * latest value per key, tombstones, the record context of a delete, when an unnamed table gets a
 * store, and the headers a cached table forwards.
 */
import { describe, expect, it } from 'vitest';
import { Materialized, Produced, Serdes, StreamsBuilder } from '../../../index.js';
import type { ValueAndTimestamp } from '../../../index.js';
import { TestRecord } from '../../../test-utils/index.js';
import { Headers } from '../../../processor/headers.js';
import { builderOptions, openQuietDriver, strings } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

describe('StreamsBuilder.table', () => {
  it('materializes the latest value per key and forwards each update; tombstones delete', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const table = builder.table('in', strings, Materialized.as('rows'));
    table.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    expect(table.queryableStoreName).toBe('rows');
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'A1', 10);
    input.pipeInput('b', 'B1', 11);
    input.pipeInput('a', 'A2', 5); // out of order: the later offset still wins
    input.pipeInput('b', null, 12);
    input.pipeInput(null, 'dropped', 13);
    expect(stringKeyedOutput(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 'A1' },
      { key: 'b', value: 'B1' },
      { key: 'a', value: 'A2' },
      { key: 'b', value: null },
    ]);
    const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('rows');
    expect(store.get('a')).toEqual({ value: 'A2', timestamp: 5 });
    expect(store.get('b')).toBeUndefined();
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('forwards and logs a tombstone at its own record’s timestamp, not the stream time, as Kafka’s record context does', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder.table('in', strings, Materialized.as('rows')).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('a', 'A1', 30);
    input.pipeInput('b', 'B1', 62);
    input.pipeInput('a', null, 39); // stream time stays 62
    const tombstone = stringKeyedOutput(driver, 'out', Serdes.String()).readRecordsToList()[2]!;
    expect([tombstone.key, tombstone.value, tombstone.timestamp]).toEqual(['a', null, 39]);
    const changelog = driver.createOutputTopic('test-rows-changelog', Serdes.String(), Serdes.Bytes()).readRecordsToList();
    expect(changelog.map((record) => [record.key, record.value === null ? null : 'value', record.timestamp])).toEqual([
      ['a', 'value', 30],
      ['b', 'value', 62],
      ['a', null, 39],
    ]);
  });

  it('names an unnamed store as Kafka Streams does, and creates it only when a join needs it', async () => {
    // Kafka's KTableSource materializes only for a named store or a downstream need (a value
    // getter, or old values asked with forceMaterialization); the generated name is fixed either way.
    const unread = new StreamsBuilder(builderOptions());
    unread.table('in', strings).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    expect(unread.build().describe().toString()).not.toContain('in-STATE-STORE-0000000000');

    const builder = new StreamsBuilder(builderOptions());
    const table = builder.table('in', strings);
    expect(table.queryableStoreName).toBeUndefined();
    builder
      .stream('lookups', strings)
      .join(table, (lookup, row) => `${lookup}:${row}`)
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v', 1);
    expect(driver.getKeyValueStore<string, ValueAndTimestamp<string>>('in-STATE-STORE-0000000000').get('k')?.value).toBe('v');
  });

  it('forwards every update of a table without a store, even a delete of an absent key, with caching on', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder.table('in', strings).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('gone', null, 1);
    input.pipeInput('k', 'v', 2);
    expect(stringKeyedOutput(driver, 'out', Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'gone', value: null },
      { key: 'k', value: 'v' },
    ]);
  });
});

describe('a cached table', () => {
  it('forwards each update with the headers of the record that made it, cache on or off', async () => {
    for (const cacheMaxBytes of [0, 1024 * 1024]) {
      const builder = new StreamsBuilder(builderOptions());
      builder.table('in', strings, Materialized.as('rows')).toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
      const driver = await openQuietDriver(builder.build(), { cacheMaxBytes });
      const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
      input.pipeInput(new TestRecord('a', 'A1', 1, new Headers().add('trace', 't1')));
      input.pipeInput(new TestRecord<string, string>('a', null, 2, new Headers().add('trace', 't2')));
      const records = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
      expect(records.map((record) => `${record.value}:${record.headers.lastString('trace')}`)).toEqual(['A1:t1', 'null:t2']);
    }
  });
});
