/**
 * The code examples of `docs/getting-started.md` and `docs/processor-api.md`, run as tests so
 * the guides cannot drift from the API. Each guide's code block names the test that runs it;
 * when you change one, change the other. The guides import from `@tributary/streams` and
 * `@tributary/streams/test`; here the same names come from the source entry points.
 */
import { describe, expect, it } from 'vitest';
import {
  Consumed,
  DeadLetterHeaders,
  Headers,
  Produced,
  PunctuationType,
  Serdes,
  StreamRecord,
  StreamsBuilder,
  Stores,
  Topology,
  deadLetterTopic,
  logAndFail,
  silentLogger,
  type FixedKeyProcessor,
  type FixedKeyProcessorContext,
  type FixedKeyRecord,
  type JsonSchemaFor,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  type Serde,
} from './index.js';
import { TopologyTestDriver } from './test-utils/index.js';

// ---------------------------------------------------------------------------------------------
// docs/getting-started.md
// ---------------------------------------------------------------------------------------------

// getting-started: build a topology
interface Order {
  readonly id: string;
  readonly customer: string;
  readonly total: number;
}

/** Keeps orders of 100 or more, re-keyed by customer, with the total as the value. */
function buildTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()))
    .filter((_orderId, order) => order.total >= 100)
    .selectKey((_orderId, order) => order.customer)
    .mapValues((order) => order.total)
    .to('large-orders-by-customer', Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

// getting-started: serdes
const orderSchema: JsonSchemaFor<Order> = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer: { type: 'string' },
    total: { type: 'number', minimum: 0 },
  },
  required: ['id', 'customer', 'total'],
};
const orderSerde: Serde<Order> = Serdes.JsonSchema<Order>(orderSchema);

/** Dates as ISO-8601 text. A deserializer throws on bytes it cannot read. */
const isoDateSerde: Serde<Date> = {
  serialize: (_topic, date) => Buffer.from(date.toISOString(), 'utf8'),
  deserialize: (topic, bytes) => {
    const date = new Date(bytes.toString('utf8'));
    if (Number.isNaN(date.getTime())) throw new Error(`Not an ISO date on topic '${topic}'.`);
    return date;
  },
};

describe('docs/getting-started.md', () => {
  it('getting-started: build a topology', () => {
    // The description printed in the guide, line for line.
    expect(String(buildTopology().describe())).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])',
        '      --> KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])',
        '      --> KSTREAM-KEY-SELECT-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
        '      --> KSTREAM-MAPVALUES-0000000003',
        '      <-- KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])',
        '      --> KSTREAM-SINK-0000000004',
        '      <-- KSTREAM-KEY-SELECT-0000000002',
        '    Sink: KSTREAM-SINK-0000000004 (topic: large-orders-by-customer)',
        '      <-- KSTREAM-MAPVALUES-0000000003',
        '',
        '',
      ].join('\n'),
    );
  });

  it('getting-started: test it with the TopologyTestDriver', () => {
    const driver = new TopologyTestDriver(buildTopology());
    const orders = driver.createInputTopic('orders', Serdes.String(), Serdes.Json<Order>());
    const largeOrders = driver.createOutputTopic('large-orders-by-customer', Serdes.String(), Serdes.Float64());

    orders.pipeInput('o-1', { id: 'o-1', customer: 'alice', total: 250 });
    orders.pipeInput('o-2', { id: 'o-2', customer: 'bob', total: 20 });
    orders.pipeInput('o-3', { id: 'o-3', customer: 'bob', total: 120 });

    expect(largeOrders.readKeyValuesToList()).toEqual([
      { key: 'alice', value: 250 },
      { key: 'bob', value: 120 },
    ]);
    driver.close();
  });

  it('getting-started: serdes', () => {
    const headers = new Headers();
    const bytes = orderSerde.serialize('orders', { id: 'o-1', customer: 'alice', total: 250 }, headers);
    expect(orderSerde.deserialize('orders', bytes, headers)).toEqual({ id: 'o-1', customer: 'alice', total: 250 });
    expect(() => orderSerde.deserialize('orders', Buffer.from('{"id":"o-2","customer":"bob","total":-5}'), headers)).toThrow(
      "JsonSchema deserializer on topic 'orders': /total must be >= 0",
    );
    const day = new Date('2026-01-01T00:00:00.000Z');
    expect(isoDateSerde.deserialize('days', isoDateSerde.serialize('days', day, headers), headers)).toEqual(day);
  });

  it('getting-started: error handlers', () => {
    const driver = new TopologyTestDriver(buildTopology(), {
      deserializationExceptionHandler: deadLetterTopic({ topic: 'orders-dlq' }),
      processingExceptionHandler: logAndFail(),
      logger: silentLogger,
    });
    // Bytes in, so the test can pipe what no serializer would write.
    const rawOrders = driver.createInputTopic('orders', Serdes.String(), Serdes.Bytes());
    rawOrders.pipeInput('o-4', Buffer.from('{"id": "o-4", "total": '));

    const letter = driver.createOutputTopic('orders-dlq', Serdes.String(), Serdes.Bytes()).readRecord();
    expect(letter.key).toBe('o-4');
    expect(letter.value?.toString()).toBe('{"id": "o-4", "total": ');
    expect(letter.headers.lastString(DeadLetterHeaders.exception)).toBe('DeserializationError');
    expect(letter.headers.lastString(DeadLetterHeaders.message)).toMatch(/^Json deserializer on topic 'orders' got malformed JSON/);
    expect(driver.droppedRecords().get('deserialization-error')).toBe(1);
    driver.close();
  });
});

// ---------------------------------------------------------------------------------------------
// docs/processor-api.md
// ---------------------------------------------------------------------------------------------

// processor-api: a processor with a state store and a punctuator
/** Counts views per page; every minute of stream time, forwards every page's count so far. */
class PageViewCounter implements Processor<string, string, string, number> {
  private context!: ProcessorContext<string, number>;
  private counts!: KeyValueStore<string, number>;

  init(context: ProcessorContext<string, number>): void {
    this.context = context;
    this.counts = context.getStateStore<KeyValueStore<string, number>>('view-counts');
    context.schedule(60_000, PunctuationType.STREAM_TIME, (timestamp) => this.emitCounts(timestamp));
  }

  /** The key is the user, the value the page they viewed. */
  process(record: StreamRecord<string, string>): void {
    const page = record.value;
    this.counts.put(page, (this.counts.get(page) ?? 0) + 1);
  }

  private emitCounts(timestamp: number): void {
    for (const { key, value } of this.counts.all()) this.context.forward(new StreamRecord(key, value, timestamp));
  }
}

function buildPageViewTopology(): Topology {
  const builder = new StreamsBuilder();
  builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('view-counts'), Serdes.String(), Serdes.Int32()));
  builder
    .stream('page-views', Consumed.with(Serdes.String(), Serdes.String()))
    .process(() => new PageViewCounter(), 'view-counts')
    .to('page-view-counts', Produced.with(Serdes.String(), Serdes.Int32()));
  return builder.build();
}

// processor-api: processValues
/** Forwards how much a product's price (in cents) changed since its last price. */
class PriceChange implements FixedKeyProcessor<string, number, number> {
  private context!: FixedKeyProcessorContext<string, number>;
  private lastPrices!: KeyValueStore<string, number>;

  init(context: FixedKeyProcessorContext<string, number>): void {
    this.context = context;
    this.lastPrices = context.getStateStore<KeyValueStore<string, number>>('last-prices');
  }

  process(record: FixedKeyRecord<string, number>): void {
    const previous = this.lastPrices.get(record.key);
    this.lastPrices.put(record.key, record.value);
    if (previous !== undefined) this.context.forward(record.withValue(record.value - previous));
  }
}

function buildPriceChangeTopology(): Topology {
  const builder = new StreamsBuilder();
  builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('last-prices'), Serdes.String(), Serdes.Int32()));
  builder
    .stream('prices', Consumed.with(Serdes.String(), Serdes.Int32()))
    .processValues(() => new PriceChange(), 'last-prices')
    .to('price-changes', Produced.with(Serdes.String(), Serdes.Int32()));
  return builder.build();
}

// processor-api: a topology wired by hand
function buildPageViewTopologyByHand(): Topology {
  return new Topology()
    .addSource('views', 'page-views', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .addProcessor('count-views', () => new PageViewCounter(), 'views')
    .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('view-counts'), Serdes.String(), Serdes.Int32()), 'count-views')
    .addSink('counts', 'page-view-counts', { keySerde: Serdes.String(), valueSerde: Serdes.Int32() }, 'count-views');
}

describe('docs/processor-api.md', () => {
  it('processor-api: a processor with a state store and a punctuator', () => {
    const driver = new TopologyTestDriver(buildPageViewTopology());
    const views = driver.createInputTopic('page-views', Serdes.String(), Serdes.String());
    const counts = driver.createOutputTopic('page-view-counts', Serdes.String(), Serdes.Int32());

    views.pipeInput('alice', '/home', 1_000); // the first record also fires the punctuator
    views.pipeInput('bob', '/home', 2_000);
    views.pipeInput('alice', '/pricing', 30_000);
    views.pipeInput('carol', '/home', 61_000); // stream time passes 60 000: fires again

    expect(counts.readRecordsToList().map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['/home', 1, 1_000],
      ['/home', 3, 61_000],
      ['/pricing', 1, 61_000],
    ]);
    expect(driver.getKeyValueStore<string, number>('view-counts').get('/home')).toBe(3);
    driver.close();
  });

  it('processor-api: processValues', () => {
    const driver = new TopologyTestDriver(buildPriceChangeTopology());
    const prices = driver.createInputTopic('prices', Serdes.String(), Serdes.Int32());
    const changes = driver.createOutputTopic('price-changes', Serdes.String(), Serdes.Int32());

    prices.pipeKeyValueList([
      ['p-1', 999],
      ['p-2', 500],
      ['p-1', 1_249],
      ['p-1', 1_199],
    ]);

    expect(changes.readKeyValuesToList()).toEqual([
      { key: 'p-1', value: 250 },
      { key: 'p-1', value: -50 },
    ]);
    driver.close();
  });

  it('processor-api: a topology wired by hand', () => {
    const driver = new TopologyTestDriver(buildPageViewTopologyByHand());
    driver.createInputTopic('page-views', Serdes.String(), Serdes.String()).pipeInput('alice', '/home', 1_000);
    expect(driver.createOutputTopic('page-view-counts', Serdes.String(), Serdes.Int32()).readKeyValue()).toEqual({ key: '/home', value: 1 });
    expect(String(driver.getStateStore('view-counts').name)).toBe('view-counts');
    driver.close();
  });
});
