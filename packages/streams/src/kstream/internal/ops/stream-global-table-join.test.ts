/**
 * Stream-global-table joins (Kafka's `KStreamGlobalKTableJoin`), tested as a user would: look-ups by
 * the key a selector computes, with no repartition, and the null keys of KIP-962.
 */
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import { StreamsBuilder } from '../../../index.js';
import type { Topology } from '../../../index.js';
import { builderOptions, strings, writeStrings } from '#test-kit';
import { runJoin, showJoin } from './stateful-test-kit.js';
import type { JoinArrival } from './stateful-test-kit.js';

describe('stream-global-table join', () => {
  function globalTopology(leftJoin: boolean): Topology {
    const builder = new StreamsBuilder(builderOptions());
    const stream = builder.stream('stream', strings);
    const users = builder.globalTable('users', strings);
    // The lookup key comes from the value: "user:action".
    const selector = (_key: string, value: string): string => value.split(':')[0]!;
    (leftJoin ? stream.leftJoin(users, selector, showJoin) : stream.join(users, selector, showJoin)).to('out', writeStrings);
    return builder.build();
  }

  it('looks rows up by the computed key, with no repartition and no co-partitioning', async () => {
    const topology = globalTopology(false);
    expect(topologyBuilder(topology)!.internalTopics.size).toBe(0);
    expect(topologyBuilder(topology)!.copartitionGroups).toEqual([]);
    const { outputs } = await runJoin(
      topology,
      [
        { topic: 'table', key: 'u1', value: 'Alice', timestamp: 1 },
        { topic: 'stream', key: 'e1', value: 'u1:click', timestamp: 2 },
        { topic: 'stream', key: 'e2', value: 'u2:click', timestamp: 3 },
      ],
      'users',
    );
    expect(outputs).toEqual([[], ['e1:u1:click - Alice@2'], []]);
  });

  it('left join emits records without a row joined with null', async () => {
    const { outputs } = await runJoin(
      globalTopology(true),
      [
        { topic: 'stream', key: 'e1', value: 'u1:click', timestamp: 2 },
        { topic: 'table', key: 'u1', value: 'Alice', timestamp: 3 },
        { topic: 'stream', key: 'e2', value: 'u1:view', timestamp: 4 },
      ],
      'users',
    );
    expect(outputs).toEqual([['e1:u1:click - null@2'], [], ['e2:u1:view - Alice@4']]);
  });

  // Expected outputs from Kafka Streams 3.9.2's TopologyTestDriver, run on the same input.
  describe('null keys (KIP-962): a selector returning null drops the record, except a left join keeps a record whose own key is null', () => {
    function nullableSelectorTopology(leftJoin: boolean): Topology {
      const builder = new StreamsBuilder(builderOptions());
      const stream = builder.stream('stream', strings);
      const users = builder.globalTable('users', strings);
      const selector = (_key: string, value: string): string | null => (value.startsWith('nokey') ? null : value.split(':')[0]!);
      (leftJoin ? stream.leftJoin(users, selector, showJoin) : stream.join(users, selector, showJoin)).to('out', writeStrings);
      return builder.build();
    }
    const arrivals: JoinArrival[] = [
      { topic: 'table', key: 'g', value: 'row', timestamp: 1 },
      { topic: 'stream', key: null, value: 'g:A', timestamp: 2 },
      { topic: 'stream', key: null, value: 'nokeyB', timestamp: 3 },
      { topic: 'stream', key: 'k', value: 'nokeyC', timestamp: 4 },
      { topic: 'stream', key: 'k', value: 'g:D', timestamp: 5 },
      { topic: 'stream', key: 'k', value: 'h:E', timestamp: 7 },
    ];

    it('left join', async () => {
      const { outputs, driver } = await runJoin(nullableSelectorTopology(true), arrivals, 'users');
      expect(outputs).toEqual([[], ['null:g:A - row@2'], ['null:nokeyB - null@3'], [], ['k:g:D - row@5'], ['k:h:E - null@7']]);
      expect(driver.droppedRecords().get('null-key')).toBe(1);
    });

    it('inner join', async () => {
      const { outputs, driver } = await runJoin(nullableSelectorTopology(false), arrivals, 'users');
      expect(outputs).toEqual([[], ['null:g:A - row@2'], [], [], ['k:g:D - row@5'], []]);
      expect(driver.droppedRecords().get('null-key')).toBe(2);
    });

    it('calls the selector even for a record with a null value, as Kafka does, then drops the record', async () => {
      const builder = new StreamsBuilder(builderOptions());
      const stream = builder.stream('stream', strings);
      const users = builder.globalTable('users', strings);
      const seen: Array<string | null> = [];
      const selector = (_key: string, value: string): string => {
        seen.push(value);
        return 'g';
      };
      stream.leftJoin(users, selector, showJoin).to('out', writeStrings);
      const { outputs, driver } = await runJoin(builder.build(), [{ topic: 'stream', key: 'k', value: null, timestamp: 1 }], 'users');
      expect(outputs).toEqual([[]]);
      expect(seen).toEqual([null]);
      expect(driver.droppedRecords().get('null-value')).toBe(1);
    });
  });
});
