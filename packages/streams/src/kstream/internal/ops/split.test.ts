/**
 * `split()` and its branches, tested as a user would: build a topology with `StreamsBuilder`, run it in the test
 * driver, and check exactly what comes out.
 */
import { describe, expect, it } from 'vitest';
import { Branched, Named, Serdes, StreamsBuilder, TopologyError } from '../../../index.js';
import type { Topology } from '../../../index.js';
import { numbers, writeNumbers, openMemoryDriver, expectTimestampAndHeadersKept } from '#test-kit';

describe('split() and branch()', () => {
  /** Pipes records into `in` and reads every named output topic. */
  function route(topology: Topology, entries: ReadonlyArray<readonly [string, number]>, topics: readonly string[]): Record<string, number[]> {
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList(entries);
    const result: Record<string, number[]> = {};
    for (const topic of topics) {
      result[topic] = driver.createOutputTopic(topic, Serdes.String(), Serdes.Int32()).readValuesToList() as number[];
    }
    return result;
  }

  it('sends each record to the first branch whose predicate accepts it', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split(Named.as('size-'))
      .branch((_key, value) => value > 100, Branched.as('huge'))
      .branch((_key, value) => value > 10, Branched.as('big'))
      .defaultBranch(Branched.as('small'));
    branches['size-huge'].to('huge', writeNumbers);
    branches['size-big'].to('big', writeNumbers);
    branches['size-small'].to('small', writeNumbers);
    // 500 also matches the 'big' predicate; it must only reach 'huge'.
    expect(route(builder.build(), [['a', 5], ['b', 50], ['c', 500], ['d', 11], ['e', 10]], ['huge', 'big', 'small'])).toEqual({
      huge: [500],
      big: [50, 11],
      small: [5, 10],
    });
  });

  it('keys named branches by the prefix plus the branch name', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split(Named.as('p-'))
      .branch(() => true, Branched.as('a'))
      .branch(() => true, Branched.as('b'))
      .defaultBranch();
    expect(Object.keys(branches)).toEqual(['p-a', 'p-b', 'p-0']);
  });

  it('numbers unnamed branches from 1 by position and calls the default branch 0', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split(Named.as('p'))
      .branch((_key, value) => value === 1)
      .branch((_key, value) => value === 2, Branched.as('two'))
      .branch((_key, value) => value === 3)
      .defaultBranch();
    expect(Object.keys(branches)).toEqual(['p1', 'ptwo', 'p3', 'p0']);
    branches.p1!.to('one', writeNumbers);
    branches.ptwo!.to('two', writeNumbers);
    branches.p3!.to('three', writeNumbers);
    branches.p0!.to('rest', writeNumbers);
    expect(route(builder.build(), [['a', 3], ['b', 1], ['c', 9], ['d', 2]], ['one', 'two', 'three', 'rest'])).toEqual({
      one: [1],
      two: [2],
      three: [3],
      rest: [9],
    });
  });

  it('names the split node by the prefix and each branch node by its map key', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', { ...numbers, name: 'source' })
      .split(Named.as('route-'))
      .branch(() => true, Branched.as('left'))
      .defaultBranch();
    const nodes = builder.build().describe().subtopologies[0]!.nodes;
    expect(nodes.map((node) => node.name)).toEqual(['source', 'route-', 'route-left', 'route-0']);
    expect(nodes[1]!.successors).toEqual(['route-left', 'route-0']);
  });

  it('uses a generated prefix when the split is not named', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split()
      .branch(() => true)
      .defaultBranch();
    expect(Object.keys(branches)).toEqual(['KSTREAM-BRANCH-00000000011', 'KSTREAM-BRANCH-00000000010']);
  });

  it('drops unmatched records with noDefaultBranch', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split(Named.as('p-'))
      .branch((_key, value) => value < 0, Branched.as('negative'))
      .branch((_key, value) => value > 0, Branched.as('positive'))
      .noDefaultBranch();
    expect(Object.keys(branches)).toEqual(['p-negative', 'p-positive']);
    branches['p-negative'].to('negative', writeNumbers);
    branches['p-positive'].to('positive', writeNumbers);
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', -1], ['b', 0], ['c', 2], ['d', 0]]);
    expect(driver.createOutputTopic('negative', Serdes.String(), Serdes.Int32()).readValuesToList()).toEqual([-1]);
    expect(driver.createOutputTopic('positive', Serdes.String(), Serdes.Int32()).readValuesToList()).toEqual([2]);
    expect(driver.producedTopicNames().sort()).toEqual(['in', 'negative', 'positive']);
  });

  it('holds the stream that Branched.withFunction returns', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split(Named.as('p-'))
      .branch((_key, value) => value > 10, Branched.withFunction((stream) => stream.mapValues((value) => value * 1000), 'big'))
      .defaultBranch(Branched.withFunction((stream) => stream.filter((_key, value) => value !== 0)));
    expect(Object.keys(branches)).toEqual(['p-big', 'p-0']);
    branches['p-big'].to('big', writeNumbers);
    branches['p-0'].to('rest', writeNumbers);
    expect(route(builder.build(), [['a', 11], ['b', 0], ['c', 3]], ['big', 'rest'])).toEqual({ big: [11_000], rest: [3] });
  });

  it('leaves a branch given to Branched.withConsumer out of the map but still runs it', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', numbers)
      .split(Named.as('p-'))
      .branch(
        (_key, value) => value > 10,
        Branched.withConsumer((stream) => stream.to('big', writeNumbers)),
      )
      .defaultBranch(Branched.as('rest'));
    expect(Object.keys(branches)).toEqual(['p-rest']);
    branches['p-rest'].to('rest', writeNumbers);
    expect(route(builder.build(), [['a', 11], ['b', 1]], ['big', 'rest'])).toEqual({ big: [11], rest: [1] });
  });

  it('rejects two branches with the same name', () => {
    const builder = new StreamsBuilder();
    const split = builder
      .stream('in', numbers)
      .split(Named.as('p-'))
      .branch(() => true, Branched.as('x'))
      .branch(() => true, Branched.as('x'));
    expect(() => split.defaultBranch()).toThrow(TopologyError);
    expect(() =>
      builder
        .stream('other', numbers)
        .split(Named.as('q-'))
        .branch(() => true)
        .branch(() => true, Branched.as('1'))
        .noDefaultBranch(),
    ).toThrow("split() has two branches named 'q-1'; give each branch its own name.");
  });

  it('keeps the record timestamp and headers', () => {
    expectTimestampAndHeadersKept((stream) => stream.split(Named.as('p-')).defaultBranch()['p-0']);
  });
});
