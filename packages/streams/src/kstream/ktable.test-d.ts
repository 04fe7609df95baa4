/** Type tests of the KTable DSL: results infer their types from the functions given. */
import { describe, expectTypeOf, it } from 'vitest';
import { Consumed, Named, Serdes, StreamsBuilder } from '../index.js';
import type { KGroupedTable, KStream, KTable } from '../index.js';

interface Order {
  readonly product: string | null;
  readonly quantity: number;
}

const builder = new StreamsBuilder();
const orders = builder.table('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()));
const products = builder.table('products', Consumed.with(Serdes.String(), Serdes.String()));

describe('KTable types', () => {
  it('toStream keeps the key, or infers the new one from its key mapper', () => {
    expectTypeOf(orders.toStream()).toEqualTypeOf<KStream<string, Order>>();
    expectTypeOf(orders.toStream((_id, order) => order.quantity)).toEqualTypeOf<KStream<number, Order>>();
    expectTypeOf(orders.toStream((id, order) => ({ id, product: order.product }), Named.as('by-product'))).toEqualTypeOf<KStream<{ id: string; product: string | null }, Order>>();
    // @ts-expect-error the mapper gets the table's key and value, and Order has no 'price'
    orders.toStream((_id, order) => order.price);
  });

  it('filter and mapValues keep the key and infer the value', () => {
    expectTypeOf(orders.filter((_key, order) => order.quantity > 0)).toEqualTypeOf<KTable<string, Order>>();
    expectTypeOf(orders.mapValues((order) => order.quantity)).toEqualTypeOf<KTable<string, number>>();
  });

  it('groupBy takes the new key and value from the selector', () => {
    expectTypeOf(orders.groupBy((_key, order) => ({ key: order.product ?? 'none', value: order.quantity }))).toEqualTypeOf<KGroupedTable<string, number>>();
  });

  it('key joins infer the joiner result; outer joins see nulls on both sides', () => {
    expectTypeOf(orders.join(products, (order, name) => `${order.quantity} ${name}`)).toEqualTypeOf<KTable<string, string>>();
    orders.outerJoin(products, (order, name) => {
      expectTypeOf(order).toEqualTypeOf<Order | null>();
      expectTypeOf(name).toEqualTypeOf<string | null>();
      return 0;
    });
  });

  it('a foreign-key join keeps the left key; its extractor may return null', () => {
    const joined = orders.join(products, (order) => order.product, (order, name) => ({ quantity: order.quantity, name }));
    expectTypeOf(joined).toEqualTypeOf<KTable<string, { quantity: number; name: string }>>();
    orders.leftJoin(products, (order) => order.product, (_order, name) => {
      expectTypeOf(name).toEqualTypeOf<string | null>();
      return name;
    });
  });
});
