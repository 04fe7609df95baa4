/**
 * Type tests of the DSL: key and value types flow through every operator from the serdes and
 * the functions passed, with no annotations, and mistakes are compile errors.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  Branched,
  Consumed,
  FixedKeyRecord,
  Named,
  Produced,
  Repartitioned,
  Serdes,
  StreamRecord,
  StreamsBuilder,
  pair,
} from '../index.js';
import type {
  FixedKeyProcessorContext,
  FixedKeyProcessorSupplier,
  KStream,
  KeyValue,
  ProcessorContext,
  ProcessorSupplier,
} from '../index.js';

interface Event {
  readonly userId: number;
  readonly price: number;
  readonly name: string;
}

const builder = new StreamsBuilder();
const events = builder.stream('t', Consumed.with(Serdes.String(), Serdes.Json<Event>()));

describe('KStream type inference', () => {
  it('takes key and value types from the Consumed serdes', () => {
    expectTypeOf(events).toEqualTypeOf<KStream<string, Event>>();
    expectTypeOf(builder.stream('t2', Consumed.with(Serdes.Int32(), Serdes.Int64()))).toEqualTypeOf<KStream<number, bigint>>();
  });

  it('falls back to unknown, or to type arguments, when the config default serdes are used', () => {
    expectTypeOf(builder.stream('t3')).toEqualTypeOf<KStream<unknown, unknown>>();
    expectTypeOf(builder.stream<string, Event>('t4')).toEqualTypeOf<KStream<string, Event>>();
  });

  it('mapValues gives the mapper’s return type, and passes the key as second argument', () => {
    expectTypeOf(events.mapValues((value) => value.price)).toEqualTypeOf<KStream<string, number>>();
    expectTypeOf(events.mapValues((value, key) => `${key}:${value.name}`)).toEqualTypeOf<KStream<string, string>>();
    events.mapValues((value, key) => {
      expectTypeOf(value).toEqualTypeOf<Event>();
      expectTypeOf(key).toEqualTypeOf<string>();
      return value;
    });
  });

  it('selectKey gives the new key type and keeps the value type', () => {
    expectTypeOf(events.selectKey((_key, value) => value.userId)).toEqualTypeOf<KStream<number, Event>>();
  });

  it('map gives the pair’s key and value types', () => {
    expectTypeOf(events.map((_key, _value) => ({ key: 1, value: 'x' }))).toEqualTypeOf<KStream<number, string>>();
    expectTypeOf(events.map((key, value) => pair(value.name, key.length))).toEqualTypeOf<KStream<string, number>>();
  });

  it('flatMap and flatMapValues give the element types of the iterables returned', () => {
    expectTypeOf(events.flatMap((key, value) => [pair(value.userId, key)])).toEqualTypeOf<KStream<number, string>>();
    expectTypeOf(events.flatMapValues((value) => [value.price, value.userId])).toEqualTypeOf<KStream<string, number>>();
    expectTypeOf(
      events.flatMapValues(function* (value) {
        yield value.name;
      }),
    ).toEqualTypeOf<KStream<string, string>>();
    expectTypeOf(events.flatMapValues((value) => new Set([value.price > 10]))).toEqualTypeOf<KStream<string, boolean>>();
    const pairs: Iterable<KeyValue<boolean, bigint>> = [];
    expectTypeOf(events.flatMap(() => pairs)).toEqualTypeOf<KStream<boolean, bigint>>();
  });

  it('filter, filterNot, peek, merge and repartition keep the types', () => {
    expectTypeOf(events.filter((_key, value) => value.price > 0)).toEqualTypeOf<KStream<string, Event>>();
    expectTypeOf(events.filterNot((key) => key === '')).toEqualTypeOf<KStream<string, Event>>();
    expectTypeOf(events.peek(() => {})).toEqualTypeOf<KStream<string, Event>>();
    expectTypeOf(events.merge(events.filter(() => true))).toEqualTypeOf<KStream<string, Event>>();
    expectTypeOf(events.repartition(Repartitioned.as('x'))).toEqualTypeOf<KStream<string, Event>>();
    expectTypeOf(events.foreach(() => {})).toEqualTypeOf<void>();
  });

  it('chains without annotations', () => {
    const totals = events
      .filter((_key, value) => value.price > 0)
      .selectKey((_key, value) => value.userId)
      .mapValues((value) => value.price * 2)
      .flatMapValues((price) => [price, -price])
      .map((userId, price) => pair(`${userId}`, price > 0));
    expectTypeOf(totals).toEqualTypeOf<KStream<string, boolean>>();
  });

  it('process gives the processor’s output types', () => {
    const supplier: ProcessorSupplier<string, Event, number, boolean> = () => {
      let context: ProcessorContext<number, boolean>;
      return {
        init: (given) => void (context = given),
        process: (record) => context.forward(new StreamRecord(record.value.userId, record.value.price > 10, record.timestamp)),
      };
    };
    expectTypeOf(events.process(supplier)).toEqualTypeOf<KStream<number, boolean>>();
    expectTypeOf(events.process(supplier, Named.as('expensive'), 'some-store')).toEqualTypeOf<KStream<number, boolean>>();
  });

  it('processValues keeps the key type and gives the processor’s value type', () => {
    const supplier: FixedKeyProcessorSupplier<string, Event, string> = () => {
      let context: FixedKeyProcessorContext<string, string>;
      return {
        init: (given) => void (context = given),
        process: (record) => context.forward(record.withValue(record.value.name)),
      };
    };
    expectTypeOf(events.processValues(supplier)).toEqualTypeOf<KStream<string, string>>();
    expectTypeOf(events.processValues(supplier, Named.as('names'))).toEqualTypeOf<KStream<string, string>>();
  });

  it('a fixed-key record cannot take another key', () => {
    const record = new FixedKeyRecord('k', 1, 0);
    expectTypeOf(record.withValue('x')).toEqualTypeOf<FixedKeyRecord<string, string>>();
    // @ts-expect-error FixedKeyRecord has no withKey: processValues cannot re-key.
    record.withKey('other');
  });
});

describe('split() branch names', () => {
  it('types the result map by prefix plus branch name, default branch 0', () => {
    const branches = events
      .split(Named.as('p-'))
      .branch((_key, value) => value.price > 100, Branched.as('a'))
      .branch((_key, value) => value.price > 10, Branched.as('b'))
      .defaultBranch();
    expectTypeOf<keyof typeof branches>().toEqualTypeOf<'p-a' | 'p-b' | 'p-0'>();
    expectTypeOf(branches['p-a']).toEqualTypeOf<KStream<string, Event>>();
  });

  it('names a named default branch by its name, and noDefaultBranch has only the branches', () => {
    const _named = events
      .split(Named.as('q-'))
      .branch(() => true, Branched.as('x'))
      .defaultBranch(Branched.as('rest'));
    expectTypeOf<keyof typeof _named>().toEqualTypeOf<'q-x' | 'q-rest'>();
    const _withoutDefault = events
      .split(Named.as('r-'))
      .branch(() => true, Branched.as('only'))
      .noDefaultBranch();
    expectTypeOf<keyof typeof _withoutDefault>().toEqualTypeOf<'r-only'>();
  });

  it('types unnamed branches as the prefix plus a number', () => {
    const _branches = events
      .split(Named.as('n-'))
      .branch(() => true)
      .defaultBranch();
    expectTypeOf<keyof typeof _branches>().toEqualTypeOf<`n-${number}` | 'n-0'>();
  });

  it('types Branched.withFunction chains on the branch’s own types', () => {
    events
      .split(Named.as('f-'))
      .branch(
        () => true,
        Branched.withFunction((stream) => {
          expectTypeOf(stream).toEqualTypeOf<KStream<string, Event>>();
          return stream.filter((_key, value) => value.price > 0);
        }, 'positive'),
      )
      .noDefaultBranch();
  });
});

describe('type errors', () => {
  it('rejects merging streams of different value types', () => {
    const prices = events.mapValues((value) => value.price);
    // @ts-expect-error a KStream<string, number> is not a KStream<string, Event>
    events.merge(prices);
  });

  it('rejects merging streams of different key types', () => {
    const byUser = events.selectKey((_key, value) => value.userId);
    // @ts-expect-error a KStream<number, Event> is not a KStream<string, Event>
    events.merge(byUser);
  });

  it('rejects to() with Produced serdes of the wrong type', () => {
    // @ts-expect-error the value serde writes numbers, the stream holds Events
    events.to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    // @ts-expect-error the key serde writes numbers, the keys are strings
    events.to('out', Produced.with(Serdes.Int32(), Serdes.Json<Event>()));
    events.to('out', Produced.with(Serdes.String(), Serdes.Json<Event>()));
  });

  it('rejects a mapper that reads a property the value does not have', () => {
    // @ts-expect-error Event has no property 'discount'
    events.mapValues((value) => value.discount);
  });

  it('rejects a predicate that does not return a boolean', () => {
    // @ts-expect-error a predicate returns boolean
    events.filter((_key, value) => value.name);
  });

  it('rejects a process supplier whose input types do not match the stream', () => {
    const numbersOnly: ProcessorSupplier<string, number, string, number> = () => ({ process: () => {} });
    // @ts-expect-error the processor takes numbers, the stream holds Events
    events.process(numbersOnly);
  });

  it('rejects indexing the branch map by a name it does not have', () => {
    const branches = events
      .split(Named.as('p-'))
      .branch(() => true, Branched.as('a'))
      .noDefaultBranch();
    // @ts-expect-error there is no branch 'p-b'
    void branches['p-b'];
  });
});
