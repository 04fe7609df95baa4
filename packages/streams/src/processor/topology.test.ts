/**
 * The Processor API's `Topology`: wiring sources, processors and sinks by hand, the checks that
 * reject a wrong graph as it is built, how the graph splits into sub-topologies, and how
 * `describe()` prints it.
 */
import { describe, expect, it } from 'vitest';
import {
  Consumed,
  Produced,
  Serdes,
  StreamRecord,
  StreamsBuilder,
  Stores,
  Topology,
  TopologyError,
  silentLogger,
} from '../index.js';
import type { KeyValueStore, Processor, ProcessorContext, ProcessorSupplier } from '../index.js';
import { TopologyTestDriver } from '../test-utils/index.js';
import { openMemoryDriver } from '#test-kit';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

/** Forwards each value upper-cased. */
const upperCase: ProcessorSupplier<string, string, string, string> = () => {
  let context: ProcessorContext<string, string>;
  return {
    init: (given) => {
      context = given;
    },
    process: (record) => context.forward(record.withValue(record.value.toUpperCase())),
  };
};

/** Forwards each record with the value prefixed by `tag`. */
function tagWith(tag: string): ProcessorSupplier<string, string, string, string> {
  return () => {
    let context: ProcessorContext<string, string>;
    return {
      init: (given) => {
        context = given;
      },
      process: (record) => context.forward(record.withValue(`${tag}:${record.value}`)),
    };
  };
}

describe('Topology wiring', () => {
  it('runs source → processor → sink', () => {
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('upper', upperCase, 'source')
      .addSink('sink', 'out', strings, 'upper');
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeKeyValueList([
      ['a', 'hello'],
      ['b', 'world'],
    ]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 'HELLO' },
      { key: 'b', value: 'WORLD' },
    ]);
  });

  it('fans a processor out to every child, in the order they were added', () => {
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('first', tagWith('first'), 'source')
      .addProcessor('second', tagWith('second'), 'source')
      .addSink('sink', 'out', strings, 'first', 'second');
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v');
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['first:v', 'second:v']);
  });

  it('reads several topics with one source', () => {
    const topology = new Topology().addSource('source', ['a', 'b'], strings).addSink('sink', 'out', strings, 'source');
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('b', Serdes.String(), Serdes.String()).pipeInput('k', 'from-b');
    driver.createInputTopic('a', Serdes.String(), Serdes.String()).pipeInput('k', 'from-a');
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual(['from-b', 'from-a']);
  });

  it('gives a processor the stores added for it', () => {
    const counter: ProcessorSupplier<string, string, string, number> = () => {
      let context: ProcessorContext<string, number>;
      let store: KeyValueStore<string, number>;
      return {
        init: (given) => {
          context = given;
          store = given.getStateStore('counts');
        },
        process: (record) => {
          const count = (store.get(record.key) ?? 0) + 1;
          store.put(record.key, count);
          context.forward(new StreamRecord(record.key, count, record.timestamp));
        },
      };
    };
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('count', counter, 'source')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()), 'count')
      .addSink('sink', 'out', { keySerde: Serdes.String(), valueSerde: Serdes.Int32() }, 'count');
    const driver = openMemoryDriver(topology);
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeKeyValueList([
      ['a', 'x'],
      ['a', 'y'],
      ['b', 'z'],
    ]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.Int32()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
    expect(driver.getKeyValueStore<string, number>('counts').get('a')).toBe(2);
  });

  it('connects a store added earlier with connectProcessorAndStateStores', () => {
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), Serdes.String(), Serdes.String()))
      .addProcessor('remember', () => ({ process: () => {} }), 'source')
      .connectProcessorAndStateStores('remember', 'seen');
    const node = topology.describe().subtopologies[0]!.nodes[1]!;
    expect(node).toMatchObject({ name: 'remember', stores: ['seen'] });
  });
});

describe('Topology validation', () => {
  it('rejects a second node with the same name', () => {
    const topology = new Topology().addSource('source', 'in', strings);
    expect(() => topology.addProcessor('source', upperCase, 'source')).toThrow(TopologyError);
    expect(() => topology.addProcessor('source', upperCase, 'source')).toThrow("A node named 'source' was already added; give each node its own name.");
    expect(() => topology.addSource('source', 'other', strings)).toThrow("A node named 'source' was already added");
  });

  it('rejects an empty node name', () => {
    expect(() => new Topology().addSource('', 'in', strings)).toThrow('A node name must be a non-empty string.');
  });

  it('rejects a parent that is not in the topology', () => {
    const topology = new Topology().addSource('source', 'in', strings);
    expect(() => topology.addProcessor('upper', upperCase, 'missing')).toThrow(
      "Node 'upper' names parent 'missing', which is not in the topology; add the parent first.",
    );
    expect(() => topology.addSink('sink', 'out', strings, 'missing')).toThrow(TopologyError);
  });

  it('rejects a processor or sink with no parent', () => {
    const topology = new Topology().addSource('source', 'in', strings);
    expect(() => topology.addProcessor('orphan', upperCase)).toThrow("Node 'orphan' needs at least one parent.");
    expect(() => topology.addSink('orphan-sink', 'out', strings)).toThrow("Node 'orphan-sink' needs at least one parent.");
  });

  it('rejects a sink as a parent', () => {
    const topology = new Topology().addSource('source', 'in', strings).addSink('sink', 'out', strings, 'source');
    expect(() => topology.addProcessor('after-sink', upperCase, 'sink')).toThrow(
      "Node 'after-sink' cannot have sink 'sink' as its parent: sinks have no children.",
    );
  });

  it('rejects a topic read by two sources', () => {
    const topology = new Topology().addSource('first', 'in', strings);
    expect(() => topology.addSource('second', ['other', 'in'], strings)).toThrow(
      "Topic 'in' is already read by source 'first'; a topic can have one source. Read it once and share the stream (or merge streams) instead.",
    );
    // The failed source claimed nothing: 'other' is still free.
    expect(() => topology.addSource('third', 'other', strings)).not.toThrow();
  });

  it('rejects a source with no topics', () => {
    expect(() => new Topology().addSource('source', [], strings)).toThrow("Source 'source' must read at least one topic.");
  });

  it.each(['', 'has space', 'a/b', '.', '..', 'x'.repeat(250), 'ünicode'])('rejects the invalid topic name %j', (topic) => {
    expect(() => new Topology().addSource('source', topic, strings)).toThrow(TopologyError);
    const topology = new Topology().addSource('source', 'in', strings);
    expect(() => topology.addSink('sink', topic, strings, 'source')).toThrow(/is not a valid Kafka topic name/);
  });

  it.each(['in', 'a.b_c-D9', 'x'.repeat(249)])('accepts the topic name %j', (topic) => {
    expect(() => new Topology().addSource('source', topic, strings)).not.toThrow();
  });

  it('rejects a store that was never added', () => {
    const topology = new Topology().addSource('source', 'in', strings).addProcessor('upper', upperCase, 'source');
    expect(() => topology.connectProcessorAndStateStores('upper', 'missing')).toThrow(
      "State store 'missing' is not in the topology; add it with addStateStore (or StreamsBuilder.addStateStore) first.",
    );
  });

  it('rejects a store connected to a node that is not a processor', () => {
    const topology = new Topology().addSource('source', 'in', strings);
    expect(() => topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()), 'source')).toThrow(
      "Cannot connect store 'counts' to 'source': no processor has that name.",
    );
  });

  it('rejects two stores with the same name', () => {
    const topology = new Topology().addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()));
    expect(() => topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int32()))).toThrow(
      "A state store named 'counts' was already added.",
    );
  });

  it('rejects a supplier that is not a function, and one that returns no processor', () => {
    const topology = new Topology().addSource('source', 'in', strings);
    expect(() => topology.addProcessor('bad', {} as never, 'source')).toThrow("Processor 'bad' needs a supplier function that returns a new processor.");
    topology.addProcessor('empty', (() => ({})) as unknown as ProcessorSupplier<string, string>, 'source');
    expect(() => new TopologyTestDriver(topology)).toThrow("The supplier of processor 'empty' must return an object with a process(record) method.");
  });
});

describe('Sub-topologies', () => {
  it('splits disconnected parts, numbered in the order they were added', () => {
    const topology = new Topology()
      .addSource('orders', 'orders', strings)
      .addSource('payments', 'payments', strings)
      .addSink('orders-out', 'orders-out', strings, 'orders')
      .addProcessor('payments-upper', upperCase, 'payments')
      .addSink('payments-out', 'payments-out', strings, 'payments-upper');
    const subtopologies = topology.describe().subtopologies;
    expect(subtopologies.map((subtopology) => [subtopology.id, subtopology.nodes.map((node) => node.name)])).toEqual([
      [0, ['orders', 'orders-out']],
      [1, ['payments', 'payments-upper', 'payments-out']],
    ]);
  });

  it('keeps processors that share a store in one sub-topology', () => {
    const topology = new Topology()
      .addSource('left', 'left', strings)
      .addSource('right', 'right', strings)
      .addProcessor('left-writer', upperCase, 'left')
      .addProcessor('right-writer', upperCase, 'right')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('shared'), Serdes.String(), Serdes.String()), 'left-writer', 'right-writer');
    const subtopologies = topology.describe().subtopologies;
    expect(subtopologies).toHaveLength(1);
    expect(subtopologies[0]!.nodes.map((node) => node.name)).toEqual(['left', 'right', 'left-writer', 'right-writer']);
  });

  it('joins parts that a processor with two parents connects', () => {
    const topology = new Topology()
      .addSource('left', 'left', strings)
      .addSource('right', 'right', strings)
      .addProcessor('both', upperCase, 'left', 'right');
    expect(topology.describe().subtopologies).toHaveLength(1);
  });

  it('runs each sub-topology as its own task, each with its own stores', () => {
    const topology = new Topology()
      .addSource('a', 'a', strings)
      .addProcessor('pa', upperCase, 'a')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('store-a'), Serdes.String(), Serdes.String()), 'pa')
      .addSource('b', 'b', strings)
      .addProcessor('pb', upperCase, 'b')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('store-b'), Serdes.String(), Serdes.String()), 'pb');
    const taskIds: string[] = [];
    const recordTask = (name: string): ProcessorSupplier<string, string> => () => ({
      init: (context) => void taskIds.push(`${name}@${context.taskId.subtopology}_${context.taskId.partition}`),
      process: () => {},
    });
    topology.addProcessor('ta', recordTask('a'), 'pa').addProcessor('tb', recordTask('b'), 'pb');
    const driver = openMemoryDriver(topology);
    expect(taskIds).toEqual(['a@0_0', 'b@1_0']);
    expect(driver.getStateStore('store-a').name).toBe('store-a');
    expect(driver.getStateStore('store-b').name).toBe('store-b');
  });
});

describe('describe()', () => {
  it('prints the Kafka Streams layout, each sub-topology ending in a blank line', () => {
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('upper', upperCase, 'source')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), Serdes.String(), Serdes.String()), 'upper')
      .addProcessor('tag', tagWith('t'), 'upper')
      .addSink('audit-sink', 'audit', strings, 'upper')
      .addSink('out-sink', 'out', strings, 'tag')
      .addSource('other-source', ['x', 'y'], strings)
      .addSink('other-sink', (_key: string, value: string) => value, strings, 'other-source');
    expect(topology.describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: source (topics: [in])\n' +
        '      --> upper\n' +
        '    Processor: upper (stores: [seen])\n' +
        '      --> tag, audit-sink\n' +
        '      <-- source\n' +
        '    Processor: tag (stores: [])\n' +
        '      --> out-sink\n' +
        '      <-- upper\n' +
        '    Sink: audit-sink (topic: audit)\n' +
        '      <-- upper\n' +
        '    Sink: out-sink (topic: out)\n' +
        '      <-- tag\n' +
        '\n' +
        '   Sub-topology: 1\n' +
        '    Source: other-source (topics: [x, y])\n' +
        '      --> other-sink\n' +
        '    Sink: other-sink (topic: <dynamic>)\n' +
        '      <-- other-source\n' +
        '\n',
    );
  });

  it('prints a source with no children as pointing nowhere', () => {
    expect(String(new Topology().addSource('lonely', 'in', strings).describe())).toBe(
      'Topologies:\n   Sub-topology: 0\n    Source: lonely (topics: [in])\n      --> none\n\n',
    );
  });

  it('prints a DSL topology with generated names', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
      .filter((_key, value) => value.length > 0)
      .mapValues((value) => value.length)
      .to('out', Produced.with(Serdes.String(), Serdes.Int32()));
    expect(String(builder.build().describe())).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n' +
        '      --> KSTREAM-FILTER-0000000001\n' +
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n' +
        '      --> KSTREAM-MAPVALUES-0000000002\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000003\n' +
        '      <-- KSTREAM-FILTER-0000000001\n' +
        '    Sink: KSTREAM-SINK-0000000003 (topic: out)\n' +
        '      <-- KSTREAM-MAPVALUES-0000000002\n' +
        '\n',
    );
  });

  it('describes each node with its kind, topics, stores and neighbours', () => {
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('upper', upperCase, 'source')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), Serdes.String(), Serdes.String()), 'upper')
      .addSink('sink', 'out', strings, 'upper');
    expect(topology.describe().subtopologies).toEqual([
      {
        id: 0,
        nodes: [
          { name: 'source', kind: 'source', topics: ['in'], topic: undefined, stores: [], predecessors: [], successors: ['upper'] },
          { name: 'upper', kind: 'processor', topics: [], topic: undefined, stores: ['seen'], predecessors: ['source'], successors: ['sink'] },
          { name: 'sink', kind: 'sink', topics: [], topic: 'out', stores: [], predecessors: ['upper'], successors: [] },
        ],
      },
    ]);
  });

  it('follows the topology as it grows', () => {
    const topology = new Topology().addSource('source', 'in', strings);
    expect(topology.describe().subtopologies[0]!.nodes).toHaveLength(1);
    topology.addSink('sink', 'out', strings, 'source');
    expect(topology.describe().subtopologies[0]!.nodes.map((node) => node.name)).toEqual(['source', 'sink']);
  });
});

describe('toMermaid()', () => {
  it('draws sub-topologies, nodes, topics, stores and edges', () => {
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('upper-case', upperCase, 'source')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), Serdes.String(), Serdes.String()), 'upper-case')
      .addSink('sink', 'out.topic', strings, 'upper-case')
      .addSource('second', 'other', strings)
      .addSink('second-sink', 'out.topic', strings, 'second');
    const mermaid = topology.describe().toMermaid();
    const lines = mermaid.split('\n');
    expect(lines[0]).toBe('flowchart TD');
    for (const expected of [
      '  subgraph sub0["Sub-topology 0"]',
      '  subgraph sub1["Sub-topology 1"]',
      '    node_source["source"]',
      '    node_upper_case["upper-case"]',
      '    node_sink["sink"]',
      '  topic_in[/"in"/]',
      '  topic_out_topic[/"out.topic"/]',
      '  store_seen[("seen")]',
      '  topic_in --> node_source',
      '  node_source --> node_upper_case',
      '  node_upper_case --> node_sink',
      '  node_sink --> topic_out_topic',
      '  node_second_sink --> topic_out_topic',
      '  node_upper_case -.- store_seen',
    ]) {
      expect(lines).toContain(expected);
    }
    // A topic two sinks write is drawn once.
    expect(lines.filter((line) => line === '  topic_out_topic[/"out.topic"/]')).toHaveLength(1);
    expect(lines.filter((line) => line === '  end')).toHaveLength(2);
  });
});

describe('Processor lifecycle through a Topology', () => {
  it('initializes every processor once, before the first record, and closes it with the driver', () => {
    const events: string[] = [];
    const traced = (name: string): ProcessorSupplier<string, string, string, string> => () => {
      let context: ProcessorContext<string, string>;
      const processor: Processor<string, string, string, string> = {
        init: (given) => {
          context = given;
          events.push(`init ${name}`);
        },
        process: (record) => {
          events.push(`process ${name} ${record.value}`);
          context.forward(record);
        },
        close: () => void events.push(`close ${name}`),
      };
      return processor;
    };
    const topology = new Topology()
      .addSource('source', 'in', strings)
      .addProcessor('first', traced('first'), 'source')
      .addProcessor('second', traced('second'), 'first');
    const driver = new TopologyTestDriver(topology, { logger: silentLogger });
    expect(events).toEqual(['init first', 'init second']);
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'v');
    driver.close();
    expect(events).toEqual(['init first', 'init second', 'process first v', 'process second v', 'close first', 'close second']);
  });
});
