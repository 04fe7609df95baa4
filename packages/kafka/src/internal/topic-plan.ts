/**
 * What a topology needs from the cluster, worked out without touching it: the partition count of
 * every repartition topic (fixed by `Repartitioned`, else the largest source topic of the
 * sub-topology that writes it, else the count its co-partitioned peers force), one changelog per
 * logged store with as many partitions as its sub-topology has tasks, and the co-partitioning
 * check of joined inputs. The topic manager feeds it the source topics' counts and applies it.
 */
import { TopologyError } from '@tributary/streams';
import type { InternalTopologyBuilder } from '@tributary/streams/engine';
import { CopartitionError, InternalTopicMismatchError } from '../errors.js';

/** An internal topic to create, by its full name. */
export interface InternalTopicPlan {
  readonly name: string;
  readonly kind: 'repartition' | 'changelog';
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicPlan {
  /** Every internal topic, by full name. */
  readonly internalTopics: Map<string, InternalTopicPlan>;
  /** Partition count of every topic a task reads (full names), internal ones included. */
  readonly partitionCounts: Map<string, number>;
  /** The number of tasks (partitions) of each sub-topology. */
  readonly tasksPerSubtopology: Map<number, number>;
}

/** Kafka Streams' repartition topics are deletable by the app once consumed; a week keeps them readable after a long stop. */
const repartitionConfigs: Readonly<Record<string, string>> = { 'cleanup.policy': 'delete', 'retention.ms': '604800000' };

/**
 * Works out the internal topics of `builder` for `applicationId`, given the partition counts of
 * its external source topics (unprefixed names). Throws `CopartitionError` when joined inputs
 * differ in partitions, and `TopologyError` when a repartition topic has no writer to size it by.
 */
export function planTopics(builder: InternalTopologyBuilder, applicationId: string, sourceCounts: ReadonlyMap<string, number>): TopicPlan {
  const subtopologies = builder.subtopologies();
  const counts = new Map<string, number>();
  for (const topic of builder.sourceTopics()) {
    if (builder.internalTopics.has(topic)) continue;
    const count = sourceCounts.get(topic);
    if (count === undefined) throw new TopologyError(`No partition count is known for source topic '${topic}'.`);
    counts.set(topic, count);
  }
  const pinned = new Set<string>();
  for (const [name, spec] of builder.internalTopics) {
    if (spec.partitions !== undefined) {
      counts.set(name, spec.partitions);
      pinned.add(name);
    }
  }
  // Which sub-topologies write each internal topic.
  const writers = new Map<string, number[]>();
  for (const subtopology of subtopologies) {
    for (const nodeName of subtopology.nodes) {
      const node = builder.nodes.get(nodeName);
      if (node?.kind === 'sink' && typeof node.topic === 'string' && builder.internalTopics.has(node.topic)) {
        const list = writers.get(node.topic) ?? [];
        if (!list.includes(subtopology.id)) list.push(subtopology.id);
        writers.set(node.topic, list);
      }
    }
  }
  const maxSourceCount = (subtopologyId: number): number | undefined => {
    let max: number | undefined;
    for (const topic of subtopologies[subtopologyId]!.sourceTopics) {
      const count = counts.get(topic);
      if (count === undefined) return undefined;
      max = max === undefined ? count : Math.max(max, count);
    }
    return max;
  };
  // Repeat until stable: sizing from upstream, then co-partition groups pinning their internal topics.
  for (let round = 0; round < 2 * (builder.internalTopics.size + 2); round++) {
    let changed = false;
    for (let pass = 0; pass <= builder.internalTopics.size; pass++) {
      let progressed = false;
      for (const name of builder.internalTopics.keys()) {
        if (pinned.has(name)) continue;
        let size: number | undefined;
        for (const writer of writers.get(name) ?? []) {
          const upstream = maxSourceCount(writer);
          if (upstream !== undefined) size = size === undefined ? upstream : Math.max(size, upstream);
        }
        if (size !== undefined && counts.get(name) !== size) {
          counts.set(name, size);
          progressed = true;
          changed = true;
        }
      }
      if (!progressed) break;
    }
    for (const group of builder.copartitionGroups) {
      const fixed: string[] = [];
      const free: string[] = [];
      for (const topic of group) (builder.internalTopics.has(topic) && !pinned.has(topic) ? free : fixed).push(topic);
      const target = fixed.length > 0 ? counts.get(fixed[0]!) : Math.max(...free.map((topic) => counts.get(topic) ?? 0));
      if (target === undefined || target === 0) continue;
      for (const topic of free) {
        if (counts.get(topic) !== target) {
          counts.set(topic, target);
          changed = true;
        }
        pinned.add(topic);
      }
    }
    if (!changed) break;
  }
  for (const name of builder.internalTopics.keys()) {
    if (counts.get(name) === undefined) {
      throw new TopologyError(`Cannot size repartition topic '${applicationId}-${name}': no sub-topology with known inputs writes it. Give it a count with Repartitioned.withNumberOfPartitions.`);
    }
  }
  checkCopartitioning(builder, applicationId, counts);

  const partitionCounts = new Map<string, number>();
  for (const [topic, count] of counts) partitionCounts.set(builder.resolveTopic(applicationId, topic), count);
  const internalTopics = new Map<string, InternalTopicPlan>();
  for (const name of builder.internalTopics.keys()) {
    const full = builder.resolveTopic(applicationId, name);
    internalTopics.set(full, { name: full, kind: 'repartition', partitions: counts.get(name)!, configs: repartitionConfigs });
  }
  const tasksPerSubtopology = new Map<number, number>();
  for (const subtopology of subtopologies) {
    const tasks = maxSourceCount(subtopology.id) ?? 0;
    tasksPerSubtopology.set(subtopology.id, tasks);
    for (const store of subtopology.stores) {
      const entry = builder.stores.get(store);
      if (entry === undefined || !entry.builder.changelog.enabled) continue;
      const name = `${applicationId}-${store}-changelog`;
      internalTopics.set(name, { name, kind: 'changelog', partitions: tasks, configs: { 'cleanup.policy': 'compact', ...entry.builder.changelog.topicConfig } });
    }
  }
  return { internalTopics, partitionCounts, tasksPerSubtopology };
}

/** Throws `CopartitionError` naming the topics and their counts when a co-partition group disagrees. */
function checkCopartitioning(builder: InternalTopologyBuilder, applicationId: string, counts: ReadonlyMap<string, number>): void {
  for (const group of builder.copartitionGroups) {
    const entries = [...group].map((topic) => ({ topic: builder.resolveTopic(applicationId, topic), count: counts.get(topic) }));
    const distinct = new Set(entries.map((entry) => entry.count));
    if (distinct.size > 1) {
      const listed = entries.map((entry) => `${entry.topic} (${entry.count ?? 'unknown'} partitions)`).join(', ');
      throw new CopartitionError(
        `Joined topics must be co-partitioned (the same number of partitions), but they are not: ${listed}. Recreate the input topics with equal partition counts, or repartition one side with repartition(Repartitioned.withNumberOfPartitions(n)) before the join.`,
      );
    }
  }
}

/**
 * Compares the plan with the internal topics that already exist (full name → partition count):
 * returns the ones to create, and throws `InternalTopicMismatchError` for one with the wrong count.
 */
export function internalTopicsToCreate(plan: TopicPlan, existing: ReadonlyMap<string, number>): InternalTopicPlan[] {
  const toCreate: InternalTopicPlan[] = [];
  const wrong: string[] = [];
  for (const topic of plan.internalTopics.values()) {
    const actual = existing.get(topic.name);
    if (actual === undefined) toCreate.push(topic);
    else if (actual !== topic.partitions) wrong.push(`${topic.name} has ${actual} partitions but needs ${topic.partitions}`);
  }
  if (wrong.length > 0) {
    throw new InternalTopicMismatchError(
      `Internal topics exist with the wrong number of partitions: ${wrong.join('; ')}. The input topics' partition counts changed since they were created: delete these internal topics (their state is rebuilt from the inputs) and start again.`,
    );
  }
  return toCreate;
}
