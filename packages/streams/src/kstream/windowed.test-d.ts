/**
 * Type tests of windowed aggregations: time, sliding and session windows give tables keyed by
 * `Windowed<K>` with the reduced or aggregate value; session aggregations need a merger of two
 * aggregates.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, JoinWindows, Materialized, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, TimeWindows } from '../index.js';
import type { KTable, SessionWindowedKStream, TimeWindowedKStream, Window, Windowed } from '../index.js';

const builder = new StreamsBuilder();
const grouped = builder.stream('amounts', Consumed.with(Serdes.String(), Serdes.Float64())).groupByKey();

describe('time and sliding windows', () => {
  it('windowedBy gives a time-windowed stream for both', () => {
    expectTypeOf(grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000).advanceBy(10_000))).toEqualTypeOf<TimeWindowedKStream<string, number>>();
    expectTypeOf(grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(60_000, 5_000))).toEqualTypeOf<TimeWindowedKStream<string, number>>();
  });

  it('reduce and aggregate key their tables by Windowed<K>, whose window has a start and an end', () => {
    const windowed = grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000));
    expectTypeOf(windowed.reduce((sum, amount) => sum + amount)).toEqualTypeOf<KTable<Windowed<string>, number>>();
    const ranges = windowed.aggregate(
      () => ({ min: Infinity, max: -Infinity }),
      (_key, amount, range) => ({ min: Math.min(range.min, amount), max: Math.max(range.max, amount) }),
      Materialized.as('ranges'),
    );
    expectTypeOf(ranges).toEqualTypeOf<KTable<Windowed<string>, { min: number; max: number }>>();
    ranges.toStream().foreach((key) => {
      expectTypeOf(key.key).toEqualTypeOf<string>();
      expectTypeOf(key.window).toEqualTypeOf<Window>();
    });
  });

  it('rejects join windows, and an aggregator of another type', () => {
    // @ts-expect-error JoinWindows are for stream-stream joins, not aggregations
    grouped.windowedBy(JoinWindows.ofTimeDifferenceWithNoGrace(10));
    // @ts-expect-error the aggregator returns the initializer's type
    grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).aggregate(() => 0, (_key, amount, sum) => `${sum + amount}`);
  });
});

describe('session windows', () => {
  const sessions = grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30_000));

  it('windowedBy gives a session-windowed stream; reduce keeps the value type', () => {
    expectTypeOf(sessions).toEqualTypeOf<SessionWindowedKStream<string, number>>();
    expectTypeOf(sessions.reduce((sum, amount) => sum + amount)).toEqualTypeOf<KTable<Windowed<string>, number>>();
  });

  it('aggregate takes a merger of two aggregates of the key', () => {
    const merged = sessions.aggregate(
      () => [] as number[],
      (_key, amount, list) => [...list, amount],
      (key, left, right) => {
        expectTypeOf(key).toEqualTypeOf<string>();
        expectTypeOf(left).toEqualTypeOf<number[]>();
        return [...left, ...right];
      },
    );
    expectTypeOf(merged).toEqualTypeOf<KTable<Windowed<string>, number[]>>();
  });

  it('rejects a session aggregate without its merger, and a merger of another type', () => {
    // @ts-expect-error sessions that a record bridges are merged: the merger is required
    sessions.aggregate(() => 0, (_key, amount, sum) => sum + amount);
    // @ts-expect-error the merger returns the aggregate type
    sessions.aggregate(() => 0, (_key, amount, sum) => sum + amount, (_key, left, right) => `${left + right}`);
  });
});
