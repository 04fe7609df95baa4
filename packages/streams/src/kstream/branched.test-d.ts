/**
 * Type tests of split and branch beyond the names (kstream.test-d.ts): every branch keeps the
 * stream's key and value types, and `Branched` functions are typed on them.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { Branched, Consumed, Named, Serdes, StreamsBuilder } from '../index.js';
import type { BranchedKStream, KStream } from '../index.js';

const builder = new StreamsBuilder();
const temperatures = builder.stream('temperatures', Consumed.with(Serdes.String(), Serdes.Float64()));

describe('split and branch types', () => {
  it('split gives a BranchedKStream of the stream’s types, and each branch is a KStream of them', () => {
    expectTypeOf(temperatures.split(Named.as('t-'))).toEqualTypeOf<BranchedKStream<string, number, 't-'>>();
    const branches = temperatures
      .split(Named.as('t-'))
      .branch((_sensor, celsius) => celsius < 0, Branched.as('freezing'))
      .branch((sensor) => sensor.startsWith('lab-'), Branched.withConsumer((lab: KStream<string, number>) => lab.to('lab')))
      .defaultBranch();
    expectTypeOf(branches['t-freezing']).toEqualTypeOf<KStream<string, number>>();
    // The unnamed branch is `t-` plus its number, a template key, so the map is read by pattern there.
    expectTypeOf<keyof typeof branches>().toEqualTypeOf<'t-freezing' | `t-${number}`>();
  });

  it('rejects a predicate on other types, a branch function changing the value type, and a missing branch name', () => {
    // @ts-expect-error the predicate gets the stream's key and value (a number has no 'length')
    temperatures.split().branch((_sensor, celsius) => celsius.length > 0);
    // @ts-expect-error a branch's function returns a stream of the same types
    temperatures.split().branch(() => true, Branched.withFunction((stream: KStream<string, number>) => stream.mapValues((celsius) => `${celsius}`)));
    const named = temperatures.split(Named.as('s-')).branch(() => true, Branched.as('hot')).noDefaultBranch();
    // @ts-expect-error without a default branch there is no 's-0'
    named['s-0'];
  });
});
