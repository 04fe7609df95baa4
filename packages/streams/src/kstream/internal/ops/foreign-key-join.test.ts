/**
 * The foreign-key join's internal topics, record for record and byte for byte as Kafka Streams
 * 3.9.2 writes them: the transcripts below are what Kafka's own TopologyTestDriver printed for the
 * same topology and input (a small Java program, run once by hand), with keys and values in hex.
 * They pin the wire formats (SubscriptionWrapper version 1 with the left partition, the response
 * wrapper, Murmur3 hashes), the instructions each left change sends (3.9.2's, including the
 * null-keyed subscription of a left join's row without a foreign key), and the result tombstones
 * an unmaterialized result table forwards. Then the join as a user sees it in the test driver:
 * results following foreign-key changes and right-side updates, inner and left.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Produced, Serdes, StreamsBuilder, silentLogger } from '../../../index.js';
import type { Topology } from '../../../index.js';
import { builderOptions, openDriver, strings } from '#test-kit';
import { openTableDriver, stringKeyedOutput } from './stateful-test-kit.js';

/** Orders (value "product/quantity", or "nofk…" for none) joined with products; piped one by one. */
const inputs = [
  'P p1 Shoe 1',
  'O o1 p1/2 2',
  'O o2 p2/1 3',
  'P p2 Hat 4',
  'O o1 p2/5 5',
  'P p1 Boot 6',
  'O o2 - 7',
  'O o3 nofk 8',
  'O o1 nofk 9',
  'P p2 - 10',
];

const kafkaLeftJoin = [
  'P p1 Shoe 1',
  'O o1 p1/2 2',
  '  registration-topic 7031 0102330d168069993ff9dae981a6cb18322c6f3100000000 @2',
  '  response-topic 6f31 00330d168069993ff9dae981a6cb18322c53686f65 @2',
  '  out 6f31 70312f322b53686f65 @2',
  'O o2 p2/1 3',
  '  registration-topic 7032 0102925b1eb42a07e9e593804d36eb5e58b76f3200000000 @3',
  '  response-topic 6f32 00925b1eb42a07e9e593804d36eb5e58b7 @3',
  '  out 6f32 70322f312b6e756c6c @3',
  'P p2 Hat 4',
  '  response-topic 6f32 00925b1eb42a07e9e593804d36eb5e58b7486174 @4',
  '  out 6f32 70322f312b486174 @4',
  'O o1 p2/5 5',
  '  registration-topic 7031 010053c9411abb50637e62f7ae93b02968546f3100000000 @5',
  '  registration-topic 7032 010253c9411abb50637e62f7ae93b02968546f3100000000 @5',
  '  response-topic 6f31 0053c9411abb50637e62f7ae93b0296854486174 @5',
  '  out 6f31 70322f352b486174 @5',
  'P p1 Boot 6',
  'O o2 - 7',
  '  registration-topic 7032 81006f3200000000 @7',
  '  registration-topic null 81026f3200000000 @7',
  '  response-topic 6f32 80 @7',
  '  out 6f32 null @7',
  'O o3 nofk 8',
  '  registration-topic null 010286acf90601515c973eb7edcf504673e36f3300000000 @8',
  '  response-topic 6f33 0086acf90601515c973eb7edcf504673e3 @8',
  '  out 6f33 6e6f666b2b6e756c6c @8',
  'O o1 nofk 9',
  '  registration-topic 7032 010086acf90601515c973eb7edcf504673e36f3100000000 @9',
  '  registration-topic null 010286acf90601515c973eb7edcf504673e36f3100000000 @9',
  '  response-topic 6f31 0086acf90601515c973eb7edcf504673e3 @9',
  '  out 6f31 6e6f666b2b6e756c6c @9',
  'P p2 - 10',
];

const kafkaInnerJoin = [
  'P p1 Shoe 1',
  'O o1 p1/2 2',
  '  registration-topic 7031 0103330d168069993ff9dae981a6cb18322c6f3100000000 @2',
  '  response-topic 6f31 00330d168069993ff9dae981a6cb18322c53686f65 @2',
  '  out 6f31 70312f322b53686f65 @2',
  'O o2 p2/1 3',
  '  registration-topic 7032 0103925b1eb42a07e9e593804d36eb5e58b76f3200000000 @3',
  'P p2 Hat 4',
  '  response-topic 6f32 00925b1eb42a07e9e593804d36eb5e58b7486174 @4',
  '  out 6f32 70322f312b486174 @4',
  'O o1 p2/5 5',
  '  registration-topic 7031 010053c9411abb50637e62f7ae93b02968546f3100000000 @5',
  '  registration-topic 7032 010253c9411abb50637e62f7ae93b02968546f3100000000 @5',
  '  response-topic 6f31 0053c9411abb50637e62f7ae93b0296854486174 @5',
  '  out 6f31 70322f352b486174 @5',
  'P p1 Boot 6',
  'O o2 - 7',
  '  registration-topic 7032 81016f3200000000 @7',
  '  response-topic 6f32 80 @7',
  '  out 6f32 null @7',
  'O o3 nofk 8',
  'O o1 nofk 9',
  '  registration-topic 7032 010186acf90601515c973eb7edcf504673e36f3100000000 @9',
  '  response-topic 6f31 0086acf90601515c973eb7edcf504673e3 @9',
  '  out 6f31 null @9',
  'P p2 - 10',
];

async function transcript(kind: 'left' | 'inner'): Promise<string[]> {
  const builder = new StreamsBuilder(builderOptions());
  const orders = builder.table('orders', strings);
  const products = builder.table('products', strings);
  const foreignKey = (order: string): string | null => (order.startsWith('nofk') ? null : order.split('/')[0]!);
  const joiner = (order: string, product: string | null): string => `${order}+${product ?? 'null'}`;
  const joined = kind === 'left' ? orders.leftJoin(products, foreignKey, joiner, { name: 'oj' }) : orders.join(products, foreignKey, joiner, { name: 'oj' });
  joined.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
  const config = { applicationId: 'app', logger: silentLogger, defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.String() };
  const driver = await openDriver(builder.build(), config, { initialWallClockTime: 0 });
  const topics = { orders: driver.createInputTopic('orders', Serdes.String(), Serdes.String()), products: driver.createInputTopic('products', Serdes.String(), Serdes.String()) };
  const outputs = ['app-oj-subscription-registration-topic', 'app-oj-subscription-response-topic', 'out'].map(
    (topic) => [topic.replace('app-oj-subscription-', ''), driver.createOutputTopic(topic, Serdes.Bytes(), Serdes.Bytes())] as const,
  );
  const hex = (bytes: Buffer | null): string => (bytes === null ? 'null' : bytes.toString('hex'));
  const lines: string[] = [];
  for (const input of inputs) {
    const [table, key, value, timestamp] = input.split(' ') as [string, string, string, string];
    (table === 'O' ? topics.orders : topics.products).pipeInput(key === '-' ? null : key, value === '-' ? null : value, Number(timestamp));
    lines.push(input);
    for (const [name, output] of outputs) {
      for (const record of output.readRecordsToList()) lines.push(`  ${name} ${hex(record.key)} ${hex(record.value)} @${record.timestamp}`);
    }
  }
  return lines;
}

describe('foreign-key join: internal topics as Kafka writes them', () => {
  it('left join', async () => {
    expect(await transcript('left')).toEqual(kafkaLeftJoin);
  });

  it('inner join', async () => {
    expect(await transcript('inner')).toEqual(kafkaInnerJoin);
  });
});

interface Order {
  readonly product: string | null;
  readonly quantity: number;
}

describe('KTable foreign-key join', () => {
  function fkTopology(kind: 'join' | 'leftJoin'): Topology {
    const builder = new StreamsBuilder(builderOptions());
    const orders = builder.table('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()));
    const products = builder.table('products', strings);
    const joiner = (order: Order, name: string | null) => `${order.quantity} x ${name}`;
    const joined =
      kind === 'join'
        ? orders.join(products, (order: Order) => order.product, joiner, { name: 'order-product' })
        : orders.leftJoin(products, (order: Order) => order.product, joiner, { name: 'order-product' });
    joined.toStream().to('out', Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  it('inner join: deleting a right row answers its subscribers even when the row was never there, deleting their results (caches off)', async () => {
    // Kafka's ForeignTableJoinProcessorSupplier answers every subscriber of a right-side change,
    // and the inner join turns a null answer into a tombstone. With caches on, the right table's
    // cache swallows the deletion of an absent row first, so only caches off show it.
    const driver = await openDriver(
      fkTopology('join'),
      { logger: silentLogger, defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.Json(), cacheMaxBytes: 0 },
      { initialWallClockTime: 0 },
    );
    driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>()).pipeInput('o1', { product: 'p1', quantity: 2 }, 26);
    driver.createInputTopic('products', Serdes.String(), Serdes.String()).pipeInput('p1', null, 47);
    const records = stringKeyedOutput(driver, 'out', Serdes.String()).readRecordsToList();
    expect(records.map((record) => [record.key, record.value, record.timestamp])).toEqual([['o1', null, 47]]);
  });

  it('joins through subscription and response topics, following foreign-key changes and right-side updates', async () => {
    const driver = await openTableDriver(fkTopology('join'));
    const orders = driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>());
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    const out = stringKeyedOutput(driver, 'out', Serdes.String());
    orders.pipeInput('o1', { product: 'p1', quantity: 2 }, 1);
    expect(out.readKeyValuesToList()).toEqual([]);
    products.pipeInput('p1', 'apple', 2);
    orders.pipeInput('o2', { product: 'p1', quantity: 3 }, 3);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: '2 x apple' },
      { key: 'o2', value: '3 x apple' },
    ]);
    products.pipeInput('p1', 'green apple', 4); // fans out to every order of p1
    expect(out.readKeyValuesToMap()).toEqual(new Map([['o1', '2 x green apple'], ['o2', '3 x green apple']]));
    orders.pipeInput('o1', { product: 'p2', quantity: 2 }, 5); // p2 missing: the old result is retracted
    expect(out.readKeyValuesToList()).toEqual([{ key: 'o1', value: null }]);
    products.pipeInput('p1', null, 6); // right delete: inner results go
    expect(out.readKeyValuesToList()).toEqual([{ key: 'o2', value: null }]);
    products.pipeInput('p2', 'pear', 7);
    orders.pipeInput('o1', null, 8);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: '2 x pear' },
      { key: 'o1', value: null },
    ]);
    expect(driver.producedTopicNames()).toEqual(
      expect.arrayContaining(['test-order-product-subscription-registration-topic', 'test-order-product-subscription-response-topic']),
    );
  });

  it('left join keeps rows without a match or without a foreign key, joined with null', async () => {
    const driver = await openTableDriver(fkTopology('leftJoin'));
    const orders = driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>());
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    const out = stringKeyedOutput(driver, 'out', Serdes.String());
    orders.pipeInput('o1', { product: 'p1', quantity: 1 }, 1);
    orders.pipeInput('o2', { product: null, quantity: 2 }, 2);
    products.pipeInput('p1', 'apple', 3);
    products.pipeInput('p1', null, 4);
    orders.pipeInput('o2', null, 5);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: '1 x null' },
      { key: 'o2', value: '2 x null' },
      { key: 'o1', value: '1 x apple' },
      { key: 'o1', value: '1 x null' },
      { key: 'o2', value: null },
    ]);
  });
});
