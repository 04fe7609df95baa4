/**
 * Type tests of joins: the joiner's parameters follow the join (a left join's right side may be
 * `null`, an outer join's both sides), its return type is the result's value type, and the key
 * stays the left side's.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, Joined, JoinWindows, Serdes, StreamJoined, StreamsBuilder } from '../index.js';
import type { KStream, KTable } from '../index.js';

interface Order {
  readonly product: string;
  readonly quantity: number;
}

interface Payment {
  readonly amount: number;
}

const builder = new StreamsBuilder();
const orders = builder.stream('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()));
const payments = builder.stream('payments', Consumed.with(Serdes.String(), Serdes.Json<Payment>()));
const byNumber = builder.stream('numbered', Consumed.with(Serdes.Int32(), Serdes.Json<Payment>()));
const prices = builder.table('prices', Consumed.with(Serdes.String(), Serdes.Float64()));
const products = builder.globalTable('products', Consumed.with(Serdes.String(), Serdes.Json<{ readonly name: string }>()));
const window = JoinWindows.ofTimeDifferenceWithNoGrace(60_000);

describe('stream-stream joins', () => {
  it('inner, left and outer joins type the joiner’s sides by what may be missing', () => {
    expectTypeOf(orders.join(payments, (order, payment) => order.quantity * payment.amount, window)).toEqualTypeOf<KStream<string, number>>();
    const left = orders.leftJoin(payments, (order, payment) => {
      expectTypeOf(order).toEqualTypeOf<Order>();
      expectTypeOf(payment).toEqualTypeOf<Payment | null>();
      return payment === null ? 'unpaid' : 'paid';
    }, window);
    expectTypeOf(left).toEqualTypeOf<KStream<string, 'unpaid' | 'paid'>>();
    orders.outerJoin(payments, (order, payment) => {
      expectTypeOf(order).toEqualTypeOf<Order | null>();
      expectTypeOf(payment).toEqualTypeOf<Payment | null>();
      return 0;
    }, window, StreamJoined.with(Serdes.String(), Serdes.Json<Order>(), Serdes.Json<Payment>()));
  });

  it('rejects a join without windows, another key type, and StreamJoined serdes of the wrong types', () => {
    // @ts-expect-error a stream-stream join needs its JoinWindows
    orders.join(payments, (order, payment) => order.quantity * payment.amount);
    // @ts-expect-error both streams have one key type (string, not number)
    orders.join(byNumber, (order, payment) => order.quantity * payment.amount, window);
    // @ts-expect-error StreamJoined's serdes are of the key and both values
    orders.join(payments, (order) => order.quantity, window, StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.Json<Payment>()));
  });
});

describe('stream-table and stream-global-table joins', () => {
  it('a table join gives the joiner the table’s value, or null in a left join', () => {
    expectTypeOf(orders.join(prices, (order, price) => order.quantity * price)).toEqualTypeOf<KStream<string, number>>();
    orders.leftJoin(prices, (order, price) => {
      expectTypeOf(price).toEqualTypeOf<number | null>();
      return order.quantity * (price ?? 0);
    }, Joined.with(Serdes.String(), Serdes.Json<Order>(), Serdes.Float64()));
  });

  it('a global table join maps each record to the global key, and keeps the stream’s key', () => {
    const named = orders.join(products, (_id, order) => order.product, (order, product) => `${order.quantity} × ${product.name}`);
    expectTypeOf(named).toEqualTypeOf<KStream<string, string>>();
    orders.leftJoin(products, (_id, order) => order.product, (_order, product) => {
      expectTypeOf(product).toEqualTypeOf<{ readonly name: string } | null>();
      return product?.name;
    });
  });

  it('rejects a table of another key type, and a global key of the wrong type', () => {
    const byQuantity = builder.table('by-quantity', Consumed.with(Serdes.Int32(), Serdes.Float64()));
    // @ts-expect-error the table is keyed like the stream (string, not number)
    orders.join(byQuantity, (order, price) => order.quantity * price);
    // @ts-expect-error the key selector returns the global table's key type (string)
    orders.join(products, (_id, order) => order.quantity, (order) => order);
    // @ts-expect-error a stream-table join has no windows
    orders.join(prices, (order, price) => order.quantity * price, window);
  });
});

describe('table-table joins', () => {
  const stock = builder.table('stock', Consumed.with(Serdes.String(), Serdes.Int32()));

  it('key joins keep the key; left and outer joins see null where a side lacks the key', () => {
    expectTypeOf(prices.join(stock, (price, count) => price * count)).toEqualTypeOf<KTable<string, number>>();
    prices.leftJoin(stock, (price, count) => {
      expectTypeOf(price).toEqualTypeOf<number>();
      expectTypeOf(count).toEqualTypeOf<number | null>();
      return price;
    });
    expectTypeOf(prices.outerJoin(stock, (price, count) => `${price ?? '-'}/${count ?? '-'}`)).toEqualTypeOf<KTable<string, string>>();
  });

  it('a foreign-key join extracts the other table’s key from this table’s value, and keeps this key', () => {
    const lines = builder.table('lines', Consumed.with(Serdes.Int32(), Serdes.Json<Order>()));
    expectTypeOf(lines.join(prices, (line) => line.product, (line, price) => line.quantity * price)).toEqualTypeOf<KTable<number, number>>();
    lines.leftJoin(prices, (line) => line.product, (_line, price) => {
      expectTypeOf(price).toEqualTypeOf<number | null>();
      return price ?? 0;
    });
  });

  it('rejects a key join of another key type, and a foreign key of the wrong type', () => {
    const lines = builder.table('lines-2', Consumed.with(Serdes.Int32(), Serdes.Json<Order>()));
    // @ts-expect-error a key join needs the same key type (number, not string)
    lines.join(prices, (line, price) => line.quantity * price);
    // @ts-expect-error the extractor returns the other table's key type (string), not a number
    lines.join(prices, (line) => line.quantity, (line, price) => line.quantity * price);
  });
});
