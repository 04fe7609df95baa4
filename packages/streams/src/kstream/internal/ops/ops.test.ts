/**
 * The stateless DSL operators, tested as a user would: build a topology with `StreamsBuilder`,
 * run it in the test driver, and check exactly what comes out (values, keys, order, timestamps
 * and headers), so a wrong operator fails here rather than in production.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import {
  Branched,
  Consumed,
  FixedKeyRecord,
  Headers,
  Named,
  ProcessingError,
  Produced,
  Repartitioned,
  Serdes,
  StateStoreError,
  type StreamRecord,
  StreamsBuilder,
  StreamsError,
  Stores,
  TopologyError,
  logAndFail,
  pair,
  silentLogger,
} from '../../../index.js';
import type {
  FixedKeyProcessor,
  FixedKeyProcessorContext,
  KStream,
  KeyValueStore,
  Processor,
  ProcessorContext,
  Topology,
} from '../../../index.js';
import { TestRecord, TopologyTestDriver } from '../../../test-utils/index.js';
import type { TestDriverConfig } from '../../../test-utils/index.js';
import { numbers, openMemoryDriver, writeNumbers, writeStrings } from '#test-kit';

/** A driver closed when the test ends, whatever its outcome. */
/** A topology reading `in` as string → number, shaped by `build`. */
function numberTopology(build: (stream: KStream<string, number>, builder: StreamsBuilder) => void): Topology {
  const builder = new StreamsBuilder();
  build(builder.stream('in', numbers), builder);
  return builder.build();
}

/** Pipes `entries` into `in` and returns what `out` got, as key-value pairs. */
function runNumbers<V>(
  topology: Topology,
  entries: ReadonlyArray<readonly [string | null, number | null]>,
  outputValueSerde: Parameters<TopologyTestDriver['createOutputTopic']>[2] = Serdes.Int32(),
  config: TestDriverConfig = {},
): Array<{ key: string | null; value: V | null }> {
  const driver = openMemoryDriver(topology, config);
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
  const output = driver.createOutputTopic('out', Serdes.String(), outputValueSerde);
  input.pipeKeyValueList(entries);
  return output.readKeyValuesToList() as Array<{ key: string | null; value: V | null }>;
}

describe('filter', () => {
  it('keeps exactly the records the predicate accepts, in order', () => {
    const topology = numberTopology((stream) => stream.filter((_key, value) => value % 2 === 0).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 6]])).toEqual([
      { key: 'b', value: 2 },
      { key: 'd', value: 4 },
      { key: 'e', value: 6 },
    ]);
  });

  it('passes the key to the predicate', () => {
    const topology = numberTopology((stream) => stream.filter((key) => key.startsWith('keep')).to('out', writeNumbers));
    expect(runNumbers(topology, [['keep-1', 1], ['drop', 2], ['keep-2', 3]])).toEqual([
      { key: 'keep-1', value: 1 },
      { key: 'keep-2', value: 3 },
    ]);
  });

  it('rejects a predicate that is not a function', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream('in', numbers);
    expect(() => stream.filter(null as never)).toThrow(TopologyError);
    expect(() => stream.filter(null as never)).toThrow('filter() takes a function, got null.');
  });
});

describe('filterNot', () => {
  it('keeps exactly the records the predicate rejects', () => {
    const topology = numberTopology((stream) => stream.filterNot((_key, value) => value % 2 === 0).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2], ['c', 3], ['d', 4]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'c', value: 3 },
    ]);
  });
});

describe('selectKey', () => {
  it('gives each record the key the mapper computes and keeps the value', () => {
    const topology = numberTopology((stream) => stream.selectKey((key, value) => `${key}-${value * 10}`).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2]])).toEqual([
      { key: 'a-10', value: 1 },
      { key: 'b-20', value: 2 },
    ]);
  });

  it('may change the key type, which then needs its own serde', () => {
    const topology = numberTopology((stream) =>
      stream.selectKey((_key, value) => value * 100).to('out', Produced.with(Serdes.Int32(), Serdes.Int32())),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 7);
    expect(driver.createOutputTopic('out', Serdes.Int32(), Serdes.Int32()).readKeyValuesToList()).toEqual([{ key: 700, value: 7 }]);
  });
});

describe('map', () => {
  it('replaces key and value with the pair the mapper returns', () => {
    const topology = numberTopology((stream) =>
      stream.map((key, value) => pair(key.toUpperCase(), `${key}=${value}`)).to('out', writeStrings),
    );
    expect(runNumbers(topology, [['a', 1], ['b', 2]], Serdes.String())).toEqual([
      { key: 'A', value: 'a=1' },
      { key: 'B', value: 'b=2' },
    ]);
  });

  it('reports a mapper that returns no pair as a MAPPER_RESULT_INVALID failure', () => {
    const topology = numberTopology((stream) => stream.map<string, string>(() => undefined as never).to('out', writeStrings));
    const driver = openMemoryDriver(topology, { processingExceptionHandler: logAndFail() });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
    const failure = catchError(() => input.pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect((failure as ProcessingError).cause).toMatchObject({ code: 'MAPPER_RESULT_INVALID' });
  });
});

describe('mapValues', () => {
  it('replaces the value and keeps the key', () => {
    const topology = numberTopology((stream) => stream.mapValues((value) => `#${value * 2}`).to('out', writeStrings));
    expect(runNumbers(topology, [['a', 1], ['b', 5]], Serdes.String())).toEqual([
      { key: 'a', value: '#2' },
      { key: 'b', value: '#10' },
    ]);
  });

  it('passes the key as the second argument', () => {
    const seen: Array<[number, string]> = [];
    const topology = numberTopology((stream) =>
      stream
        .mapValues((value, key) => {
          seen.push([value, key]);
          return `${key}:${value}`;
        })
        .to('out', writeStrings),
    );
    expect(runNumbers(topology, [['x', 1], ['y', 2]], Serdes.String())).toEqual([
      { key: 'x', value: 'x:1' },
      { key: 'y', value: 'y:2' },
    ]);
    expect(seen).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });

  it('keeps the key serde, so only the value serde must be given again', () => {
    const topology = numberTopology((stream) => stream.mapValues((value) => String(value)).to('out', { valueSerde: Serdes.String() }));
    expect(runNumbers(topology, [['k', 3]], Serdes.String())).toEqual([{ key: 'k', value: '3' }]);
  });
});

describe('flatMap', () => {
  it('forwards every pair the mapper returns, in order, and none for an empty result', () => {
    const topology = numberTopology((stream) =>
      stream
        .flatMap((key, value) => Array.from({ length: value }, (_, index) => pair(`${key}${index}`, value * 10 + index)))
        .to('out', writeNumbers),
    );
    expect(runNumbers(topology, [['a', 2], ['b', 0], ['c', 3]])).toEqual([
      { key: 'a0', value: 20 },
      { key: 'a1', value: 21 },
      { key: 'c0', value: 30 },
      { key: 'c1', value: 31 },
      { key: 'c2', value: 32 },
    ]);
  });

  it('accepts any iterable, a generator included', () => {
    const topology = numberTopology((stream) =>
      stream
        .flatMap(function* (key, value) {
          yield pair(key, value);
          yield pair(`${key}!`, -value);
        })
        .to('out', writeNumbers),
    );
    expect(runNumbers(topology, [['a', 1]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'a!', value: -1 },
    ]);
  });
});

describe('flatMapValues', () => {
  it('forwards each value of the result under the original key', () => {
    const topology = numberTopology((stream) => stream.flatMapValues((value) => [value, value + 100]).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'a', value: 101 },
      { key: 'b', value: 2 },
      { key: 'b', value: 102 },
    ]);
  });

  it('drops the record when the result is empty', () => {
    const topology = numberTopology((stream) => stream.flatMapValues((value) => (value > 1 ? [value] : [])).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2], ['c', 0]])).toEqual([{ key: 'b', value: 2 }]);
  });

  it('takes generators and sets, and passes the key as the second argument', () => {
    const topology = numberTopology((stream) =>
      stream
        .flatMapValues(function* (value, key) {
          for (let index = 0; index < value; index++) yield `${key}${index}`;
        })
        .flatMapValues((value) => new Set([value, value, `${value}'`]))
        .to('out', writeStrings),
    );
    expect(runNumbers(topology, [['k', 2], ['z', 0]], Serdes.String())).toEqual([
      { key: 'k', value: 'k0' },
      { key: 'k', value: "k0'" },
      { key: 'k', value: 'k1' },
      { key: 'k', value: "k1'" },
    ]);
  });

  it('reports a mapper that returns no iterable as a MAPPER_RESULT_INVALID failure', () => {
    const topology = numberTopology((stream) => stream.flatMapValues(() => 42 as unknown as number[]).to('out', writeNumbers));
    const driver = openMemoryDriver(topology, { processingExceptionHandler: logAndFail() });
    const failure = catchError(() => driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect((failure as ProcessingError).cause).toMatchObject({ code: 'MAPPER_RESULT_INVALID' });
    expect(((failure as ProcessingError).cause as Error).message).toContain('must return an iterable');
  });
});

describe('peek', () => {
  it('runs the action on each record and passes it on unchanged', () => {
    const seen: string[] = [];
    const topology = numberTopology((stream) => stream.peek((key, value) => seen.push(`${key}=${value}`)).to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], ['b', 2]])).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(seen).toEqual(['a=1', 'b=2']);
  });

  it('runs before the records reach the operators after it', () => {
    const events: string[] = [];
    const topology = numberTopology((stream) =>
      stream.peek((key) => events.push(`peek ${key}`)).foreach((key) => events.push(`foreach ${key}`)),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2]]);
    expect(events).toEqual(['peek a', 'foreach a', 'peek b', 'foreach b']);
  });
});

describe('foreach', () => {
  it('runs the action on every record, with key and value', () => {
    const seen: Array<[string, number]> = [];
    const topology = numberTopology((stream) => stream.foreach((key, value) => seen.push([key, value])));
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2], ['a', 3]]);
    expect(seen).toEqual([
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ]);
  });

  it('ends the stream: it returns nothing and adds a terminal node', () => {
    const builder = new StreamsBuilder();
    const result: unknown = builder.stream('in', numbers).foreach(() => {}, Named.as('print'));
    expect(result).toBeUndefined();
    const print = builder
      .build()
      .describe()
      .subtopologies[0]!.nodes.find((node) => node.name === 'print');
    expect(print).toMatchObject({ kind: 'processor', successors: [] });
  });
});

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
});

describe('merge', () => {
  it('interleaves both streams in the order records arrive', () => {
    const builder = new StreamsBuilder();
    const left = builder.stream('left', numbers);
    const right = builder.stream('right', numbers);
    left.merge(right).to('out', writeNumbers);
    const driver = openMemoryDriver(builder.build());
    const leftInput = driver.createInputTopic('left', Serdes.String(), Serdes.Int32());
    const rightInput = driver.createInputTopic('right', Serdes.String(), Serdes.Int32());
    leftInput.pipeInput('l', 1, 10);
    rightInput.pipeInput('r', 2, 5);
    rightInput.pipeInput('r', 3, 30);
    leftInput.pipeInput('l', 4, 20);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readRecordsToList().map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['l', 1, 10],
      ['r', 2, 5],
      ['r', 3, 30],
      ['l', 4, 20],
    ]);
  });

  it('keeps serdes both streams share, so the merged stream writes without Produced', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('left', numbers)
      .merge(builder.stream('right', numbers), Named.as('both'))
      .to('out');
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('right', Serdes.String(), Serdes.Int32()).pipeInput('r', 7);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([{ key: 'r', value: 7 }]);
  });

  it('drops serdes the streams do not share: the sink then needs Produced or a default', () => {
    const builder = new StreamsBuilder();
    const strings = builder.stream('left', Consumed.with(Serdes.String(), Serdes.String()));
    const converted = builder.stream('right', numbers).mapValues((value) => String(value));
    strings.merge(converted).to('out');
    expect(() => new TopologyTestDriver(builder.build())).toThrow(/has no value serde: give one with Produced\.with/);
  });

  it('rejects a stream from another builder', () => {
    const stream = new StreamsBuilder().stream('a', numbers);
    const stranger = new StreamsBuilder().stream('b', numbers);
    expect(() => stream.merge(stranger)).toThrow('merge() takes a stream built by the same StreamsBuilder.');
  });
});

describe('repartition', () => {
  it('writes through <applicationId>-<name>-repartition and reads the records back', () => {
    const topology = numberTopology((stream) =>
      stream
        .selectKey((_key, value) => `user-${value}`)
        .repartition({ name: 'by-user', keySerde: Serdes.String() })
        .to('out', writeNumbers),
    );
    const driver = openMemoryDriver(topology, { applicationId: 'shop' });
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2]]);
    expect(driver.producedTopicNames()).toEqual(['in', 'shop-by-user-repartition', 'out']);
    expect(driver.createOutputTopic('shop-by-user-repartition', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'user-1', value: 1 },
      { key: 'user-2', value: 2 },
    ]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'user-1', value: 1 },
      { key: 'user-2', value: 2 },
    ]);
  });

  it('names the topic after Repartitioned.as and splits the topology there', () => {
    const topology = numberTopology((stream) => stream.repartition(Repartitioned.as('again')).to('out', writeNumbers));
    const description = topology.describe();
    expect(description.subtopologies).toHaveLength(2);
    expect(description.subtopologies[0]!.nodes.at(-1)).toMatchObject({ kind: 'sink', name: 'again-repartition-sink', topic: 'again-repartition' });
    expect(description.subtopologies[1]!.nodes[0]).toMatchObject({ kind: 'source', name: 'again-repartition-source', topics: ['again-repartition'] });
    expect(runNumbers(topology, [['k', 4]])).toEqual([{ key: 'k', value: 4 }]);
  });

  it('generates a topic name when none is given', () => {
    const topology = numberTopology((stream) => stream.repartition().to('out', writeNumbers));
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('k', 1);
    expect(driver.producedTopicNames()).toHaveLength(3);
    expect(driver.producedTopicNames()[1]).toMatch(/^test-KSTREAM-REPARTITION-\d{10}-repartition$/);
  });

  it('asks for Repartitioned.with when the key type changed and no serde is known', () => {
    const topology = numberTopology((stream) =>
      stream
        .selectKey((_key, value) => value)
        .repartition(Repartitioned.as('by-value'))
        .to('out', Produced.with(Serdes.Int32(), Serdes.Int32())),
    );
    expect(() => new TopologyTestDriver(topology)).toThrow(
      "Sink 'by-value-repartition-sink' (topic 'by-value-repartition') has no key serde: give one with Repartitioned.with (or Grouped.with)(keySerde, valueSerde), or set defaultKeySerde in the streams config.",
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects numberOfPartitions %s', (partitions) => {
    const stream = new StreamsBuilder().stream('in', numbers);
    expect(() => stream.repartition(Repartitioned.numberOfPartitions(partitions))).toThrow(TopologyError);
    expect(() => stream.repartition(Repartitioned.numberOfPartitions(partitions))).toThrow(/'numberOfPartitions' must be a positive integer/);
  });

  it('accepts a positive numberOfPartitions', () => {
    const topology = numberTopology((stream) => stream.repartition({ ...Repartitioned.numberOfPartitions(3), name: 'three' }).to('out', writeNumbers));
    // The driver runs one partition, so the count is only visible in the topic the topology asks for.
    expect(topologyBuilder(topology)!.internalTopics.get('three-repartition')).toEqual({ name: 'three-repartition', kind: 'repartition', partitions: 3 });
  });
});

describe('to', () => {
  it('writes to a fixed topic', () => {
    const topology = numberTopology((stream) => stream.to('out', writeNumbers));
    expect(runNumbers(topology, [['a', 1], [null, 2], ['c', null]])).toEqual([
      { key: 'a', value: 1 },
      { key: null, value: 2 },
      { key: 'c', value: null },
    ]);
  });

  it('routes each record to the topic a TopicNameExtractor picks', () => {
    const sources: Array<string | undefined> = [];
    const topology = numberTopology((stream) =>
      stream.to((_key, value, source) => {
        sources.push(source?.topic);
        return value % 2 === 0 ? 'even' : 'odd';
      }, writeNumbers),
    );
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeKeyValueList([['a', 1], ['b', 2], ['c', 4], ['d', 5]]);
    expect(driver.createOutputTopic('even', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'b', value: 2 },
      { key: 'c', value: 4 },
    ]);
    expect(driver.createOutputTopic('odd', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'd', value: 5 },
    ]);
    expect(sources).toEqual(['in', 'in', 'in', 'in']);
    expect(topology.describe().subtopologies[0]!.nodes.at(-1)!.topic).toBe('<dynamic>');
  });

  it('serializes with the serdes Produced gives, not the source serdes', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.String(), Serdes.String())).mapValues((value) => value.length).to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    const driver = openMemoryDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'hello');
    const raw = driver.createOutputTopic('out', Serdes.Bytes(), Serdes.Bytes()).readRecord();
    expect(raw.key).toEqual(Buffer.from('k', 'utf8'));
    // Int32 is 4 big-endian bytes; a String serde would have written "5".
    expect(raw.value).toEqual(Buffer.from([0, 0, 0, 5]));
  });

  it('names the sink after Produced', () => {
    const topology = numberTopology((stream) => stream.to('out', { ...writeNumbers, name: 'write-out' }));
    expect(topology.describe().subtopologies[0]!.nodes.at(-1)).toMatchObject({ name: 'write-out', kind: 'sink', topic: 'out' });
  });

  it('rejects an invalid topic name when the topology is built', () => {
    const stream = new StreamsBuilder().stream('in', numbers);
    expect(() => stream.to('not a topic!', writeNumbers)).toThrow(TopologyError);
  });
});

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
    const failure = catchError(() => driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1));
    expect(failure).toBeInstanceOf(ProcessingError);
    expect(((failure as ProcessingError).cause as Error).message).toBe("Processor 'router' has no child named 'nowhere'; its children are [sink].");
  });

  it('refuses getStateStore on a store the processor was not connected to', () => {
    const topology = numberTopology((stream, builder) => {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()));
      stream.process(() => new CountingProcessor(), Named.as('count')).to('out', writeNumbers);
    });
    const failure = catchError(() => new TopologyTestDriver(topology));
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
    const failure = catchError(() => driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput('a', 1));
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
});

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
});

describe('timestamps and headers', () => {
  const operators: Array<[string, (stream: KStream<string, number>) => KStream<string, number>]> = [
    ['filter', (stream) => stream.filter(() => true)],
    ['filterNot', (stream) => stream.filterNot(() => false)],
    ['selectKey', (stream) => stream.selectKey((key) => `${key}'`)],
    ['map', (stream) => stream.map((key, value) => pair(key, value + 1))],
    ['mapValues', (stream) => stream.mapValues((value) => value + 1)],
    ['flatMap', (stream) => stream.flatMap((key, value) => [pair(key, value)])],
    ['flatMapValues', (stream) => stream.flatMapValues((value) => [value])],
    ['peek', (stream) => stream.peek(() => {})],
    ['split', (stream) => stream.split(Named.as('p-')).defaultBranch()['p-0']],
    ['merge', (stream) => stream.merge(stream.filter(() => false))],
    ['repartition', (stream) => stream.repartition({ keySerde: Serdes.String() })],
    ['processValues', (stream) => stream.processValues<number>(() => {
      let context: FixedKeyProcessorContext<string, number>;
      return { init: (given) => void (context = given), process: (record) => context.forward(record.withValue(record.value * 2)) };
    })],
    ['process', (stream) => stream.process<string, number>(() => {
      let context: ProcessorContext<string, number>;
      return { init: (given) => void (context = given), process: (record) => context.forward(record.withKey(record.key.toUpperCase())) };
    })],
  ];

  it.each(operators)('%s keeps the record timestamp and headers', (_name, apply) => {
    const builder = new StreamsBuilder();
    apply(builder.stream('in', numbers)).to('out', writeNumbers);
    const driver = openMemoryDriver(builder.build());
    const headers = new Headers().add('trace', 'trace-1').add('trace', 'trace-2');
    driver.createInputTopic('in', Serdes.String(), Serdes.Int32()).pipeInput(new TestRecord('k', 1, 42, headers));
    const records = driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readRecordsToList();
    expect(records).toHaveLength(1);
    expect(records[0]!.timestamp).toBe(42);
    expect(records[0]!.headers.headers('trace').map((header) => header.value.toString('utf8'))).toEqual(['trace-1', 'trace-2']);
  });
});

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
        const driver = new TopologyTestDriver(builder.build(), { logger: silentLogger }, { initialWallClockTime: 0 });
        try {
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
        } finally {
          driver.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** Runs `action` and returns what it threw; fails the test when it throws nothing. */
function catchError(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    expect(StreamsError.isInstance(error)).toBe(true);
    return error;
  }
  throw new Error('Expected the action to throw.');
}
