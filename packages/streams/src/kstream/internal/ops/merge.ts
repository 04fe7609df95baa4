/**
 * `merge`: one stream of the records of two, interleaved in the order they arrive. As in Kafka
 * Streams' `KStreamImpl.merge`, a pass-through node with both streams as parents.
 */
import type { KStreamImpl, KStreamNode } from '../kstream-impl.js';
import { passThroughProcessor } from './pass-through.js';

/**
 * Adds the merge node `name` (already generated or given: no index is consumed) below both
 * streams. The merged stream keeps a serde only when both streams have the same one, and needs a
 * repartition when either does.
 */
export function mergeStreams<K, V>(left: KStreamImpl<K, V>, right: KStreamImpl<K, V>, name: string): KStreamNode<K, V> {
  left.topology.addProcessor(name, passThroughProcessor(), [left.nodeName, right.nodeName]);
  return {
    nodeName: name,
    keySerde: left.keySerde === right.keySerde ? left.keySerde : undefined,
    valueSerde: left.valueSerde === right.valueSerde ? left.valueSerde : undefined,
    repartitionRequired: left.repartitionRequired || right.repartitionRequired,
  };
}
