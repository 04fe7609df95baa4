/**
 * Stream-table joins, tested as a user would, plus a property test against an oracle that replays
 * the inputs in order keeping the table as a Map.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import { Joined, Serdes, StreamsBuilder, TopologyError } from '../../../index.js';
import type { Topology } from '../../../index.js';
import { builderOptions, openQuietDriver, propertyRuns, strings, writeStrings } from '#test-kit';
import { runJoin, showJoin } from './stateful-test-kit.js';
import type { JoinArrival } from './stateful-test-kit.js';

function streamTableTopology(leftJoin: boolean): Topology {
  const builder = new StreamsBuilder(builderOptions());
  const stream = builder.stream('stream', strings);
  const table = builder.table('table', strings);
  (leftJoin ? stream.leftJoin(table, showJoin) : stream.join(table, showJoin)).to('out', writeStrings);
  return builder.build();
}

// The docs' stream-table table: the stream is STREAM_1, the table STREAM_2 read as a changelog.
const docsArrivals: JoinArrival[] = [
  { topic: 'stream', key: 'k', value: null, timestamp: 1 },
  { topic: 'table', key: 'k', value: null, timestamp: 2 },
  { topic: 'stream', key: 'k', value: 'A', timestamp: 3 },
  { topic: 'table', key: 'k', value: 'a', timestamp: 4 },
  { topic: 'stream', key: 'k', value: 'B', timestamp: 5 },
  { topic: 'table', key: 'k', value: 'b', timestamp: 6 },
  { topic: 'stream', key: 'k', value: null, timestamp: 7 },
  { topic: 'table', key: 'k', value: null, timestamp: 8 },
  { topic: 'stream', key: 'k', value: 'C', timestamp: 9 },
  { topic: 'table', key: 'k', value: 'c', timestamp: 10 },
  { topic: 'table', key: 'k', value: null, timestamp: 11 },
  { topic: 'stream', key: 'k', value: null, timestamp: 12 },
  { topic: 'table', key: 'k', value: null, timestamp: 13 },
  { topic: 'table', key: 'k', value: 'd', timestamp: 14 },
  { topic: 'stream', key: 'k', value: 'D', timestamp: 15 },
];

describe('stream-table join', () => {
  it('inner join: the docs table, where only stream records trigger output', async () => {
    const { outputs, driver } = await runJoin(streamTableTopology(false), docsArrivals);
    expect(outputs).toEqual([[], [], [], [], ['k:B - a@5'], [], [], [], [], [], [], [], [], [], ['k:D - d@15']]);
    expect(driver.droppedRecords().get('null-value')).toBe(3);
  });

  it('left join: the docs table, stream records without a row join null', async () => {
    const { outputs } = await runJoin(streamTableTopology(true), docsArrivals);
    expect(outputs).toEqual([[], [], ['k:A - null@3'], [], ['k:B - a@5'], [], [], [], ['k:C - null@9'], [], [], [], [], [], ['k:D - d@15']]);
  });

  // Expected outputs from Kafka Streams 3.9.2's TopologyTestDriver, run on the same input.
  it('left join emits a stream record with a null key joined with null (KIP-962), and drops one with a null value too', async () => {
    const { outputs, driver } = await runJoin(streamTableTopology(true), [
      { topic: 'table', key: 'k', value: 'a', timestamp: 1 },
      { topic: 'stream', key: null, value: 'A', timestamp: 2 },
      { topic: 'stream', key: null, value: null, timestamp: 3 },
    ]);
    expect(outputs).toEqual([[], ['null:A - null@2'], []]);
    expect(driver.droppedRecords().get('null-key')).toBeUndefined();
    expect(driver.droppedRecords().get('null-value')).toBe(1);
  });

  it('inner join drops and counts stream records with a null key', async () => {
    const { outputs, driver } = await runJoin(streamTableTopology(false), [
      { topic: 'table', key: 'k', value: 'a', timestamp: 1 },
      { topic: 'stream', key: null, value: 'A', timestamp: 2 },
    ]);
    expect(outputs).toEqual([[], []]);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('records the stream and table topics as a co-partition group, after repartitioning a re-keyed stream', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const stream = builder.stream('stream', strings).selectKey((_key, value) => value.split(':')[0]!);
    stream.join(builder.table('table', strings), showJoin, Joined.as('enrich')).to('out', writeStrings);
    const topology = builder.build();
    // Kafka Streams names the topic after the Joined name alone.
    expect(topologyBuilder(topology)!.internalTopics.has('enrich-repartition')).toBe(true);
    expect(topologyBuilder(topology)!.copartitionGroups.map((group) => [...group].sort())).toEqual([['enrich-repartition', 'table']]);
    const { outputs } = await runJoin(topology, [
      { topic: 'table', key: 'u1', value: 'Alice', timestamp: 1 },
      { topic: 'stream', key: 'x', value: 'u1:click', timestamp: 2 },
    ]);
    expect(outputs).toEqual([[], ['u1:u1:click - Alice@2']]);
  });

  it('rejects a join grace period, which needs a versioned table', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const stream = builder.stream('stream', strings);
    const table = builder.table('table', strings);
    expect(() => stream.join(table, showJoin, { gracePeriodMs: 10 })).toThrow(TopologyError);
  });

  it.each([false, true])('matches an oracle that keeps the table as a Map (left join: %s)', async (leftJoin) => {
    // Stream records may have a null key: the oracle used to drop them all; since KIP-962 (Kafka 3.7) a
    // left join emits them joined with null, and an inner join still drops them.
    const arrival = fc
      .record({
        topic: fc.constantFrom('stream' as const, 'table' as const),
        key: fc.constantFrom<string | null>('a', 'b', 'c', null),
        value: fc.option(fc.constantFrom('1', '2', '3'), { freq: 5 }),
        timestamp: fc.integer({ min: 0, max: 100 }),
      })
      .map((generated) => (generated.topic === 'table' && generated.key === null ? { ...generated, key: 'a' } : generated));
    await fc.assert(
      fc.asyncProperty(fc.array(arrival, { maxLength: 30 }), async (arrivals) => {
        const table = new Map<string, string>();
        const expected: string[] = [];
        for (const { topic, key, value, timestamp } of arrivals) {
          if (topic === 'table') {
            if (value === null) table.delete(key!);
            else table.set(key!, value);
            continue;
          }
          if (value === null) continue;
          const row = key === null ? undefined : table.get(key);
          if (row !== undefined || leftJoin) expected.push(`${key}:${showJoin(value, row ?? null)}@${timestamp}`);
        }
        const driver = await openQuietDriver(streamTableTopology(leftJoin));
        try {
          const inputs = {
            stream: driver.createInputTopic('stream', Serdes.String(), Serdes.String()),
            table: driver.createInputTopic('table', Serdes.String(), Serdes.String()),
          };
          for (const { topic, key, value, timestamp } of arrivals) inputs[topic].pipeInput(key, value, timestamp);
          const actual = driver
            .createOutputTopic('out', Serdes.String(), Serdes.String())
            .readRecordsToList()
            .map((record) => `${record.key}:${record.value}@${record.timestamp}`);
          expect(actual).toEqual(expected);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});
