/**
 * `to`: write each record to a topic, fixed or picked per record by a `TopicNameExtractor`
 * (Kafka's `KStreamImpl.to` and its sink node). A terminal node.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { TopicNameExtractor } from '../../../processor/stream-partitioner.js';
import type { Produced } from '../../produced.js';
import type { KStreamImpl } from '../kstream-impl.js';

/** Adds the sink, named by `produced` or generated, serializing with `produced`'s serdes, else the stream's. */
export function addStreamSink<K, V>(stream: KStreamImpl<K, V>, topic: string | TopicNameExtractor<K, V>, produced: Produced<K, V>): void {
  if (typeof topic !== 'string' && typeof topic !== 'function') throw new TopologyError('to() takes a topic name or a function that picks one per record.');
  const topology = stream.topology;
  topology.addSink({
    name: topology.nameOr(produced.name, 'KSTREAM-SINK-'),
    topic,
    keySerde: produced.keySerde ?? stream.keySerde,
    valueSerde: produced.valueSerde ?? stream.valueSerde,
    partitioner: produced.partitioner,
    parents: [stream.nodeName],
  });
}
