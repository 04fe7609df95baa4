/**
 * The topology graph, as the DSL and the Processor API build it: source, processor and sink
 * nodes, the state stores they use, and the internal topics between sub-topologies. It knows
 * nothing of Kafka: drivers ask it for sub-topologies and instantiate them per task.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { Serde } from '../../serde/serde.js';
import type { StoreBuilder } from '../../state/state-store.js';
import type { DslStoreSuppliers } from '../../state/dsl-store-suppliers.js';
import { Stores } from '../../state/stores.js';
import type { ProcessorSupplier } from '../processor.js';
import type { StreamPartitioner, TopicNameExtractor } from '../stream-partitioner.js';
import type { TimestampExtractor } from '../timestamp-extractor.js';

/** A source node as recorded: it reads `topics` and forwards deserialized records. */
export interface SourceSpec {
  /** Discriminates {@link NodeSpec}. */
  readonly kind: 'source';
  /** Unique among the topology's nodes. */
  readonly name: string;
  /** Topics read; internal ones unprefixed (see {@link InternalTopologyBuilder.resolveTopic}). Each topic has one source. */
  readonly topics: readonly string[];
  /** `undefined` falls back to the config's `defaultKeySerde` when the task is built. */
  readonly keySerde: Serde<any> | undefined;
  /** `undefined` falls back to the config's `defaultValueSerde` when the task is built. */
  readonly valueSerde: Serde<any> | undefined;
  /** `undefined` falls back to the config's `defaultTimestampExtractor`. */
  readonly timestampExtractor: TimestampExtractor<any, any> | undefined;
}

/** A processor node as recorded: a supplier called once per task. */
export interface ProcessorSpec {
  /** Discriminates {@link NodeSpec}. */
  readonly kind: 'processor';
  /** Unique among the topology's nodes. */
  readonly name: string;
  /** Nodes that forward to this one, added before it. */
  readonly parents: readonly string[];
  /** Makes the node's processor; each task calls it once, so it must return a new instance. */
  readonly supplier: ProcessorSupplier<any, any, any, any>;
  /** Names of the state stores connected to it; grows as stores are connected. */
  readonly stores: string[];
}

/** A sink node as recorded: it serializes records and hands them to the task's collector. */
export interface SinkSpec {
  /** Discriminates {@link NodeSpec}. */
  readonly kind: 'sink';
  /** Unique among the topology's nodes. */
  readonly name: string;
  /** Nodes that forward to this one, added before it. */
  readonly parents: readonly string[];
  /** A fixed topic (internal ones unprefixed), or an extractor that picks one per record. */
  readonly topic: string | TopicNameExtractor<any, any>;
  /** `undefined` falls back to the config's `defaultKeySerde` when the task is built. */
  readonly keySerde: Serde<any> | undefined;
  /** `undefined` falls back to the config's `defaultValueSerde` when the task is built. */
  readonly valueSerde: Serde<any> | undefined;
  /** `undefined` partitions by murmur2 of the serialized key. */
  readonly partitioner: StreamPartitioner<any, any> | undefined;
}

/** Any node of the graph; switch on `kind`. */
export type NodeSpec = SourceSpec | ProcessorSpec | SinkSpec;

/** An internal topic the topology needs, named without the application id prefix. */
export interface InternalTopicSpec {
  /** Unprefixed: the topic is `<applicationId>-<name>`, e.g. `count-repartition`. */
  readonly name: string;
  /** Only repartition topics are recorded here; changelogs come from the stores (see {@link changelogTopicName}). */
  readonly kind: 'repartition';
  /** A fixed partition count, or `undefined` to match the upstream source topics. */
  readonly partitions: number | undefined;
}

/** One connected part of the graph: the unit a task runs. */
export interface SubtopologySpec {
  /** Numbered from 0 in the order the sub-topology's first node was added; the `subtopology` of its task ids. */
  readonly id: number;
  /** Node names in the order they were added. */
  readonly nodes: readonly string[];
  /** Source topics, unprefixed for internal ones. */
  readonly sourceTopics: readonly string[];
  /** Names of the (non-global) state stores its processors use; each task builds its own instance. */
  readonly stores: readonly string[];
}

/** A state store added to the topology, with the processors connected to it. */
export interface StoreEntry {
  /** Builds one store instance per task; its name is the store's name. */
  readonly builder: StoreBuilder;
  /** Names of the processors connected to the store; they end up in one sub-topology. */
  readonly processors: Set<string>;
}

/**
 * A global store: filled from every partition of `topic` before and while tasks run, readable by
 * every task. Not changelogged: the topic is its changelog. Its updater is `update`.
 */
export interface GlobalStoreSpec {
  /** The topic, read from every partition, that fills the store; no other source may read it. */
  readonly topic: string;
  /** Builds the one store instance all tasks share. */
  readonly builder: StoreBuilder;
  /** `undefined` falls back to the config's `defaultKeySerde`. */
  readonly keySerde: Serde<any> | undefined;
  /** `undefined` falls back to the config's `defaultValueSerde`. */
  readonly valueSerde: Serde<any> | undefined;
  /** `undefined` falls back to the config's `defaultTimestampExtractor`. */
  readonly timestampExtractor: TimestampExtractor<any, any> | undefined;
}

/**
 * The mutable graph behind `Topology` and `StreamsBuilder` (Kafka Streams'
 * `InternalTopologyBuilder`). Every `add*` method validates at once and throws
 * {@link TopologyError} naming the node, so a bad topology fails where it is built.
 */
export class InternalTopologyBuilder {
  /** Where the DSL keeps the stores it creates when `Materialized` gives no supplier. */
  readonly dslStoreSuppliers: DslStoreSuppliers;
  /** Every node by name, in the order added (which numbering and sub-topology order follow). */
  readonly nodes = new Map<string, NodeSpec>();
  /** Child node names of each node, in the order added; every node has an entry, sinks an empty one. */
  readonly children = new Map<string, string[]>();
  /** Non-global state stores by name. */
  readonly stores = new Map<string, StoreEntry>();
  /** Repartition topics by unprefixed name. */
  readonly internalTopics = new Map<string, InternalTopicSpec>();
  /** Groups of source topics whose partitions must match (joined inputs). */
  readonly copartitionGroups: Set<string>[] = [];
  /** Global stores by the topic that fills them. */
  readonly globalStores = new Map<string, GlobalStoreSpec>();
  private readonly sourceByTopic = new Map<string, string>();
  /** Join processors that keep null-key records (KIP-962): left and outer stream joins; see {@link feedsNullKeyJoin}. */
  private readonly nullKeyJoins = new Set<string>();
  private nextIndex = 0;
  private cachedSubtopologies: SubtopologySpec[] | undefined;

  /** An empty graph whose DSL-made stores come from `dslStoreSuppliers` (in memory by default). */
  constructor(dslStoreSuppliers: DslStoreSuppliers = Stores.inMemoryDslStoreSuppliers()) {
    this.dslStoreSuppliers = dslStoreSuppliers;
  }

  /** A fresh generated node name, `PREFIX-0000000007`, numbered as Kafka Streams numbers them. */
  newName(prefix: string): string {
    return `${prefix}${String(this.nextIndex++).padStart(10, '0')}`;
  }

  /**
   * The `given` name, or a generated one: an index is consumed either way, as Kafka Streams'
   * `NamedInternal.orElseGenerateWithPrefix` burns one, so naming one node leaves the generated
   * names of the others (and the internal topics named after them) as they were.
   */
  nameOr(given: string | undefined, prefix: string): string {
    const generated = this.newName(prefix);
    return given ?? generated;
  }

  /** A fresh index, for names that the DSL composes itself. */
  newIndex(): number {
    return this.nextIndex++;
  }

  /** Adds a source node. Throws if the name is taken, a topic is invalid or already read by another source. */
  addSource(spec: Omit<SourceSpec, 'kind'>): void {
    this.checkNewName(spec.name);
    if (spec.topics.length === 0) throw new TopologyError(`Source '${spec.name}' must read at least one topic.`);
    for (const topic of spec.topics) {
      checkTopicName(topic, `source '${spec.name}'`);
      const owner = this.sourceByTopic.get(topic);
      if (owner !== undefined) {
        throw new TopologyError(
          `Topic '${topic}' is already read by source '${owner}'; a topic can have one source. Read it once and share the stream (or merge streams) instead.`,
        );
      }
    }
    for (const topic of spec.topics) this.sourceByTopic.set(topic, spec.name);
    this.addNode({ kind: 'source', ...spec, topics: [...spec.topics] });
  }

  /** Adds a processor node under `parents`, which must exist already and not be sinks. */
  addProcessor(name: string, supplier: ProcessorSupplier<any, any, any, any>, parents: readonly string[]): void {
    this.checkNewName(name);
    if (typeof supplier !== 'function') throw new TopologyError(`Processor '${name}' needs a supplier function that returns a new processor.`);
    this.checkParents(name, parents);
    this.addNode({ kind: 'processor', name, parents: [...parents], supplier, stores: [] });
  }

  /** Adds a sink node under `spec.parents`. Throws if the name is taken or a fixed topic name is invalid. */
  addSink(spec: Omit<SinkSpec, 'kind'>): void {
    this.checkNewName(spec.name);
    if (typeof spec.topic === 'string') checkTopicName(spec.topic, `sink '${spec.name}'`);
    this.checkParents(spec.name, spec.parents);
    this.addNode({ kind: 'sink', ...spec, parents: [...spec.parents] });
  }

  /** Adds a global store. Throws if its name is taken or its topic is read elsewhere in the topology. */
  addGlobalStore(spec: GlobalStoreSpec): void {
    checkTopicName(spec.topic, `global store '${spec.builder.name}'`);
    if (this.stores.has(spec.builder.name) || [...this.globalStores.values()].some((global) => global.builder.name === spec.builder.name)) {
      throw new TopologyError(`A state store named '${spec.builder.name}' was already added.`);
    }
    if (this.sourceByTopic.has(spec.topic) || this.globalStores.has(spec.topic)) {
      throw new TopologyError(`Topic '${spec.topic}' is already read by the topology; a global table needs a topic of its own.`);
    }
    this.globalStores.set(spec.topic, spec);
  }

  /** Adds a state store and connects it to `processorNames` (possibly none yet). */
  addStateStore(builder: StoreBuilder, processorNames: readonly string[]): void {
    if (this.stores.has(builder.name)) throw new TopologyError(`A state store named '${builder.name}' was already added.`);
    this.stores.set(builder.name, { builder, processors: new Set() });
    this.connectProcessorAndStateStores(processorNames, [builder.name]);
  }

  /** Connects stores already added to processors already added; connecting twice is harmless. */
  connectProcessorAndStateStores(processorNames: readonly string[], storeNames: readonly string[]): void {
    for (const storeName of storeNames) {
      const entry = this.stores.get(storeName);
      if (entry === undefined) {
        throw new TopologyError(`State store '${storeName}' is not in the topology; add it with addStateStore (or StreamsBuilder.addStateStore) first.`);
      }
      for (const processorName of processorNames) {
        const node = this.nodes.get(processorName);
        if (node === undefined || node.kind !== 'processor') {
          throw new TopologyError(`Cannot connect store '${storeName}' to '${processorName}': no processor has that name.`);
        }
        if (!node.stores.includes(storeName)) node.stores.push(storeName);
        entry.processors.add(processorName);
      }
    }
    this.cachedSubtopologies = undefined;
  }

  /** Records a repartition topic the driver must create (Kafka) or route in memory (test driver). */
  addInternalTopic(spec: InternalTopicSpec): void {
    this.internalTopics.set(spec.name, spec);
  }

  /**
   * Marks a join processor that keeps records with a null key (a left or outer stream-stream join,
   * a left stream-table or stream-global-table join): Kafka Streams' `NULL_KEY_RELAXED_JOIN` label.
   */
  markNullKeyJoin(processorName: string): void {
    this.nullKeyJoins.add(processorName);
  }

  /**
   * Whether records leaving `nodeName` can reach a join marked by {@link markNullKeyJoin}, through
   * processors and through internal topics (a sink's topic to the source reading it), as Kafka
   * Streams 3.9 walks its graph (`NodesWithRelaxedNullKeyJoinDownstream`) to decide which
   * repartitions keep null keys. Topics the application writes and reads itself are not followed.
   */
  feedsNullKeyJoin(nodeName: string): boolean {
    const seen = new Set<string>();
    const pending = [nodeName];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (name !== nodeName && this.nullKeyJoins.has(name)) return true;
      const node = this.nodes.get(name);
      if (node?.kind === 'sink') {
        const source = typeof node.topic === 'string' && this.internalTopics.has(node.topic) ? this.sourceByTopic.get(node.topic) : undefined;
        if (source !== undefined) pending.push(source);
        continue;
      }
      pending.push(...(this.children.get(name) ?? []));
    }
    return false;
  }

  /** Records source topics that must have equal partition counts because their records are joined by key. */
  addCopartitionGroup(topics: Iterable<string>): void {
    this.copartitionGroups.push(new Set(topics));
  }

  /** Topics read by sources, internal ones unprefixed. */
  sourceTopics(): string[] {
    return [...this.sourceByTopic.keys()];
  }

  /** The name of the source node reading `topic` (unprefixed), or `undefined` if none does. */
  sourceNodeForTopic(topic: string): string | undefined {
    return this.sourceByTopic.get(topic);
  }

  /** The full name of a topic for an application: internal topics get the application id prefix. */
  resolveTopic(applicationId: string, topic: string): string {
    return this.internalTopics.has(topic) ? `${applicationId}-${topic}` : topic;
  }

  /** Stores whose writes are logged, with their changelog topics for an application. */
  changelogTopics(applicationId: string): Map<string, string> {
    const topics = new Map<string, string>();
    for (const [name, entry] of this.stores) if (entry.builder.changelog.enabled) topics.set(name, changelogTopicName(applicationId, name));
    return topics;
  }

  /** The graph's connected parts, numbered in the order their first node was added. */
  subtopologies(): SubtopologySpec[] {
    if (this.cachedSubtopologies !== undefined) return this.cachedSubtopologies;
    const names = [...this.nodes.keys()];
    const parentOf = new Map<string, string>(names.map((name) => [name, name]));
    const find = (name: string): string => {
      let root = name;
      while (parentOf.get(root) !== root) root = parentOf.get(root)!;
      let current = name;
      while (current !== root) {
        const next = parentOf.get(current)!;
        parentOf.set(current, root);
        current = next;
      }
      return root;
    };
    const union = (a: string, b: string): void => {
      const rootA = find(a);
      const rootB = find(b);
      if (rootA === rootB) return;
      // Keep the earlier-added node as root so numbering follows insertion order.
      if (names.indexOf(rootA) < names.indexOf(rootB)) parentOf.set(rootB, rootA);
      else parentOf.set(rootA, rootB);
    };
    for (const node of this.nodes.values()) {
      if (node.kind !== 'source') for (const parent of node.parents) union(node.name, parent);
    }
    for (const entry of this.stores.values()) {
      const [first, ...rest] = [...entry.processors];
      if (first !== undefined) for (const other of rest) union(first, other);
    }
    const groups = new Map<string, string[]>();
    for (const name of names) {
      const root = find(name);
      const group = groups.get(root);
      if (group === undefined) groups.set(root, [name]);
      else group.push(name);
    }
    const result: SubtopologySpec[] = [];
    for (const members of groups.values()) {
      const sourceTopics: string[] = [];
      const stores = new Set<string>();
      for (const name of members) {
        const node = this.nodes.get(name)!;
        if (node.kind === 'source') sourceTopics.push(...node.topics);
        if (node.kind === 'processor') for (const store of node.stores) stores.add(store);
      }
      result.push({ id: result.length, nodes: members, sourceTopics, stores: [...stores] });
    }
    this.cachedSubtopologies = result;
    return result;
  }

  private addNode(node: NodeSpec): void {
    this.nodes.set(node.name, node);
    this.children.set(node.name, []);
    if (node.kind !== 'source') for (const parent of node.parents) this.children.get(parent)!.push(node.name);
    this.cachedSubtopologies = undefined;
  }

  private checkNewName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new TopologyError('A node name must be a non-empty string.');
    if (this.nodes.has(name)) throw new TopologyError(`A node named '${name}' was already added; give each node its own name.`);
  }

  private checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TopologyError(`Node '${name}' needs at least one parent.`);
    for (const parent of parents) {
      const node = this.nodes.get(parent);
      if (node === undefined) throw new TopologyError(`Node '${name}' names parent '${parent}', which is not in the topology; add the parent first.`);
      if (node.kind === 'sink') throw new TopologyError(`Node '${name}' cannot have sink '${parent}' as its parent: sinks have no children.`);
      if (parent === name) throw new TopologyError(`Node '${name}' cannot be its own parent.`);
    }
  }
}

/** The changelog topic of a store, as Kafka Streams names it. */
export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

const topicPattern = /^[a-zA-Z0-9._-]{1,249}$/;

function checkTopicName(topic: string, where: string): void {
  if (typeof topic !== 'string' || !topicPattern.test(topic) || topic === '.' || topic === '..') {
    throw new TopologyError(
      `Topic name ${JSON.stringify(topic)} of ${where} is not a valid Kafka topic name: use 1 to 249 letters, digits, '.', '_' or '-'.`,
    );
  }
}
