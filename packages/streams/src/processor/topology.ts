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

/** A graph of source, processor and sink nodes with the state stores they use. */
export class Topology {
  /** @internal */
  readonly internal: InternalTopologyBuilder;

  /** @internal Drivers and the DSL pass their builder; users call `new Topology()`. */
  constructor(internal: InternalTopologyBuilder = new InternalTopologyBuilder()) {
    this.internal = internal;
  }

  /** Adds a source node that reads `topics`. */
  addSource<K = unknown, V = unknown>(name: string, topics: string | readonly string[], options: SourceOptions<K, V> = {}): this {
    this.internal.addSource({
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
    this.internal.addProcessor(name, supplier, parentNames);
    return this;
  }

  /** Adds a sink node that writes what `parentNames` forward to `topic`. */
  addSink<K = unknown, V = unknown>(
    name: string,
    topic: string | TopicNameExtractor<K, V>,
    options: SinkOptions<K, V>,
    ...parentNames: string[]
  ): this {
    this.internal.addSink({
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
    this.internal.addStateStore(builder, processorNames);
    return this;
  }

  /** Connects stores already in the topology to a processor. */
  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    this.internal.connectProcessorAndStateStores([processorName], storeNames);
    return this;
  }

  /** Describes the topology: `String(topology.describe())` prints it as Kafka Streams does. */
  describe(): TopologyDescription {
    return TopologyDescription.of(this.internal);
  }
}
