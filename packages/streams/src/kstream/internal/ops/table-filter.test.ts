/**
 * `KTable.filter` / `filterNot` (Kafka's `KTableFilter`): which deletes it forwards, with and without
 * the old values a downstream operator asks for.
 */
import { describe, expect, it } from 'vitest';
import { Grouped, Materialized, Produced, Serdes, StreamsBuilder } from '../../../index.js';
import { builderOptions, numbers } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

describe('KTable.filter', () => {
  it('forwards a delete for every row that does not pass when no downstream operator needs old values', async () => {
    // Kafka's KTableFilter without sendOldValues cannot know whether the row passed before, so
    // it forwards the delete each time (Tributary used to drop rows that never matched).
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('in', numbers)
      .filter((_key, value) => value > 10)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 5, 1); // does not pass: delete
    input.pipeInput('a', 20, 2); // passes
    input.pipeInput('a', 30, 3);
    input.pipeInput('a', 1, 4); // stops passing: delete
    input.pipeInput('a', null, 5); // deleted upstream: delete
    expect(stringKeyedOutput(driver, 'out', Serdes.Int32()).readRecordsToList().map((record) => [record.timestamp, record.value])).toEqual([
      [1, null],
      [2, 20],
      [3, 30],
      [4, null],
      [5, null],
    ]);
  });

  it('below a materialized table (an aggregation), takes its old values and forwards no needless deletes', async () => {
    // Kafka's KTableFilter asks its parent for old values unforced when it is built: a parent that
    // has a store says yes.
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('in', numbers)
      .groupByKey()
      .reduce((sum, value) => sum + value, Materialized.with(Serdes.String(), Serdes.Int32()))
      .filter((_key, sum) => sum % 2 === 0)
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 3, 1); // 3: never passed, nothing
    input.pipeInput('a', 1, 2); // 4
    input.pipeInput('a', 1, 3); // 5: stops passing, delete
    input.pipeInput('a', 2, 4); // 7: nothing
    expect(stringKeyedOutput(driver, 'out', Serdes.Int32()).readValuesToList()).toEqual([4, null]);
  });

  it('with old values asked for (a groupBy subtractor), forwards a delete only for a row that passed before', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const filtered = builder.table('in', numbers).filter((_key, value) => value > 10);
    filtered.toStream().to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    filtered
      .groupBy((key, value) => ({ key, value }), Grouped.with(Serdes.String(), Serdes.Int32()))
      .reduce(
        (sum, value) => sum + value,
        (sum, value) => sum - value,
        Materialized.with(Serdes.String(), Serdes.Int32()),
      )
      .toStream()
      .to('sums', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openTableDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 5, 1); // never passed: nothing
    input.pipeInput('a', 20, 2);
    input.pipeInput('a', 30, 3);
    input.pipeInput('a', 1, 4); // stops passing: delete
    input.pipeInput('a', null, 5); // already gone: nothing
    expect(stringKeyedOutput(driver, 'out', Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 20 },
      { key: 'a', value: 30 },
      { key: 'a', value: null },
    ]);
    // The subtractor saw the old rows: 20, then 30 (20 out, 30 in), then 0 (30 out).
    expect(stringKeyedOutput(driver, 'sums', Serdes.Int32()).readKeyValuesToList().map((record) => record.value)).toEqual([20, 30, 0]);
  });
});
