/**
 * A topology described for people: its sub-topologies, nodes, topics and stores, as text in the
 * layout Kafka Streams prints and as a Mermaid diagram for docs and reviews.
 */
import type { InternalTopologyBuilder } from './internal/topology-builder.js';

/** One node of a described topology. */
export interface NodeDescription {
  /** Unique in the topology: the name given (or generated, as `KSTREAM-MAP-0000000002`). */
  readonly name: string;
  /** A source reads topics, a processor runs records, a sink writes a topic. */
  readonly kind: 'source' | 'processor' | 'sink';
  /** Topics a source reads. */
  readonly topics: readonly string[];
  /** The topic a sink writes, or `'<dynamic>'` when a topic-name extractor picks it. */
  readonly topic: string | undefined;
  /** State stores a processor is connected to; empty for sources and sinks. */
  readonly stores: readonly string[];
  /** Names of the nodes that forward to this one; empty for sources. */
  readonly predecessors: readonly string[];
  /** Names of the nodes this one forwards to; empty for sinks. */
  readonly successors: readonly string[];
}

/** One sub-topology: the part of the graph a task runs. */
export interface SubtopologyDescription {
  /** Numbered from 0 in the order each sub-topology's first node was added; a task id pairs it with a partition. */
  readonly id: number;
  /** The sub-topology's nodes, in the order they were added. */
  readonly nodes: readonly NodeDescription[];
}

/** The described topology. `toString()` gives Kafka Streams' text layout. */
export class TopologyDescription {
  /** A description of these sub-topologies; `Topology.describe()` makes the real one. */
  constructor(
    /** The connected parts of the graph, by `id`; nodes joined by a store or an edge share one. */
    readonly subtopologies: readonly SubtopologyDescription[],
  ) {}

  /** @internal */
  static of(builder: InternalTopologyBuilder): TopologyDescription {
    return new TopologyDescription(
      builder.subtopologies().map((subtopology) => ({
        id: subtopology.id,
        nodes: subtopology.nodes.map((name): NodeDescription => {
          const node = builder.nodes.get(name)!;
          return {
            name,
            kind: node.kind,
            topics: node.kind === 'source' ? node.topics : [],
            topic: node.kind === 'sink' ? (typeof node.topic === 'string' ? node.topic : '<dynamic>') : undefined,
            stores: node.kind === 'processor' ? [...node.stores] : [],
            predecessors: node.kind === 'source' ? [] : [...node.parents],
            successors: [...(builder.children.get(name) ?? [])],
          };
        }),
      })),
    );
  }

  /** The topology in the text layout Kafka Streams' `describe()` prints. */
  toString(): string {
    const lines = ['Topologies:'];
    for (const subtopology of this.subtopologies) {
      lines.push(`   Sub-topology: ${subtopology.id}`);
      for (const node of subtopology.nodes) {
        if (node.kind === 'source') lines.push(`    Source: ${node.name} (topics: [${node.topics.join(', ')}])`);
        else if (node.kind === 'processor') lines.push(`    Processor: ${node.name} (stores: [${node.stores.join(', ')}])`);
        else lines.push(`    Sink: ${node.name} (topic: ${node.topic})`);
        if (node.kind !== 'sink') lines.push(`      --> ${node.successors.length === 0 ? 'none' : node.successors.join(', ')}`);
        if (node.kind !== 'source') lines.push(`      <-- ${node.predecessors.join(', ')}`);
      }
      lines.push('');
    }
    // Every line ends in a newline, so each sub-topology, the last included, ends in a blank line as in Kafka.
    return `${lines.join('\n')}\n`;
  }

  /** The topology as a Mermaid flowchart: one box per sub-topology, topics and stores as shapes. */
  toMermaid(): string {
    const id = (kind: string, name: string): string => `${kind}_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    const lines = ['flowchart TD'];
    const topics = new Set<string>();
    const stores = new Set<string>();
    const edges: string[] = [];
    for (const subtopology of this.subtopologies) {
      lines.push(`  subgraph sub${subtopology.id}["Sub-topology ${subtopology.id}"]`);
      for (const node of subtopology.nodes) {
        lines.push(`    ${id('node', node.name)}["${node.name}"]`);
        for (const successor of node.successors) edges.push(`  ${id('node', node.name)} --> ${id('node', successor)}`);
        for (const topic of node.topics) {
          topics.add(topic);
          edges.push(`  ${id('topic', topic)} --> ${id('node', node.name)}`);
        }
        if (node.topic !== undefined) {
          topics.add(node.topic);
          edges.push(`  ${id('node', node.name)} --> ${id('topic', node.topic)}`);
        }
        for (const store of node.stores) {
          stores.add(store);
          edges.push(`  ${id('node', node.name)} -.- ${id('store', store)}`);
        }
      }
      lines.push('  end');
    }
    for (const topic of topics) lines.push(`  ${id('topic', topic)}[/"${topic}"/]`);
    for (const store of stores) lines.push(`  ${id('store', store)}[("${store}")]`);
    lines.push(...edges);
    return lines.join('\n');
  }
}
