/**
 * `processValues`, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { FixedKeyRecord, Named, Serdes, Stores } from '../../../index.js';
import type { FixedKeyProcessor, FixedKeyProcessorContext, KeyValueStore, StreamRecord } from '../../../index.js';
import { writeNumbers, openMemoryDriver, numberTopology, runNumbers, expectTimestampAndHeadersKept } from '#test-kit';

describe('processValues', () => {
  class Describe implements FixedKeyProcessor<string, number, string> {
    private context!: FixedKeyProcessorContext<string, string>;

    init(context: FixedKeyProcessorContext<string, string>): void {
      this.context = context;
    }

    process(record: FixedKeyRecord<string, number>): void {
      this.context.forward(record.withValue(`${record.key} has ${record.value}`));
    }
  }

  it('changes values and keeps each record its key', () => {
    const topology = numberTopology((stream) => stream.processValues(() => new Describe()).to('out', { valueSerde: Serdes.String() }));
    expect(runNumbers(topology, [['a', 1], ['b', 2]], Serdes.String())).toEqual([
      { key: 'a', value: 'a has 1' },
      { key: 'b', value: 'b has 2' },
    ]);
  });

  it('gives the processor only a fixed-key record, which cannot take another key', () => {
    const seen: unknown[] = [];
    const topology = numberTopology((stream) =>
      stream.processValues<number>(() => ({ process: (record) => void seen.push(record) })),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1, 5);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(FixedKeyRecord);
    expect(seen[0]).not.toHaveProperty('withKey');
    expect(seen[0]).toMatchObject({ key: 'a', value: 1, timestamp: 5 });
  });

  it('connects the stores it names and calls close on the processor', () => {
    let closed = 0;
    const topology = numberTopology((stream, builder) => {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('last'), Serdes.String(), Serdes.Int32()));
      stream
        .processValues<number>(
          () => {
            let context: FixedKeyProcessorContext<string, number>;
            let store: KeyValueStore<string, number>;
            return {
              init: (given) => {
                context = given;
                store = given.getStateStore('last');
              },
              process: (record) => {
                const previous = store.get(record.key) ?? 0;
                store.put(record.key, record.value);
                context.forward(record.withValue(record.value - previous));
              },
              close: () => void closed++,
            };
          },
          Named.as('delta'),
          'last',
        )
        .to('out', writeNumbers);
    });
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 5], ['a', 8], ['b', 2], ['a', 7]]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 5 },
      { key: 'a', value: 3 },
      { key: 'b', value: 2 },
      { key: 'a', value: -1 },
    ]);
    expect(closed).toBe(0);
    driver.close();
    expect(closed).toBe(1);
  });

  it('forwards the record it was given as the record it came from, and a record kept from before as itself', () => {
    const direct: StreamRecord<string, number>[] = [];
    const passed: StreamRecord<string, number>[] = [];
    const topology = numberTopology((stream) => {
      stream.process(() => ({ process: (record) => void direct.push(record) }));
      stream
        .processValues<number>(() => {
          let context: FixedKeyProcessorContext<string, number>;
          let first: FixedKeyRecord<string, number> | undefined;
          return {
            init: (given) => void (context = given),
            process: (record) => {
              // The first record goes on again before the third: by then it is not the record being processed.
              if (first === undefined) first = record;
              else if (record.key === 'c') context.forward(first);
              context.forward(record);
            },
          };
        })
        .process(() => ({ process: (record) => void passed.push(record) }));
    });
    const driver = openMemoryDriver(topology);
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    input.pipeInput('a', 1, 1);
    input.pipeInput('b', 2, 3);
    input.pipeInput('c', 3, 12);
    const fields = (record: StreamRecord<string, number>) => [record.key, record.value, record.timestamp, record.headers];
    expect(passed.map(fields)).toEqual([direct[0]!, direct[1]!, direct[0]!, direct[2]!].map(fields));
    // Records passed straight through are the very records the stream's other processors got...
    expect(passed[0]).toBe(direct[0]);
    expect(passed[1]).toBe(direct[1]);
    expect(passed[3]).toBe(direct[2]);
    // ...and one kept from an earlier call is a record of its own, with its fields.
    expect(passed[2]).not.toBe(direct[0]);
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) =>
      stream.processValues<number>(() => {
        let context: FixedKeyProcessorContext<string, number>;
        return { init: (given) => void (context = given), process: (record) => context.forward(record.withValue(record.value * 2)) };
      }));
  });
});
