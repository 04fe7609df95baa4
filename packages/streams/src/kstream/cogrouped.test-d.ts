/**
 * Type tests of cogrouped streams: grouped streams of one key type and different value types fold
 * into one aggregate type, each with its own aggregator; the aggregate is per key or per time window.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, Serdes, SessionWindows, SlidingWindows, StreamsBuilder, TimeWindows } from '../index.js';
import type { CogroupedKStream, KTable, Windowed } from '../index.js';

interface Activity {
  readonly views: number;
  readonly spent: number;
}

const builder = new StreamsBuilder();
const views = builder.stream('views', Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
const purchases = builder.stream('purchases', Consumed.with(Serdes.String(), Serdes.Float64())).groupByKey();
const byPage = builder.stream('views-by-page', Consumed.with(Serdes.Int32(), Serdes.String())).groupByKey();

describe('CogroupedKStream types', () => {
  const activity = views
    .cogroup<Activity>((_user, _page, total) => ({ ...total, views: total.views + 1 }))
    .cogroup(purchases, (_user, amount, total) => {
      expectTypeOf(amount).toEqualTypeOf<number>();
      return { ...total, spent: total.spent + amount };
    });

  it('cogroup keeps the key and the aggregate type across value types', () => {
    expectTypeOf(activity).toEqualTypeOf<CogroupedKStream<string, Activity>>();
  });

  it('aggregates per key, or per time or sliding window', () => {
    expectTypeOf(activity.aggregate(() => ({ views: 0, spent: 0 }))).toEqualTypeOf<KTable<string, Activity>>();
    expectTypeOf(activity.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).aggregate(() => ({ views: 0, spent: 0 }))).toEqualTypeOf<KTable<Windowed<string>, Activity>>();
    expectTypeOf(activity.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(60_000)).aggregate(() => ({ views: 0, spent: 0 }))).toEqualTypeOf<KTable<Windowed<string>, Activity>>();
  });

  it('rejects a grouped stream of another key type, an aggregator of another aggregate type, and session windows', () => {
    // @ts-expect-error the cogrouped streams share one key type (string, not number)
    activity.cogroup(byPage, (_page, _user, total) => total);
    // @ts-expect-error each aggregator returns the cogroup's aggregate type
    activity.cogroup(purchases, (_user, amount, total) => total.spent + amount);
    // @ts-expect-error the initializer gives the aggregate type
    activity.aggregate(() => 0);
    // @ts-expect-error cogroups window by time or sliding windows only
    activity.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10));
  });
});
