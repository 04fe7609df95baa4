/**
 * Type tests of suppress: it keeps the table's key and value types (windowed or not), takes only
 * `Suppressed` configs, and exists on tables, not streams.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { BufferConfig, Consumed, Serdes, StreamsBuilder, Suppressed, TimeWindows } from '../index.js';
import type { KTable, Windowed } from '../index.js';

const builder = new StreamsBuilder();
const stream = builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32()));
const counts = stream.groupByKey().count();
const windowedCounts = stream.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count();

describe('suppress types', () => {
  it('keeps the table’s types, windowed or not', () => {
    expectTypeOf(windowedCounts.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))).toEqualTypeOf<KTable<Windowed<string>, number>>();
    expectTypeOf(counts.suppress(Suppressed.untilTimeLimit(1_000, BufferConfig.maxRecords(100, 'shut-down')))).toEqualTypeOf<KTable<string, number>>();
    expectTypeOf(windowedCounts.suppress(Suppressed.untilTimeLimit(1_000, BufferConfig.maxBytes(1 << 20), 'limited')).toStream()).toEqualTypeOf<
      ReturnType<KTable<Windowed<string>, number>['toStream']>
    >();
  });

  it('rejects a buffer strategy it does not know, a config that is not Suppressed, and suppress on a stream', () => {
    // @ts-expect-error a full buffer emits early or shuts down
    BufferConfig.maxRecords(10, 'drop');
    // @ts-expect-error suppress takes a Suppressed, not a buffer config
    counts.suppress(BufferConfig.unbounded());
    // @ts-expect-error streams do not suppress: only tables' updates are buffered
    stream.suppress(Suppressed.untilTimeLimit(1_000));
  });
});
