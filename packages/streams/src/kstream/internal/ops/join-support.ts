/** What the stream-stream and stream-table joins share: finding the topics that must be co-partitioned. */
import type { InternalTopologyBuilder } from '../../../processor/internal/topology-builder.js';

/**
 * The source topics a node reads from, through its ancestors: the topics whose partitions a
 * join of this node with another must line up with the other's.
 */
export function copartitionSourceTopics(topology: InternalTopologyBuilder, nodeName: string): string[] {
  const topics = new Set<string>();
  const seen = new Set<string>();
  const pending = [nodeName];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = topology.nodes.get(name);
    if (node === undefined) continue;
    if (node.kind === 'source') for (const topic of node.topics) topics.add(topic);
    else pending.push(...node.parents);
  }
  return [...topics];
}
