/**
 * Type tests of grouped and windowed aggregations: `count()` counts in `number`, or in `bigint`
 * when its `Materialized` gives `Serdes.Int64()` (Kafka's `Materialized<K, Long>` with
 * `Serdes.Long()`), and the table's type says which.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, Materialized, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, TimeWindows } from '../index.js';
import type { KTable, Windowed } from '../index.js';

const builder = new StreamsBuilder();
const grouped = builder.stream('t', Consumed.with(Serdes.String(), Serdes.Int32())).groupByKey();
const longs = Materialized.with(Serdes.String(), Serdes.Int64());

describe('count types', () => {
  it('counts in number by default, or with a number value serde', () => {
    expectTypeOf(grouped.count()).toEqualTypeOf<KTable<string, number>>();
    expectTypeOf(grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count(Materialized.as('counts'))).toEqualTypeOf<KTable<Windowed<string>, number>>();
    expectTypeOf(grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count(Materialized.with(Serdes.String(), Serdes.Float64()))).toEqualTypeOf<KTable<Windowed<string>, number>>();
  });

  it('counts in bigint when the Materialized value serde is Serdes.Int64()', () => {
    expectTypeOf(grouped.count(longs)).toEqualTypeOf<KTable<string, bigint>>();
    expectTypeOf(grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count(longs)).toEqualTypeOf<KTable<Windowed<string>, bigint>>();
    expectTypeOf(grouped.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).count({ ...Materialized.as<string, bigint>('sliding'), ...longs })).toEqualTypeOf<KTable<Windowed<string>, bigint>>();
    expectTypeOf(grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count(longs)).toEqualTypeOf<KTable<Windowed<string>, bigint>>();
  });

  it('refuses a value serde of neither numbers nor bigints', () => {
    // @ts-expect-error a count is a number or a bigint, not a string
    grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count(Materialized.with(Serdes.String(), Serdes.String()));
  });
});
