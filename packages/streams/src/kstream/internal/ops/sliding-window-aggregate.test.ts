/**
 * Sliding-window aggregations (Kafka's `KStreamSlidingWindowAggregate`): the order in which a record
 * updates and creates its windows; a property test compares every window with a brute-force oracle
 * (KIP-450).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Produced, Serdes, silentLogger, SlidingWindows, StreamsBuilder, WindowedSerdes } from '../../../index.js';
import type { KStream } from '../../../index.js';
import { builderOptions, numbers, numberTopology, openDriver, openQuietDriver, propertyRuns } from '#test-kit';
import { pipeNumbers, recordsArbitrary, sortedEntries, windowContents } from './stateful-test-kit.js';

describe('sliding-window aggregations', () => {
  it('updates the sliding windows a record falls into newest start first, then creates its windows (Kafka\'s reverse fetch)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', numbers) as KStream<string, number>)
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 1000))
      .count({ storeName: 'sliding', cachingEnabled: false })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64());
    const read = () => out.readKeyValuesToList().map(({ key, value }) => `[${key!.window.start},${key!.window.start + 10}]=${value}`);
    pipeNumbers(driver, [['a', 1, 100], ['a', 1, 105], ['a', 1, 108]]);
    expect(read()).toEqual(['[90,100]=1', '[101,111]=1', '[95,105]=2', '[101,111]=2', '[106,116]=1', '[98,108]=3']);
    // 109 falls into [106,116] and [101,111]: updated newest first; then the previous record's
    // right window [109,119] and its own left window [99,109] are created.
    pipeNumbers(driver, [['a', 1, 109]]);
    expect(read()).toEqual(['[106,116]=2', '[101,111]=3', '[109,119]=1', '[99,109]=4']);
    // A late record at 103 updates four windows, newest first, then creates its left window and
    // its right window (a copy of [101,111] before the update: the records at 105, 108 and 109).
    pipeNumbers(driver, [['a', 1, 103]]);
    expect(read()).toEqual(['[101,111]=4', '[99,109]=5', '[98,108]=4', '[95,105]=3', '[93,103]=2', '[104,114]=3']);
    // A second record at 109: its left window holds a record at 109 already, so it only updates.
    pipeNumbers(driver, [['a', 1, 109]]);
    expect(read()).toEqual(['[109,119]=2', '[106,116]=3', '[104,114]=4', '[101,111]=5', '[99,109]=6']);
  });
});

describe.each([true, false])('sliding-window aggregations match a brute-force oracle (caching: %s)', (caching) => {
  it('sliding windows (no late records): every window holds exactly the records within it, updated newest start first', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.integer({ min: 1, max: 60 }), async (inputs, difference) => {
        const grace = 1000; // larger than any disorder: nothing is late
        const driver = await openDriver(
          numberTopology((stream) =>
            stream
              .groupByKey()
              .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(difference, grace))
              .reduce((sum, value) => sum + value, { storeName: 'sliding', retentionMs: 1_000_000, cachingEnabled: caching })
              .toStream()
              .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), difference), Serdes.Int32())),
          ),
          { logger: silentLogger },
        );
        try {
          // Kafka's order (the reverse fetch of KStreamSlidingWindowAggregate): a record at or after
          // the difference updates the windows that exist, newest start first, then creates new ones.
          const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), difference), Serdes.Int32());
          const seen = new Set<string>();
          for (const input of inputs) {
            pipeNumbers(driver, [input]);
            const starts = out.readKeyValuesToList().map(({ key }) => key!.window.start);
            const updated = starts.filter((start) => seen.has(`${input[0]}@${start}`));
            if (input[2] >= difference) {
              expect(starts.slice(0, updated.length), 'existing windows first').toEqual(updated);
              expect(updated, 'newest start first').toEqual([...updated].sort((left, right) => right - left));
            }
            for (const start of starts) seen.add(`${input[0]}@${start}`);
          }
          // Oracle (KIP-450): a left window [t - d, t] per record (records before d share [0, d]),
          // and a right window [t + 1, t + 1 + d] per record with a later record within d + 1.
          const expected = new Map<string, number>();
          for (const key of ['a', 'b', 'c']) {
            const times = inputs.filter((input) => input[0] === key).map((input) => input[2]);
            const sumIn = (start: number) => inputs.filter((input) => input[0] === key && input[2] >= start && input[2] <= start + difference).reduce((total, input) => total + input[1]!, 0);
            for (const time of times) {
              const leftStart = Math.max(0, time - difference);
              expected.set(`${key}@${leftStart}`, sumIn(leftStart));
              if (times.some((other) => other > time && other <= time + 1 + difference)) expected.set(`${key}@${time + 1}`, sumIn(time + 1));
            }
          }
          expect(sortedEntries(windowContents(driver, 'sliding'))).toEqual(sortedEntries(expected));
          expect(driver.droppedRecords().get('late-record') ?? 0).toBe(0);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
