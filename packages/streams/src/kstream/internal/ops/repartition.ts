/**
 * `repartition`, and the repartition every key-changed stream goes through before it is
 * grouped, joined or read as a table (Kafka's `KStreamImpl.createRepartitionedSource` and
 * `RepartitionTopicNode`): a sink to `<base>-repartition` and a source reading it back, which
 * starts a new sub-topology.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { Serde } from '../../../serde/serde.js';
import type { Repartitioned } from '../../repartitioned.js';
import type { KStreamImpl, KStreamNode } from '../kstream-impl.js';
import { repartitionFilterProcessor } from './repartition-filter.js';

/** How `repartitionThrough` writes: the partitioner, and a KTable groupBy's own sink and source names. */
export interface RepartitionOptions<K, V> extends Pick<Repartitioned<K, V>, 'partitioner'> {
  /** A KTable's groupBy repartitions without a null-key filter, its sink and source named by the aggregation (KGroupedTableImpl). */
  readonly tableNodeNames?: { readonly sink: string; readonly source: string };
}

/** `KStream.repartition`: checks `repartitioned`, then repartitions through its name or a generated one. */
export function repartitionStream<K, V>(stream: KStreamImpl<K, V>, repartitioned: Repartitioned<K, V>): KStreamNode<K, V> {
  const partitions = repartitioned.numberOfPartitions;
  if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) {
    throw new TopologyError(`Repartitioned option 'numberOfPartitions' must be a positive integer, got ${partitions}.`);
  }
  const base = repartitioned.name ?? stream.topology.newName('KSTREAM-REPARTITION-');
  return repartitionThrough(stream, base, repartitioned.keySerde ?? stream.keySerde, repartitioned.valueSerde ?? stream.valueSerde, partitions, repartitioned);
}

/**
 * Writes `stream` to `<base>-repartition` and reads it back: the returned node is the source of
 * a new sub-topology, keyed as the partitions are (no further repartition needed).
 */
export function repartitionThrough<K, V>(
  stream: KStreamImpl<K, V>,
  base: string,
  keySerde: Serde<K> | undefined,
  valueSerde: Serde<V> | undefined,
  partitions: number | undefined,
  options: RepartitionOptions<K, V> = {},
): KStreamNode<K, V> {
  const topology = stream.topology;
  const topic = `${base}-repartition`;
  topology.addInternalTopic({ name: topic, kind: 'repartition', partitions });
  // Named as Kafka Streams names them: indices for a sink, a null-key filter and a source are
  // always consumed; the names are the generated ones when the topic is named after a generated
  // name, else `<topic>-sink` and so on. A KTable's groupBy names its sink and source itself and
  // has no filter; every other repartition has one (see `repartition-filter.ts`).
  const table = options.tableNodeNames;
  const generated = table === undefined ? ([topology.newName('KSTREAM-SINK-'), topology.newName('KSTREAM-FILTER-'), topology.newName('KSTREAM-SOURCE-')] as const) : undefined;
  const useGenerated = /^KSTREAM.*-\d{10}$/.test(base);
  const sinkName = table?.sink ?? (useGenerated ? generated![0] : `${topic}-sink`);
  const sourceName = table?.source ?? (useGenerated ? generated![2] : `${topic}-source`);
  let parent = stream.nodeName;
  if (table === undefined) {
    const filterName = useGenerated ? generated![1] : `${topic}-filter`;
    topology.addProcessor(filterName, repartitionFilterProcessor(topology, filterName), [stream.nodeName]);
    parent = filterName;
  }
  topology.addSink({
    name: sinkName,
    topic,
    keySerde,
    valueSerde,
    partitioner: options.partitioner,
    parents: [parent],
  });
  topology.addSource({ name: sourceName, topics: [topic], keySerde, valueSerde, timestampExtractor: undefined });
  return { nodeName: sourceName, keySerde, valueSerde, repartitionRequired: false };
}
