/**
 * Type tests of grouped and windowed aggregations: `count()` counts in `number`, or in `bigint`
 * when its `Materialized` gives `Serdes.Int64()` (Kafka's `Materialized<K, Long>` with
 * `Serdes.Long()`), and the table's type says which.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, Materialized, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, TimeWindows, updateInPlace } from '../index.js';
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

describe('updateInPlace types', () => {
  interface Totals {
    count: number;
    sum: number;
  }

  it('is an Aggregator of the stream: the table has the aggregate type', () => {
    const totals = updateInPlace<string, number, Totals>({
      update: (_key, value, aggregate) => {
        aggregate.sum += value;
        return aggregate;
      },
      copy: (aggregate) => ({ ...aggregate }),
    });
    expectTypeOf(grouped.aggregate((): Totals => ({ count: 0, sum: 0 }), totals)).toEqualTypeOf<KTable<string, Totals>>();
    expectTypeOf(grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).aggregate((): Totals => ({ count: 0, sum: 0 }), totals)).toEqualTypeOf<KTable<Windowed<string>, Totals>>();
  });

  it("refuses an update whose record value is not the stream's", () => {
    const onStrings = updateInPlace<string, string, Totals>({ update: (_key, _value, aggregate) => aggregate, copy: (aggregate) => ({ ...aggregate }) });
    // @ts-expect-error the stream's values are numbers
    grouped.aggregate((): Totals => ({ count: 0, sum: 0 }), onStrings);
  });
});

