/**
 * Table-table key joins (Kafka's `KTableKTableJoin` and its left and outer forms), against the
 * Kafka Streams docs' join table, and a join of joins.
 */
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import { Materialized, Named, Produced, Serdes, StreamsBuilder } from '../../../index.js';
import type { KTable, ValueAndTimestamp } from '../../../index.js';
import { builderOptions, strings } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

/** The table-table join example of the Kafka Streams docs (DSL API, "KTable-KTable Equi-Join"). */
describe('KTable key joins', () => {
  const steps: Array<[number, 'left' | 'right', string | null]> = [
    [1, 'left', null],
    [2, 'right', null],
    [3, 'left', 'A'],
    [4, 'right', 'a'],
    [5, 'left', 'B'],
    [6, 'right', 'b'],
    [7, 'left', null],
    [8, 'right', null],
    [9, 'left', 'C'],
    [10, 'right', 'c'],
    [11, 'right', null],
    [12, 'left', null],
    [13, 'right', null],
    [14, 'right', 'd'],
    [15, 'left', 'D'],
  ];
  const expected: Record<'join' | 'leftJoin' | 'outerJoin', Array<[number, string | null]>> = {
    join: [
      [4, 'A-a'],
      [5, 'B-a'],
      [6, 'B-b'],
      [7, null],
      [10, 'C-c'],
      [11, null],
      [15, 'D-d'],
    ],
    leftJoin: [
      [3, 'A-null'],
      [4, 'A-a'],
      [5, 'B-a'],
      [6, 'B-b'],
      [7, null],
      [9, 'C-null'],
      [10, 'C-c'],
      [11, 'C-null'],
      [12, null],
      [15, 'D-d'],
    ],
    outerJoin: [
      [3, 'A-null'],
      [4, 'A-a'],
      [5, 'B-a'],
      [6, 'B-b'],
      [7, 'null-b'],
      [8, null],
      [9, 'C-null'],
      [10, 'C-c'],
      [11, 'C-null'],
      [12, null],
      [14, 'null-d'],
      [15, 'D-d'],
    ],
  };

  for (const operator of ['join', 'leftJoin', 'outerJoin'] as const) {
    it(`${operator} emits the docs' sequence, with the larger timestamp of both sides`, async () => {
      const builder = new StreamsBuilder(builderOptions());
      const left = builder.table('left', strings);
      const right = builder.table('right', strings);
      const joiner = (l: string | null, r: string | null) => `${l}-${r}`;
      const joined: KTable<string, string> =
        operator === 'join' ? left.join(right, joiner) : operator === 'leftJoin' ? left.leftJoin(right, joiner) : left.outerJoin(right, joiner);
      joined.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
      const topology = builder.build();
      expect(topologyBuilder(topology)!.copartitionGroups.map((group) => [...group])).toEqual([['left', 'right']]);
      const driver = await openTableDriver(topology);
      const inputs = { left: driver.createInputTopic('left', Serdes.String(), Serdes.String()), right: driver.createInputTopic('right', Serdes.String(), Serdes.String()) };
      for (const [time, side, value] of steps) inputs[side].pipeInput('k', value, time);
      const records = stringKeyedOutput(driver, 'out', Serdes.String()).readRecordsToList();
      expect(records.map((record) => [record.timestamp, record.value])).toEqual(expected[operator]);
    });
  }

  it('materializes the join result when asked, and a join of joins looks rows up through both', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const a = builder.table('a', strings);
    const b = builder.table('b', strings);
    const c = builder.table('c', strings);
    const ab = a.join(b, (x, y) => x + y);
    ab.join(c, (xy, z) => xy + z, Named.as('abc'), Materialized.as<string, string>('abc-store'))
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
    const pipe = (topic: string, key: string, value: string | null, time: number) => driver.createInputTopic(topic, Serdes.String(), Serdes.String()).pipeInput(key, value, time);
    pipe('c', 'k', 'z', 1);
    pipe('a', 'k', 'x', 2);
    pipe('b', 'k', 'y', 3);
    pipe('c', 'k', 'Z', 4);
    expect(stringKeyedOutput(driver, 'out', Serdes.String()).readValuesToList()).toEqual(['xyz', 'xyZ']);
    expect(driver.getKeyValueStore<string, ValueAndTimestamp<string>>('abc-store').get('k')).toEqual({ value: 'xyZ', timestamp: 4 });
  });
});
