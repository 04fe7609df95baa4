/**
 * What the DSL's stream class does across operators, tested as a user would: every node it adds
 * takes the name asked for or a generated one numbered as Kafka Streams numbers it, and a chain
 * of stateless operators outputs what the same chain over arrays computes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Named, Serdes, StreamsBuilder } from '../../index.js';
import type { KStream } from '../../index.js';
import { numbers, openMemoryDriver, writeNumbers } from '#test-kit';

describe('Named', () => {
  it('gives every operator node the name asked for', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', { ...numbers, name: 'numbers' })
      .filter((_key, value) => value > 0, Named.as('only-positive'))
      .mapValues((value) => value * 2, Named.as('doubled'))
      .selectKey((key) => key, Named.as('rekeyed'))
      .flatMapValues((value) => [value], Named.as('spread'))
      .peek(() => {}, Named.as('watched'))
      .to('out', { ...writeNumbers, name: 'numbers-out' });
    expect(builder.build().describe().subtopologies[0]!.nodes.map((node) => node.name)).toEqual([
      'numbers',
      'only-positive',
      'doubled',
      'rekeyed',
      'spread',
      'watched',
      'numbers-out',
    ]);
  });

  it('refuses a name already used', () => {
    const stream = new StreamsBuilder().stream('in', numbers);
    stream.filter(() => true, Named.as('step'));
    expect(() => stream.mapValues((value) => value, Named.as('step'))).toThrow("A node named 'step' was already added; give each node its own name.");
  });

  it('numbers generated names in the order operators were added, as Kafka Streams does', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', numbers)
      .filter(() => true)
      .mapValues((value) => value)
      .to('out', writeNumbers);
    expect(builder.build().describe().subtopologies[0]!.nodes.map((node) => node.name)).toEqual([
      'KSTREAM-SOURCE-0000000000',
      'KSTREAM-FILTER-0000000001',
      'KSTREAM-MAPVALUES-0000000002',
      'KSTREAM-SINK-0000000003',
    ]);
  });
});

describe('a chain of filter, mapValues and flatMapValues', () => {
  type Step =
    | { readonly kind: 'filter'; readonly modulus: number; readonly remainder: number }
    | { readonly kind: 'filterNot'; readonly modulus: number; readonly remainder: number }
    | { readonly kind: 'mapValues'; readonly multiplier: number; readonly addend: number }
    | { readonly kind: 'flatMapValues'; readonly copies: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('filter' as const), modulus: fc.integer({ min: 2, max: 5 }), remainder: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('filterNot' as const), modulus: fc.integer({ min: 2, max: 5 }), remainder: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('mapValues' as const), multiplier: fc.integer({ min: -3, max: 3 }), addend: fc.integer({ min: -10, max: 10 }) }),
    fc.record({ kind: fc.constant('flatMapValues' as const), copies: fc.integer({ min: 0, max: 3 }) }),
  );

  const input = fc.array(
    fc.record({
      key: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }),
      value: fc.integer({ min: -1000, max: 1000 }),
      timestamp: fc.integer({ min: 0, max: 1_000_000 }),
    }),
    { maxLength: 25 },
  );

  const accepts = (modulus: number, remainder: number) => (value: number) => ((value % modulus) + modulus) % modulus === remainder;
  const transform = (multiplier: number, addend: number) => (value: number) => value * multiplier + addend;
  const spread = (copies: number) => (value: number) => Array.from({ length: copies }, (_, index) => value + index);

  /** The same chain over plain arrays: the oracle. */
  function oracle(steps: readonly Step[], value: number): number[] {
    let values = [value];
    for (const current of steps) {
      if (current.kind === 'filter') values = values.filter(accepts(current.modulus, current.remainder));
      else if (current.kind === 'filterNot') values = values.filter((each) => !accepts(current.modulus, current.remainder)(each));
      else if (current.kind === 'mapValues') values = values.map(transform(current.multiplier, current.addend));
      else values = values.flatMap(spread(current.copies));
    }
    return values;
  }

  it('outputs what the same chain over arrays computes, record for record and in order', () => {
    fc.assert(
      fc.property(input, fc.array(step, { maxLength: 6 }), (records, steps) => {
        const builder = new StreamsBuilder();
        let stream: KStream<string, number> = builder.stream('in', numbers);
        for (const current of steps) {
          if (current.kind === 'filter') stream = stream.filter((_key, value) => accepts(current.modulus, current.remainder)(value));
          else if (current.kind === 'filterNot') stream = stream.filterNot((_key, value) => accepts(current.modulus, current.remainder)(value));
          else if (current.kind === 'mapValues') stream = stream.mapValues(transform(current.multiplier, current.addend));
          else stream = stream.flatMapValues(spread(current.copies));
        }
        stream.to('out', { valueSerde: Serdes.Int32() });
        const driver = openMemoryDriver(builder.build());
        const topic = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
        for (const record of records) topic.pipeInput(record.key, record.value, record.timestamp);
        const actual = driver
          .createOutputTopic('out', Serdes.String(), Serdes.Int32())
          .readRecordsToList()
          .map((record) => ({ key: record.key, value: record.value, timestamp: record.timestamp }));
        const expected = records.flatMap((record) =>
          oracle(steps, record.value).map((value) => ({ key: record.key, value, timestamp: record.timestamp })),
        );
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
