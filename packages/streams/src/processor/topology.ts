/**
 * The Processor API's topology: sources, processors and sinks wired by hand. `StreamsBuilder`
 * builds the same thing from the DSL; both hand a `Topology` to a driver.
 */
import { InternalTopologyBuilder } from './internal/topology-builder.js';
import type { ProcessorSupplier } from './processor.js';
import type { StreamPartitioner, TopicNameExtractor } from './stream-partitioner.js';
import type { TimestampExtractor } from './timestamp-extractor.js';
import { TopologyDescription } from './topology-description.js';
import type { Serde } from '../serde/serde.js';
import type { StoreBuilder } from '../state/state-store.js';

/** Options of {@link Topology.addSource}. */
export interface SourceOptions<K, V> {
  /** Deserializes the topics' keys. Defaults to the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Deserializes the topics' values. Defaults to the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
  /** Assigns each record its event time. Defaults to the config's `defaultTimestampExtractor`. */
  readonly timestampExtractor?: TimestampExtractor<K, V>;
}

/** Options of {@link Topology.addSink}. */
export interface SinkOptions<K, V> {
  /** Serializes the keys written. Defaults to the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Serializes the values written. Defaults to the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
  /** Picks each record's partition. Defaults to murmur2 of the serialized key, as Kafka's producer does. */
  readonly partitioner?: StreamPartitioner<K, V>;
}

/**
 * Where a topology keeps its builder: a non-enumerable property under a registered symbol, so it
 * is no part of the API (drivers read it with `topologyBuilder` from `@tributary/streams/engine`)
 * and still found when an application and a driver load two copies of this package.
 */
const builderKey = Symbol.for('@tributary/streams/topology-builder');

/**
 * The builder inside `topology`, for drivers; `undefined` when `topology` is not a `Topology`
 * (a plain object, a topology of an incompatible copy of this package).
 */
export function topologyBuilder(topology: Topology): InternalTopologyBuilder | undefined {
  if (typeof topology !== 'object' || topology === null) return undefined;
  const builder = (topology as unknown as Record<symbol, unknown>)[builderKey] as InternalTopologyBuilder | undefined;
  return typeof builder === 'object' && builder !== null && typeof builder.subtopologies === 'function' ? builder : undefined;
}

function graphOf(topology: Topology): InternalTopologyBuilder {
  return (topology as unknown as Record<symbol, InternalTopologyBuilder>)[builderKey]!;
}

/** A graph of source, processor and sink nodes with the state stores they use. */
export class Topology {
  /** @internal Drivers and the DSL pass their builder; users call `new Topology()`. */
  constructor(builder: InternalTopologyBuilder = new InternalTopologyBuilder()) {
    Object.defineProperty(this, builderKey, { value: builder, enumerable: false, writable: false, configurable: false });
  }

  /** Adds a source node that reads `topics`. */
  addSource<K = unknown, V = unknown>(name: string, topics: string | readonly string[], options: SourceOptions<K, V> = {}): this {
    graphOf(this).addSource({
      name,
      topics: typeof topics === 'string' ? [topics] : topics,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      timestampExtractor: options.timestampExtractor as TimestampExtractor<any, any> | undefined,
    });
    return this;
  }

  /** Adds a processor node whose input comes from `parentNames`. */
  addProcessor<KIn, VIn, KOut = never, VOut = never>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parentNames: string[]
  ): this {
    graphOf(this).addProcessor(name, supplier, parentNames);
    return this;
  }

  /** Adds a sink node that writes what `parentNames` forward to `topic`. */
  addSink<K = unknown, V = unknown>(
    name: string,
    topic: string | TopicNameExtractor<K, V>,
    options: SinkOptions<K, V>,
    ...parentNames: string[]
  ): this {
    graphOf(this).addSink({
      name,
      topic,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      partitioner: options.partitioner as StreamPartitioner<any, any> | undefined,
      parents: parentNames,
    });
    return this;
  }

  /** Adds a state store, connected to the named processors. */
  addStateStore(builder: StoreBuilder, ...processorNames: string[]): this {
    graphOf(this).addStateStore(builder, processorNames);
    return this;
  }

  /** Connects stores already in the topology to a processor. */
  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    graphOf(this).connectProcessorAndStateStores([processorName], storeNames);
    return this;
  }

  /** Describes the topology: `String(topology.describe())` prints it as Kafka Streams does. */
  describe(): TopologyDescription {
    return TopologyDescription.of(graphOf(this));
  }
}
