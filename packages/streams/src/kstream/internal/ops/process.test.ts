/**
 * `process`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Named, ProcessingError, Serdes, StateStoreError, StreamsBuilder, Stores, logAndFail } from '../../../index.js';
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from '../../../index.js';
import { TopologyTestDriver } from '../../../test-utils/index.js';
import { numbers, writeNumbers, openMemoryDriver, numberTopology, catchStreamsError, expectTimestampAndHeadersKept } from '#test-kit';

describe('process', () => {
  /** Counts records per key in the 'counts' store and forwards the running count. */
  class CountingProcessor implements Processor<string, number, string, number> {
    private context!: ProcessorContext<string, number>;
    private store!: KeyValueStore<string, number>;

    init(context: ProcessorContext<string, number>): void {
      this.context = context;
      this.store = context.getStateStore<KeyValueStore<string, number>>('counts');
    }

    process(record: StreamRecord<string, number>): void {
      const count = (this.store.get(record.key) ?? 0) + 1;
      this.store.put(record.key, count);
      this.context.forward(record.withValue(count));
    }
  }

  it('runs a custom processor with the state store it names', () => {
    const topology = numberTopology((stream, builder) => {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()));
      stream.process(() => new CountingProcessor(), 'counts').to('out', writeNumbers);
    });
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 0], ['b', 0], ['a', 0], ['a', 0]]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: 2 },
      { key: 'a', value: 3 },
    ]);
    const store = driver.getKeyValueStore<string, number>('counts');
    expect([...store.all()]).toEqual([
      { key: 'a', value: 3 },
      { key: 'b', value: 1 },
    ]);
  });

  it('takes Named before the store names', () => {
    const builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()));
    builder.stream('in', numbers).process(() => new CountingProcessor(), Named.as('count'), 'counts');
    const node = builder.build().describe().subtopologies[0]!.nodes[1]!;
    expect(node).toMatchObject({ name: 'count', kind: 'processor', stores: ['counts'] });
  });

  it('forwards to one named child when asked', () => {
    const router = (): Processor<string, number, string, number> => {
      let context: ProcessorContext<string, number>;
      return {
        init: (given) => {
          context = given;
        },
        process: (record) => context.forward(record, record.value % 2 === 0 ? 'evens' : 'odds'),
      };
    };
    const topology = numberTopology((stream) => {
      const routed = stream.process(router, Named.as('router'));
      routed.peek(() => {}, Named.as('evens')).to('even', writeNumbers);
      routed.peek(() => {}, Named.as('odds')).to('odd', writeNumbers);
    });
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2], ['c', 3]]);
    expect(driver.createOutputTopic('even', Serdes.String(), Serdes.Int32()).readValuesToList()).toEqual([2]);
    expect(driver.createOutputTopic('odd', Serdes.String(), Serdes.Int32()).readValuesToList()).toEqual([1, 3]);
  });

  it('names the children it has when asked to forward to one it has not', () => {
    const topology = numberTopology((stream) => {
      const routed = stream.process<string, number>(
        () => {
          let context: ProcessorContext<string, number>;
          return { init: (given) => void (context = given), process: (record) => context.forward(record, 'nowhere') };
        },
        Named.as('router'),
      );
      routed.to('out', { ...writeNumbers, name: 'sink' });
    });
    const driver = openMemoryDriver(topology, { processingExceptionHandler: logAndFail() });
    const failure = catchStreamsError(() => driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect(((failure as ProcessingError).cause as Error).message).toBe("Processor 'router' has no child named 'nowhere'; its children are [sink].");
  });

  it('refuses getStateStore on a store the processor was not connected to', () => {
    const topology = numberTopology((stream, builder) => {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()));
      stream.process(() => new CountingProcessor(), Named.as('count')).to('out', writeNumbers);
    });
    const failure = catchStreamsError(() => new TopologyTestDriver(topology));
    expect(failure).toBeInstanceOf(StateStoreError);
    expect((failure as Error).message).toBe(
      "Processor 'count' is not connected to state store 'counts': pass the store name when adding the processor (process(supplier, 'counts')) or call connectProcessorAndStateStores.",
    );
  });

  it('reports getStateStore on an unconnected store from process() through the processing handler', () => {
    // This processor looks the store up per record, so the failure surfaces on the first record.
    const topology = numberTopology((stream, builder) => {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()));
      stream.process(() => {
        let context: ProcessorContext;
        return {
          init: (given: ProcessorContext) => void (context = given),
          process: () => void context.getStateStore('counts'),
        };
      }, Named.as('late'));
    });
    const driver = openMemoryDriver(topology, { processingExceptionHandler: logAndFail() });
    const failure = catchStreamsError(() => driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect((failure as ProcessingError).cause).toBeInstanceOf(StateStoreError);
    expect(((failure as ProcessingError).cause as Error).message).toContain("Processor 'late' is not connected to state store 'counts'");
  });

  it('rejects a store name the topology does not have', () => {
    const stream = new StreamsBuilder().stream('in', numbers);
    expect(() => stream.process(() => new CountingProcessor(), 'missing')).toThrow(
      "State store 'missing' is not in the topology; add it with addStateStore (or StreamsBuilder.addStateStore) first.",
    );
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) =>
      stream.process<string, number>(() => {
        let context: ProcessorContext<string, number>;
        return { init: (given) => void (context = given), process: (record) => context.forward(record.withKey(record.key.toUpperCase())) };
      }));
  });
});
