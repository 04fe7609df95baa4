/**
 * What this instance knows of where the application's stores live, rebuilt after each rebalance
 * from the group's members (their `applicationServer` from the subscription, their active and
 * standby tasks from the assignment), as Kafka Streams' `StreamsMetadataState`. Pure: the stream
 * thread reads the group, this turns it into {@link StreamsMetadata} and {@link KeyQueryMetadata}.
 */
import type { InternalTopologyBuilder } from '@tributary/streams/engine';
import { UnknownStoreError } from '../errors.js';
import { parseHostInfo, type HostInfo, type KeyQueryMetadata, type StreamsMetadata, type TopicPartition } from '../streams-metadata.js';
import type { TaskKey } from './task-assignor.js';

/** One group member as the metadata needs it. */
export interface MemberTasksInfo {
  /** `host:port`; members without one take part in no metadata, as in Kafka Streams. */
  readonly applicationServer: string | undefined;
  readonly active: readonly TaskKey[];
  readonly standby: readonly TaskKey[];
}

/** A snapshot of the group, as a stream thread reports it after a rebalance (cloneable, for worker threads). */
export interface GroupSnapshot {
  readonly members: readonly MemberTasksInfo[];
  /** Partition counts of the source topics (full names). */
  readonly partitionCounts: readonly (readonly [string, number])[];
}

/** Where a store's partitions come from: its sub-topology and that sub-topology's source topics (full names). */
export interface StoreSource {
  readonly subtopology: number;
  readonly sourceTopics: readonly string[];
}

/** The stores of a topology and their sources. */
export interface StoreSources {
  readonly stores: ReadonlyMap<string, StoreSource>;
  /** Every sub-topology's source topics (full names), stateless ones included. */
  readonly subtopologies: ReadonlyMap<number, readonly string[]>;
  readonly globalStores: ReadonlySet<string>;
}

/** Reads the stores' sources from a topology. */
export function storeSourcesOf(builder: InternalTopologyBuilder, applicationId: string): StoreSources {
  const stores = new Map<string, StoreSource>();
  const subtopologies = new Map<number, readonly string[]>();
  for (const subtopology of builder.subtopologies()) {
    const sourceTopics = subtopology.sourceTopics.map((topic) => builder.resolveTopic(applicationId, topic));
    subtopologies.set(subtopology.id, sourceTopics);
    for (const store of subtopology.stores) stores.set(store, { subtopology: subtopology.id, sourceTopics });
  }
  const globalStores = new Set<string>();
  for (const spec of builder.globalStores.values()) globalStores.add(spec.builder.name);
  return { stores, subtopologies, globalStores };
}

interface HostTasks {
  readonly active: Set<TaskKey>;
  readonly standby: Set<TaskKey>;
}

const byTopicThenPartition = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

/** The metadata of the group's instances; `undefined` parts until the first snapshot. */
export class StreamsMetadataState {
  private hosts: Map<string, HostTasks> | undefined;
  private partitionCounts = new Map<string, number>();
  private all: StreamsMetadata[] = [];

  constructor(
    private readonly sources: StoreSources,
    /** This instance's `applicationServer`, when set. */
    private readonly thisHost: string | undefined,
  ) {}

  /** Whether a snapshot has arrived since start (or since {@link clear}). */
  get initialized(): boolean {
    return this.hosts !== undefined;
  }

  /** Takes a new snapshot of the group. */
  update(snapshot: GroupSnapshot): void {
    const hosts = new Map<string, HostTasks>();
    for (const member of snapshot.members) {
      if (member.applicationServer === undefined) continue;
      let tasks = hosts.get(member.applicationServer);
      if (tasks === undefined) hosts.set(member.applicationServer, (tasks = { active: new Set(), standby: new Set() }));
      for (const task of member.active) tasks.active.add(task);
      for (const task of member.standby) tasks.standby.add(task);
    }
    this.hosts = hosts;
    this.partitionCounts = new Map(snapshot.partitionCounts);
    this.all = [...hosts]
      .map(([address, tasks]) => this.metadataOf(address, tasks))
      .sort((a, b) => (a.hostInfo.host < b.hostInfo.host ? -1 : a.hostInfo.host > b.hostInfo.host ? 1 : a.hostInfo.port - b.hostInfo.port));
  }

  /** Forgets the group (the application closed). */
  clear(): void {
    this.hosts = undefined;
    this.all = [];
  }

  /** Every instance with an `applicationServer`, sorted by host and port. */
  allMetadata(): StreamsMetadata[] {
    return [...this.all];
  }

  /** The instances holding `storeName`, active or standby (every instance, for a global store). */
  metadataForStore(storeName: string): StreamsMetadata[] {
    this.checkStore(storeName);
    if (this.sources.globalStores.has(storeName)) return this.allMetadata();
    return this.all.filter((metadata) => metadata.stateStoreNames.includes(storeName) || metadata.standbyStateStoreNames.includes(storeName));
  }

  /** The number of partitions of the store's source topics (the most any has); `undefined` before the first snapshot. */
  partitionsOf(storeName: string): number | undefined {
    const source = this.checkStore(storeName);
    if (source === undefined || this.hosts === undefined) return undefined;
    let most = 0;
    for (const topic of source.sourceTopics) most = Math.max(most, this.partitionCounts.get(topic) ?? 0);
    return most > 0 ? most : undefined;
  }

  /** The first (most partitioned) source topic of a store, for a partitioner. */
  topicOf(storeName: string): string {
    const source = this.checkStore(storeName);
    if (source === undefined) return '';
    let best = source.sourceTopics[0] ?? '';
    for (const topic of source.sourceTopics) if ((this.partitionCounts.get(topic) ?? 0) > (this.partitionCounts.get(best) ?? 0)) best = topic;
    return best;
  }

  /** Where the key at `partition` of `storeName` lives (`partition` from {@link partitionsOf} and the key). */
  keyQueryMetadata(storeName: string, partition: number): KeyQueryMetadata {
    const source = this.checkStore(storeName);
    if (source === undefined) {
      // Every instance holds a global store: this one, or (without an applicationServer) the first.
      const activeHost = this.thisHost !== undefined ? parseHostInfo(this.thisHost) : this.all[0]?.hostInfo;
      return { activeHost, standbyHosts: [], partition: -1 };
    }
    if (this.hosts === undefined) return { activeHost: undefined, standbyHosts: [], partition: -1 };
    const task = `${source.subtopology}_${partition}`;
    let activeHost: HostInfo | undefined;
    const standbyHosts: HostInfo[] = [];
    for (const [address, tasks] of [...this.hosts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (tasks.active.has(task)) activeHost = parseHostInfo(address);
      if (tasks.standby.has(task)) standbyHosts.push(parseHostInfo(address));
    }
    return { activeHost, standbyHosts, partition };
  }

  /**
   * The partitions of a store no instance (with an `applicationServer`) holds active: none once
   * the group is settled, some mid-rebalance. `undefined` before the first snapshot; `[]` for a
   * global store.
   */
  unhostedPartitions(storeName: string): number[] | undefined {
    const source = this.checkStore(storeName);
    if (source === undefined) return [];
    const count = this.partitionsOf(storeName);
    if (count === undefined || this.hosts === undefined) return undefined;
    const missing: number[] = [];
    for (let partition = 0; partition < count; partition++) {
      const task = `${source.subtopology}_${partition}`;
      let hosted = false;
      for (const tasks of this.hosts.values()) if (tasks.active.has(task)) hosted = true;
      if (!hosted) missing.push(partition);
    }
    return missing;
  }

  /** The store's source; `undefined` for a global store; throws {@link UnknownStoreError} for no store of the topology. */
  checkStore(storeName: string): StoreSource | undefined {
    const source = this.sources.stores.get(storeName);
    if (source !== undefined) return source;
    if (this.sources.globalStores.has(storeName)) return undefined;
    throw new UnknownStoreError(storeName);
  }

  private metadataOf(address: string, tasks: HostTasks): StreamsMetadata {
    const active = this.describe(tasks.active);
    const standby = this.describe(tasks.standby);
    for (const store of this.sources.globalStores) active.stores.add(store);
    return {
      hostInfo: parseHostInfo(address),
      stateStoreNames: [...active.stores].sort(),
      topicPartitions: active.partitions.sort(byTopicThenPartition),
      standbyStateStoreNames: [...standby.stores].sort(),
      standbyTopicPartitions: standby.partitions.sort(byTopicThenPartition),
    };
  }

  /** The stores and source topic partitions of a set of tasks. */
  private describe(tasks: ReadonlySet<TaskKey>): { stores: Set<string>; partitions: TopicPartition[] } {
    const stores = new Set<string>();
    const partitions: TopicPartition[] = [];
    for (const [store, source] of this.sources.stores) {
      for (const task of tasks) if (task.startsWith(`${source.subtopology}_`)) stores.add(store);
    }
    for (const task of tasks) {
      const separator = task.indexOf('_');
      const subtopology = Number(task.slice(0, separator));
      const partition = Number(task.slice(separator + 1));
      for (const topic of this.sources.subtopologies.get(subtopology) ?? []) {
        if (partition < (this.partitionCounts.get(topic) ?? Infinity)) partitions.push({ topic, partition });
      }
    }
    return { stores, partitions };
  }
}
