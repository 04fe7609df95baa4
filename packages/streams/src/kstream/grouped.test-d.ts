/**
 * Type tests of grouped streams and tables: grouping takes the key from the selector (or keeps
 * it), and reduce and aggregate give tables of the grouped key and the reduced or aggregate type.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, Grouped, Materialized, Serdes, StreamsBuilder } from '../index.js';
import type { KGroupedStream, KGroupedTable, KTable } from '../index.js';

interface Click {
  readonly page: string;
  readonly ms: number;
}

const builder = new StreamsBuilder();
const clicks = builder.stream('clicks', Consumed.with(Serdes.String(), Serdes.Json<Click>()));
const users = builder.table('users', Consumed.with(Serdes.String(), Serdes.Json<{ readonly country: string; readonly age: number }>()));

describe('KGroupedStream types', () => {
  it('groupByKey keeps the key; groupBy takes the selector’s', () => {
    expectTypeOf(clicks.groupByKey()).toEqualTypeOf<KGroupedStream<string, Click>>();
    expectTypeOf(clicks.groupBy((_user, click) => click.ms)).toEqualTypeOf<KGroupedStream<number, Click>>();
    expectTypeOf(clicks.groupBy((_user, click) => click.page, Grouped.with(Serdes.String(), Serdes.Json<Click>()))).toEqualTypeOf<KGroupedStream<string, Click>>();
  });

  it('reduce keeps the value type; aggregate takes the initializer’s, and the aggregator sees key, value and aggregate', () => {
    const grouped = clicks.groupBy((_user, click) => click.page);
    expectTypeOf(grouped.reduce((sum, click) => ({ page: click.page, ms: sum.ms + click.ms }))).toEqualTypeOf<KTable<string, Click>>();
    const totals = grouped.aggregate(
      () => ({ clicks: 0, ms: 0 }),
      (page, click, total) => {
        expectTypeOf(page).toEqualTypeOf<string>();
        expectTypeOf(click).toEqualTypeOf<Click>();
        expectTypeOf(total).toEqualTypeOf<{ clicks: number; ms: number }>();
        return { clicks: total.clicks + 1, ms: total.ms + click.ms };
      },
      Materialized.as('totals'),
    );
    expectTypeOf(totals).toEqualTypeOf<KTable<string, { clicks: number; ms: number }>>();
  });

  it('rejects a reducer of another type, an aggregator returning another type, and Materialized serdes of the wrong types', () => {
    const grouped = clicks.groupByKey();
    // @ts-expect-error a reducer returns the value type, not a number
    grouped.reduce((sum, click) => sum.ms + click.ms);
    // @ts-expect-error the aggregator returns the initializer's type
    grouped.aggregate(() => 0, (_user, click, total) => `${total + click.ms}`);
    // @ts-expect-error the store's key serde is of the grouped key (string), not a number
    grouped.aggregate(() => 0, (_user, click, total) => total + click.ms, Materialized.with(Serdes.Int32(), Serdes.Int32()));
  });
});

describe('KGroupedTable types', () => {
  const byCountry = users.groupBy((_id, user) => ({ key: user.country, value: user.age }));

  it('groupBy takes key and value from the selector’s pair', () => {
    expectTypeOf(byCountry).toEqualTypeOf<KGroupedTable<string, number>>();
  });

  it('count, reduce and aggregate give tables of the group key', () => {
    expectTypeOf(byCountry.count()).toEqualTypeOf<KTable<string, number>>();
    expectTypeOf(byCountry.reduce((sum, age) => sum + age, (sum, age) => sum - age)).toEqualTypeOf<KTable<string, number>>();
    const stats = byCountry.aggregate(
      () => ({ people: 0, years: 0 }),
      (_country, age, stat) => ({ people: stat.people + 1, years: stat.years + age }),
      (_country, age, stat) => ({ people: stat.people - 1, years: stat.years - age }),
    );
    expectTypeOf(stats).toEqualTypeOf<KTable<string, { people: number; years: number }>>();
  });

  it('rejects an aggregate without a subtractor, and a subtractor of another aggregate type', () => {
    // @ts-expect-error a grouped table's aggregate needs the subtractor that takes an old row out
    byCountry.aggregate(() => 0, (_country, age, sum) => sum + age);
    // @ts-expect-error the subtractor returns the aggregate type
    byCountry.aggregate(() => 0, (_country, age, sum) => sum + age, (_country, age, sum) => `${sum - age}`);
    // @ts-expect-error a grouped table's selector returns a key-value pair, not a bare key
    users.groupBy((_id, user) => user.country);
  });
});
