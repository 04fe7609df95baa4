/**
 * The code examples of `docs/tables-windows-joins.md`, run as tests so the guide cannot drift
 * from the API. Each code block in the guide names the test that runs it; change both together.
 */
import { describe, expect, it } from 'vitest';
import {
  boundedTimestampExtractor,
  Consumed,
  countDistinct,
  DeadLetterHeaders,
  deadLetterTopic,
  recordTimestampExtractor,
  Grouped,
  Materialized,
  Produced,
  QueryableStoreTypes,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  uniqueCountSketchSerde,
  updateInPlace,
  WindowedSerdes,
  type Windowed,
} from './index.js';
import { TopologyTestDriver } from './test-utils/index.js';
import { builderOptions, openDriver } from '#test-kit';

const minute = 60_000;

describe('docs/tables-windows-joins.md', () => {
  it('a source guarded against clocks set wrong', () => {
    // --- guide: bounded-timestamps ---
    const builder = new StreamsBuilder();
    builder
      .stream('page-views', {
        ...Consumed.with(Serdes.String(), Serdes.String()),
        timestampExtractor: boundedTimestampExtractor(recordTimestampExtractor, { maxFutureMs: 30_000 }),
      })
      .to('page-views-timed');
    const driver = new TopologyTestDriver(builder.build(), { deserializationExceptionHandler: deadLetterTopic({ topic: 'page-views-dlq' }) }, { initialWallClockTime: 10 * minute });
    const views = driver.createInputTopic('page-views', Serdes.String(), Serdes.String());
    views.pipeInput('/pricing', 'u1', 10 * minute + 31_000); // 31 s ahead of the wall clock: dead-lettered
    views.pipeInput('/pricing', 'u2', 10 * minute); // on time
    // --- end ---
    const [letter] = driver.createOutputTopic('page-views-dlq', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(letter!.value).toBe('u1');
    expect(letter!.headers.lastString(DeadLetterHeaders.exception)).toBe('InvalidTimestampError');
    expect(letter!.headers.lastString(DeadLetterHeaders.message)).toMatch(/31000 ms ahead of the wall clock; at most 30000 ms is allowed \(maxFutureMs\)/);
    expect(driver.createOutputTopic('page-views-timed', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['u2']);
    expect(driver.droppedRecords().get('invalid-timestamp')).toBe(1);
    driver.close();
  });

  it('a filtered table forwards a delete for every row that does not pass', async () => {
    // --- guide: filtered-table ---
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('prices', Consumed.with(Serdes.String(), Serdes.Int32()))
      .filter((_item, price) => price > 10)
      .toStream()
      .to('expensive', Produced.with(Serdes.String(), Serdes.Int32()));
    // --- end ---
    const driver = await openDriver(builder.build());
    const prices = driver.createInputTopic('prices', Serdes.String(), Serdes.Int32());
    for (const price of [5, 20, 1]) prices.pipeInput('a', price);
    expect(driver.createOutputTopic('expensive', Serdes.String(), Serdes.Int32()).readValuesToList()).toEqual([null, 20, null]);
    driver.close();
  });

  it('windowed counts with grace, emitting one final result per window', async () => {
    // --- guide: windowed-count ---
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('page-views', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(5 * minute, 1 * minute))
      .count(Materialized.as('views-per-5-min'))
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('views-final', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 5 * minute), Serdes.Float64()));

    const driver = await openDriver(builder.build());
    const views = driver.createInputTopic('page-views', Serdes.String(), Serdes.String());
    const results = driver.createOutputTopic('views-final', WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 5 * minute), Serdes.Float64());
    views.pipeInput('/pricing', 'u1', 1 * minute);
    views.pipeInput('/pricing', 'u2', 4 * minute);
    views.pipeInput('/pricing', 'u3', 5.5 * minute); // next window; the first stays open until 5 + 1 minutes
    views.pipeInput('/pricing', 'u4', 4.5 * minute); // late but within grace: counted
    views.pipeInput('/docs', 'u5', 6.5 * minute); // stream time passes 5 + 1 minutes: the first window closes
    views.pipeInput('/pricing', 'u6', 2 * minute); // after grace: dropped and counted
    // --- end ---
    const [final] = results.readKeyValuesToList();
    expect(final).toEqual({ key: { key: '/pricing', window: { start: 0, end: 5 * minute } }, value: 3 });
    expect(results.isEmpty()).toBe(true);
    expect(driver.droppedRecords().get('late-record')).toBe(1);
  });

  it('enriches a stream from a table, and sums a table regrouped by a new key', async () => {
    // --- guide: stream-table-join ---
    interface Order { readonly productId: string; readonly quantity: number }
    interface Product { readonly name: string; readonly category: string; readonly price: number }

    const builder = new StreamsBuilder(builderOptions());
    const products = builder.table('products', Consumed.with(Serdes.String(), Serdes.Json<Product>()), Materialized.as('products'));
    builder
      .stream('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()))
      .selectKey((_orderId, order) => order.productId) // re-keyed: joined after a repartition
      .join(products, (order, product) => ({ ...order, category: product.category, total: order.quantity * product.price }), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<Order>(),
      })
      .to('order-totals', Produced.with(Serdes.String(), Serdes.Json<Order & { category: string; total: number }>()));

    // Products per category, kept right as products move between categories.
    products
      .groupBy((_id, product) => ({ key: product.category, value: product }), Grouped.with(Serdes.String(), Serdes.Json<Product>()))
      .count(Materialized.as('products-per-category'));
    // --- end ---

    const driver = await openDriver(builder.build());
    const productInput = driver.createInputTopic('products', Serdes.String(), Serdes.Json<Product>());
    const orders = driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>());
    const totals = driver.createOutputTopic('order-totals', Serdes.String(), Serdes.Json<Order & { category: string; total: number }>());
    productInput.pipeInput('p1', { name: 'Lamp', category: 'home', price: 20 }, 1);
    productInput.pipeInput('p2', { name: 'Mug', category: 'home', price: 5 }, 2);
    orders.pipeInput('o1', { productId: 'p1', quantity: 2 }, 3);
    orders.pipeInput('o2', { productId: 'unknown', quantity: 1 }, 4); // no product: an inner join drops it
    productInput.pipeInput('p2', { name: 'Mug', category: 'kitchen', price: 5 }, 5);
    expect(totals.readKeyValuesToList()).toEqual([{ key: 'p1', value: { productId: 'p1', quantity: 2, category: 'home', total: 40 } }]);
    const perCategory = driver.query('products-per-category', QueryableStoreTypes.keyValueStore<string, number>());
    expect([...perCategory.all()]).toEqual([
      { key: 'home', value: 1 },
      { key: 'kitchen', value: 1 },
    ]);
  });

  it('counts unique users per product with HyperLogLog, and queries the result', async () => {
    // --- guide: unique-users ---
    interface View { readonly userId: string }
    const builder = new StreamsBuilder(builderOptions());
    const { initializer, aggregator } = countDistinct<string, View>((view) => view.userId);
    builder
      .stream('views', Consumed.with(Serdes.String(), Serdes.Json<View>()))
      .groupByKey()
      .aggregate(initializer, aggregator, { ...Materialized.as('unique-viewers'), keySerde: Serdes.String(), valueSerde: uniqueCountSketchSerde() })
      .mapValues((sketch) => sketch.count())
      .toStream()
      .to('unique-viewers', Produced.with(Serdes.String(), Serdes.Float64()));

    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('views', Serdes.String(), Serdes.Json<View>());
    for (const userId of ['ann', 'bob', 'ann', 'cy', 'bob']) input.pipeInput('p1', { userId });
    const sketch = driver.query('unique-viewers', QueryableStoreTypes.keyValueStore<string, { count(): number }>()).get('p1');
    // --- end ---
    expect(sketch?.count()).toBe(3);
    const counts = driver.createOutputTopic('unique-viewers', Serdes.String(), Serdes.Float64()).readValuesToList();
    expect(counts.at(-1)).toBe(3);
  });

  it('sums in place, with one copy per key per commit', async () => {
    // --- guide: in-place ---
    interface Totals { count: number; sum: number }
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('payments', Consumed.with(Serdes.String(), Serdes.Int32()))
      .groupByKey()
      .aggregate(
        (): Totals => ({ count: 0, sum: 0 }),
        updateInPlace<string, number, Totals>({
          update: (_customer, amount, totals) => {
            totals.count++;
            totals.sum += amount;
            return totals;
          },
          copy: (totals) => ({ ...totals }),
        }),
        { ...Materialized.as('payment-totals'), keySerde: Serdes.String(), valueSerde: Serdes.Json<Totals>() },
      )
      .toStream()
      .to('payment-totals', Produced.with(Serdes.String(), Serdes.Json<Totals>()));
    // --- end ---
    const driver = await openDriver(builder.build());
    const payments = driver.createInputTopic('payments', Serdes.String(), Serdes.Int32());
    for (const amount of [5, 7, 9]) payments.pipeInput('ann', amount);
    // The test driver commits after each record, so each update is forwarded.
    expect(driver.createOutputTopic('payment-totals', Serdes.String(), Serdes.Json<Totals>()).readValuesToList()).toEqual([
      { count: 1, sum: 5 },
      { count: 2, sum: 12 },
      { count: 3, sum: 21 },
    ]);
  });
});

export type { Windowed };
