/**
 * `KTable.suppress` (Kafka's `KTableSuppressProcessor`): final results once a window closes, time
 * limits, buffer order and a full buffer; a property test checks `untilWindowCloses` against a
 * brute-force oracle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferConfig, logAndFail, Produced, Serdes, SessionWindows, silentLogger, StreamsBuilder, Suppressed, TimeWindows, WindowedSerdes } from '../../../index.js';
import type { KeyValue, KStream, KTable, Windowed } from '../../../index.js';
import { builderOptions, numbers, openDriver, openQuietDriver, propertyRuns } from '#test-kit';
import { pipeNumbers, recordsArbitrary, timeWindowOracle } from './stateful-test-kit.js';

describe('suppress', () => {
  it('emits each window final result once, after the window closes', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const counts = (builder.stream('in', numbers) as KStream<string, number>).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count() as KTable<Windowed<string>, number>;
    counts
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64());
    pipeNumbers(driver, [['a', 1, 1], ['a', 1, 5], ['b', 1, 9], ['a', 1, 12]]);
    expect(out.isEmpty()).toBe(true);
    pipeNumbers(driver, [['a', 1, 14]]);
    expect(out.isEmpty()).toBe(true);
    pipeNumbers(driver, [['a', 1, 15]]);
    expect(out.readKeyValuesToList().map(({ key, value }) => `${key!.key}@${key!.window.start}:${value}`)).toEqual(['a@0:2', 'b@0:1']);
  });

  it('fails the task with SUPPRESSION_BUFFER_FULL when a shut-down buffer overflows and the processing handler fails', async () => {
    const builder = new StreamsBuilder(builderOptions());
    ((builder.stream('in', numbers) as KStream<string, number>).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count() as KTable<Windowed<string>, number>).suppress(
      Suppressed.untilWindowCloses(BufferConfig.maxRecords(1, 'shut-down'), 'final-counts'),
    );
    const driver = await openQuietDriver(builder.build(), { processingExceptionHandler: logAndFail() });
    pipeNumbers(driver, [['a', 1, 1]]);
    expect(() => pipeNumbers(driver, [['b', 1, 2]])).toThrow(expect.objectContaining({ cause: expect.objectContaining({ code: 'SUPPRESSION_BUFFER_FULL', message: expect.stringContaining("'final-counts'") }) }));
  });

  it('holds a session until stream time passes its end plus grace plus gap, when Kafka closes it', async () => {
    const builder = new StreamsBuilder(builderOptions());
    ((builder.stream('in', numbers) as KStream<string, number>).groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count({ cachingEnabled: false }) as KTable<Windowed<string>, number>)
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('final', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('final', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64());
    const read = () => out.readKeyValuesToList().map(({ key, value }) => `${key!.key}@${key!.window.start}-${key!.window.end}=${value}`);
    // At stream time 5, a's session [0, 0] is still open: a record at up to 10 would extend it.
    pipeNumbers(driver, [['a', 1, 0], ['b', 1, 5]]);
    expect(read()).toEqual([]);
    pipeNumbers(driver, [['a', 1, 8]]);
    expect(read()).toEqual([]);
    // Stream time 20 closes sessions ending at or before 10, in end order.
    pipeNumbers(driver, [['b', 1, 20]]);
    expect(read()).toEqual(['b@5-5=1', 'a@0-8=2']);
  });

  it('emits records due together in buffer-key order (time, then key bytes), not in arrival order, as Kafka does', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = (builder.stream('in', numbers) as KStream<string, number>).groupByKey();
    (grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ cachingEnabled: false }) as KTable<Windowed<string>, number>)
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('final', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()));
    (grouped.reduce((sum, value) => sum + value, { cachingEnabled: false }) as KTable<string, number>)
      .suppress(Suppressed.untilTimeLimit(5))
      .toStream()
      .to('limited', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openQuietDriver(builder.build());
    // Keys 'b', 'aa', 'a' all at time 3 (window [0,10)); the key bytes order them a < aa < b.
    pipeNumbers(driver, [['b', 1, 3], ['aa', 1, 3], ['a', 1, 3], ['b', 1, 4], ['z', 1, 20]]);
    const final = driver.createOutputTopic('final', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10), Serdes.Float64()).readKeyValuesToList();
    expect(final.map(({ key, value }) => `${key!.key}@${key!.window.start}=${value}`)).toEqual(['a@0=1', 'aa@0=1', 'b@0=2']);
    // untilTimeLimit: each key is due at the time it was first held plus 5 (b at 3, though updated at 4).
    const limited = driver.createOutputTopic('limited', Serdes.String(), Serdes.Int32()).readKeyValuesToList();
    expect(limited).toEqual([{ key: 'a', value: 1 }, { key: 'aa', value: 1 }, { key: 'b', value: 2 }]);
  });

  it('untilTimeLimit emits the latest value of a key once the limit passed since it was first held', async () => {
    const builder = new StreamsBuilder(builderOptions());
    ((builder.stream('in', numbers) as KStream<string, number>).groupByKey().reduce((sum, value) => sum + value) as KTable<string, number>)
      .suppress(Suppressed.untilTimeLimit(10))
      .toStream()
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', Serdes.String(), Serdes.Int32());
    pipeNumbers(driver, [['a', 1, 0], ['a', 2, 5], ['b', 7, 9]]);
    expect(out.isEmpty()).toBe(true);
    pipeNumbers(driver, [['b', 1, 10]]);
    expect(out.readKeyValuesToList()).toEqual([{ key: 'a', value: 3 }]);
  });

  it('refuses untilWindowCloses on a table that is not windowed', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const table = (builder.stream('in', numbers) as KStream<string, number>).groupByKey().count() as KTable<string, number>;
    expect(() => table.suppress(Suppressed.untilWindowCloses())).toThrow(/needs a windowed table/);
  });
});

describe.each([true, false])('suppress matches a brute-force oracle (caching: %s)', (caching) => {
  it('suppress(untilWindowCloses) emits exactly one result per window and key, equal to its final value, only once closed, in buffer order', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.integer({ min: 0, max: 40 }), async (inputs, grace) => {
        const size = 50;
        const builder = new StreamsBuilder(builderOptions());
        ((builder.stream('in', numbers) as KStream<string, number>).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(size, grace)).reduce((sum, value) => sum + value, { cachingEnabled: caching }) as KTable<Windowed<string>, number>)
          .suppress(Suppressed.untilWindowCloses())
          .toStream()
          .to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), size), Serdes.Int32()));
        const driver = await openDriver(builder.build(), { logger: silentLogger });
        try {
          const out = driver.createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), size), Serdes.Int32());
          const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
          const emitted: KeyValue<string, number>[] = [];
          let streamTime = -1;
          for (const [key, value, timestamp] of inputs) {
            input.pipeInput(key, value, timestamp);
            streamTime = Math.max(streamTime, timestamp);
            const batch = out.readKeyValuesToList();
            for (const record of batch) {
              expect(record.key!.window.end + grace, 'emitted only once the window closed').toBeLessThanOrEqual(streamTime);
              emitted.push({ key: `${record.key!.key}@${record.key!.window.start}`, value: record.value! });
            }
            // What one record makes due goes out in Kafka's buffer order: window end, then key bytes.
            const order = batch.map((record) => [record.key!.window.end, record.key!.key] as const);
            expect(order).toEqual([...order].sort(([leftEnd, leftKey], [rightEnd, rightKey]) => leftEnd - rightEnd || (leftKey < rightKey ? -1 : leftKey > rightKey ? 1 : 0)));
          }
          const oracle = timeWindowOracle(inputs, size, size, grace);
          const closed = [...oracle.windows].filter(([id]) => Number(id.split('@')[1]) + size + grace <= streamTime);
          expect(emitted.map(({ key, value }) => [key, value] as const).sort()).toEqual(closed.sort());
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});
