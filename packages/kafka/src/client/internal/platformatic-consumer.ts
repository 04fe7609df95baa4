/**
 * The consumer of the @platformatic/kafka adapter. platformatic's consumer keeps the group
 * membership (join, sync, heartbeats, rejoin on a rebalance); its message stream hands out
 * single messages with no high watermark and pauses only as a whole, so this adapter runs its
 * own fetch loop on Fetch requests of its own (one per partition leader, read_committed; see
 * `fetchFrom` for why not the consumer's `fetch`): per-partition positions that `seek` sets and
 * `pause` holds, batches with the partition's last stable offset, aborted transactions filtered
 * as Kafka's consumer does. Offsets are committed with an OffsetCommit request of the current
 * generation (see `platformatic-requests.ts`).
 */
import { Consumer, FetchIsolationLevels, ListOffsetTimestamps, type ClusterMetadata, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import { KafkaClientError } from '../client-error.js';
import type { ConsumerConfig, FetchedBatch, GroupMembershipListener, OffsetCommit, StreamsConsumer, TopicPartitions } from '../kafka-client.js';
import { platformaticGroupOptions } from './platformatic-assignor.js';
import { RevocationHold } from './revocation-hold.js';
import { fromPlatformatic, hasKafkaError, platformaticCall } from './platformatic-errors.js';
import type { FetchSizes } from './platformatic-fetch-sizes.js';
import type { PlatformaticBaseOptions } from './platformatic-producer.js';
import { committedBatches, fetchedRecords, nextOffsetAfter } from './platformatic-records.js';
import { brokerOf, request, requestAtVersion } from './platformatic-requests.js';

const IDLE_MS = 20;
const MAX_BACKOFF_MS = 1000;
const DEFAULT_MAX_WAIT_MS = 500;
/** A fetch answers once it has a byte, or after the longest wait. */
const FETCH_MIN_BYTES = 1;
/** Session id 0 at the final epoch: a fetch outside any fetch session (KIP-227), naming all its partitions. */
const SESSIONLESS_ID = 0;
const SESSIONLESS_EPOCH = -1;
/** Fetch versions up to 12 name topics; later ones give their ids. */
const LAST_FETCH_VERSION_BY_NAME = 12;

/** What a fetch answers (the package exports no name for it). */
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/** What OffsetFetch answers, as far as this reads it. */
interface OffsetFetchResponse {
  readonly groups: readonly { readonly topics: readonly { readonly name: string; readonly partitions: readonly { readonly partitionIndex: number; readonly committedOffset: bigint }[] }[] }[];
}

type OnBatch = (batch: FetchedBatch, markConsumed: () => void) => Promise<void>;

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One partition's part of a fetch request: where it was asked from, under which assignment. */
interface Requested {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

export class PlatformaticConsumer implements StreamsConsumer {
  private readonly consumer: Consumer;
  /** How long a fetch waits for records at most. */
  private readonly maxWaitMs: number;
  private listener: GroupMembershipListener = {};
  private topics: string[] = [];
  /** The partitions of the current assignment, by key. */
  private readonly assigned = new Map<string, { readonly topic: string; readonly partition: number }>();
  /** The next offset to fetch, by key; absent until known (committed, or sought). */
  private readonly positions = new Map<string, bigint>();
  private readonly pausedPartitions = new Set<string>();
  private readonly pausedTopics = new Set<string>();
  /** Bumped at each revoke and assignment: a fetch begun under another epoch is dropped. */
  private epoch = 0;
  private memberId: string | undefined;
  /** Whether the current assignment was revoked already (a rejoin that platformatic did not announce is revoked at the join). */
  private revoked = true;
  private closed = false;
  private loop: Promise<void> | undefined;
  /** The last revoke's commit, which the next JoinGroup waits for (platformatic asks for the subscription's user data first). */
  private readonly hold: RevocationHold;

  constructor(
    options: PlatformaticBaseOptions,
    private readonly config: ConsumerConfig,
    private readonly sizes: FetchSizes,
  ) {
    this.maxWaitMs = config.maxWaitTimeMs ?? DEFAULT_MAX_WAIT_MS;
    this.hold = new RevocationHold(config);
    this.consumer = new Consumer({
      ...options,
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      ...(config.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeout: config.rebalanceTimeoutMs }),
      maxWaitTime: this.maxWaitMs,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
      autocreateTopics: false,
    });
  }

  async connect(): Promise<void> {
    await platformaticCall(() => this.consumer.metadata({ topics: [] }));
  }

  async subscribe(topics: readonly string[], listener: GroupMembershipListener): Promise<void> {
    this.listener = listener;
    this.topics = [...topics];
    this.consumer.topics.trackAll(...topics);
    this.consumer.on('consumer:group:rebalance', () => this.revoke());
    this.consumer.on('consumer:group:join', (payload) => this.assign(payload));
    this.consumer.on('error', (error: unknown) => {
      if (!this.closed) listener.onFailed?.(fromPlatformatic(error));
    });
  }

  async run(onBatch: OnBatch, options: { readonly manualPositions?: boolean } = {}): Promise<void> {
    const { assignor } = this.config;
    const group = assignor === undefined ? {} : platformaticGroupOptions(this.consumer, assignor, () => this.hold.beforeJoin());
    await platformaticCall(() => this.consumer.joinGroup(group));
    this.loop = this.fetchLoop(onBatch, options.manualPositions === true).catch((error: unknown) => {
      if (!this.closed) this.listener.onFailed?.(fromPlatformatic(error));
    });
  }

  pause(partitions: readonly TopicPartitions[]): void {
    for (const { topic, partitions: numbers } of partitions) {
      if (numbers === undefined) this.pausedTopics.add(topic);
      else for (const partition of numbers) this.pausedPartitions.add(keyOf(topic, partition));
    }
  }

  resume(partitions: readonly TopicPartitions[]): void {
    for (const { topic, partitions: numbers } of partitions) {
      if (numbers === undefined) {
        this.pausedTopics.delete(topic);
        for (const key of this.pausedPartitions) if (key.startsWith(`${topic}\u0000`)) this.pausedPartitions.delete(key);
      } else for (const partition of numbers) this.pausedPartitions.delete(keyOf(topic, partition));
    }
  }

  seek(topic: string, partition: number, offset: number): void {
    this.positions.set(keyOf(topic, partition), BigInt(offset));
  }

  /** OffsetCommit of the current generation, with each offset's metadata; refused (`rebalance-in-progress`) once the group moved on. */
  async commitOffsets(offsets: readonly OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const { memberId, generationId, coordinatorId } = this.consumer;
    if (memberId === null || coordinatorId === null) throw new KafkaClientError('rebalance-in-progress', `The consumer of group ${this.config.groupId} is not a member of a generation now; the offsets belong to the last one.`, true);
    const topics = new Map<string, { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[] }>();
    for (const { topic, partition, offset, metadata } of offsets) {
      let entry = topics.get(topic);
      if (entry === undefined) topics.set(topic, (entry = { name: topic, partitions: [] }));
      entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: metadata ?? null });
    }
    await platformaticCall(async () => {
      const broker = await brokerOf(this.consumer, coordinatorId);
      await request(this.consumer, broker, 'OffsetCommit', this.config.groupId, generationId, memberId, null, [...topics.values()]);
    });
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.loop;
    await platformaticCall(() => this.consumer.close());
  }

  private revoke(): void {
    if (this.revoked) return;
    this.revoked = true;
    this.epoch++;
    this.assigned.clear();
    this.hold.revoked(this.listener.onRevoked?.());
  }

  private assign(payload: ConsumerGroupJoinPayload): void {
    if (!this.revoked && this.memberId !== undefined) this.revoke();
    const previous = this.memberId;
    this.memberId = payload.memberId;
    this.revoked = false;
    this.epoch++;
    this.assigned.clear();
    // Eager rebalancing: every partition starts again from its committed offset, unless the listener seeks.
    this.positions.clear();
    const partitions: Record<string, number[]> = {};
    for (const { topic, partitions: numbers } of payload.assignments ?? []) {
      partitions[topic] = [...numbers];
      for (const partition of numbers) this.assigned.set(keyOf(topic, partition), { topic, partition });
    }
    if (previous !== undefined && previous !== payload.memberId) this.listener.onLost?.(previous, payload.memberId);
    this.listener.onAssigned?.({ memberId: payload.memberId, generationId: payload.generationId ?? -1, partitions });
  }

  /**
   * Positions for the assigned partitions that have none: the committed offset, or the log
   * start. The committed offsets are read stable (OffsetFetch with `requireStable`, as Kafka's
   * read_committed consumer does): while a transaction that commits offsets of the group is
   * completing, the coordinator answers UNSTABLE_OFFSET_COMMIT and the fetch loop asks again,
   * so a task taken over never starts before offsets its last owner committed.
   */
  private async loadPositions(): Promise<void> {
    const epoch = this.epoch;
    const missing = [...this.assigned].filter(([key]) => !this.positions.has(key)).map(([, value]) => value);
    const { coordinatorId, memberId } = this.consumer;
    if (missing.length === 0 || coordinatorId === null) return;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of missing) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const broker = await brokerOf(this.consumer, coordinatorId);
    const group = { groupId: this.config.groupId, memberId, memberEpoch: -1, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) };
    const response = await request<OffsetFetchResponse>(this.consumer, broker, 'OffsetFetch', [group], true);
    const committed = new Map<string, bigint>();
    for (const topic of response.groups[0]?.topics ?? []) for (const entry of topic.partitions) committed.set(keyOf(topic.name, entry.partitionIndex), entry.committedOffset);
    const earliest = await this.consumer.listOffsets({ topics: [...byTopic.keys()], partitions: Object.fromEntries(byTopic), timestamp: ListOffsetTimestamps.EARLIEST });
    if (epoch !== this.epoch) return;
    for (const { topic, partition } of missing) {
      const key = keyOf(topic, partition);
      if (this.positions.has(key)) continue;
      const offset = committed.get(key);
      this.positions.set(key, offset !== undefined && offset >= 0n ? offset : (earliest.get(topic)?.[partition] ?? 0n));
    }
  }

  private fetchable(): Requested[] {
    const result: Requested[] = [];
    for (const [key, { topic, partition }] of this.assigned) {
      if (this.pausedTopics.has(topic) || this.pausedPartitions.has(key)) continue;
      const offset = this.positions.get(key);
      if (offset !== undefined) result.push({ topic, partition, offset });
    }
    return result;
  }

  private async fetchLoop(onBatch: OnBatch, manual: boolean): Promise<void> {
    let backoffMs = 0;
    while (!this.closed) {
      if (backoffMs > 0) await sleep(backoffMs);
      try {
        await this.loadPositions();
        const wanted = this.fetchable();
        if (wanted.length === 0) {
          await sleep(IDLE_MS);
          continue;
        }
        const epoch = this.epoch;
        const metadata = await this.consumer.metadata({ topics: this.topics, forceUpdate: backoffMs > 0 });
        const byLeader = new Map<number, Requested[]>();
        for (const entry of wanted) {
          const leader = metadata.topics.get(entry.topic)?.partitions[entry.partition]?.leader ?? -1;
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), entry]);
        }
        const responses = await Promise.all([...byLeader].map(async ([node, requested]) => ({ requested, response: await this.fetchFrom(metadata, node, requested) })));
        backoffMs = 0;
        for (const { requested, response } of responses) {
          if (response !== undefined) await this.deliver(epoch, metadata, requested, response, onBatch, manual);
        }
      } catch (error) {
        if (this.closed) return;
        if (!(fromPlatformatic(error) as KafkaClientError).retriable && !hasKafkaError(error, 'NOT_LEADER_OR_FOLLOWER')) throw error;
        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(50, backoffMs * 2));
      }
    }
  }

  /**
   * One read_committed fetch from `node`; a partition out of range starts again at its log start,
   * as Kafka Streams resets.
   *
   * The request is sent on the consumer's connection, not through its `fetch`. That one filters
   * aborted records itself, and wrongly: it keeps one aborted range per producer, from the last
   * aborted transaction the broker lists for it to its last abort marker in the response. An abort
   * marker the broker lists no transaction for (a transaction with no records in the partition,
   * which a kill between adding the partition and producing to it leaves) then takes the committed
   * transactions before it along with it (@platformatic/kafka 2.12.1). Here `committedBatches`
   * alone applies Kafka's rule. There is no fetch session: each request names all its partitions.
   */
  private async fetchFrom(metadata: ClusterMetadata, node: number, requested: readonly Requested[]): Promise<FetchResponse | undefined> {
    const broker = metadata.brokers.get(node);
    if (broker === undefined) throw new KafkaClientError('unavailable', `No known broker leads ${requested.map(({ topic, partition }) => `${topic}-${partition}`).join(', ')}.`, true);
    const byTopic = new Map<string, { topicId: string; partitions: { partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number }[] }>();
    for (const { topic, partition, offset } of requested) {
      const topicId = metadata.topics.get(topic)?.id;
      if (topicId === undefined) continue;
      let entry = byTopic.get(topic);
      if (entry === undefined) byTopic.set(topic, (entry = { topicId, partitions: [] }));
      entry.partitions.push({ partition, fetchOffset: offset, partitionMaxBytes: this.sizes.partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
    }
    try {
      let byName = false;
      const response = await requestAtVersion<FetchResponse>(this.consumer, broker, 'Fetch', (version) => {
        byName = version <= LAST_FETCH_VERSION_BY_NAME;
        const topics = [...byTopic].map(([name, entry]) => (byName ? { ...entry, topicId: name } : entry));
        return [this.maxWaitMs, FETCH_MIN_BYTES, this.sizes.maxBytes, FetchIsolationLevels.READ_COMMITTED, SESSIONLESS_ID, SESSIONLESS_EPOCH, topics, [], ''];
      });
      if (byName) for (const topicResponse of response.responses) topicResponse.topicId = metadata.topics.get(topicResponse.topicId)?.id ?? topicResponse.topicId;
      return response;
    } catch (error) {
      if (!hasKafkaError(error, 'OFFSET_OUT_OF_RANGE')) throw error;
      const earliest = await this.consumer.listOffsets({ topics: [...byTopic.keys()], timestamp: ListOffsetTimestamps.EARLIEST });
      for (const { topic, partition, offset } of requested) {
        const key = keyOf(topic, partition);
        const start = earliest.get(topic)?.[partition];
        if (start !== undefined && offset < start && this.positions.get(key) === offset) this.positions.set(key, start);
      }
      return undefined;
    }
  }

  private async deliver(epoch: number, metadata: ClusterMetadata, requested: readonly Requested[], response: FetchResponse, onBatch: OnBatch, manual: boolean): Promise<void> {
    const topicsById = new Map<string, string>();
    for (const [name, topic] of metadata.topics) topicsById.set(topic.id, name);
    const asked = new Map(requested.map((entry) => [keyOf(entry.topic, entry.partition), entry.offset]));
    for (const topicResponse of response.responses) {
      const topic = topicsById.get(topicResponse.topicId);
      if (topic === undefined) continue;
      for (const partitionResponse of topicResponse.partitions) {
        const partition = partitionResponse.partitionIndex;
        const key = keyOf(topic, partition);
        const from = asked.get(key);
        const raw = partitionResponse.records ?? [];
        const next = nextOffsetAfter(raw);
        // Stale: a rebalance, a seek or a pause since the request, or a partition the request did not ask for.
        if (from === undefined || next === undefined || next <= from || epoch !== this.epoch || this.closed) continue;
        if (this.positions.get(key) !== from || this.pausedTopics.has(topic) || this.pausedPartitions.has(key)) continue;
        const batches = committedBatches(raw, partitionResponse.abortedTransactions);
        const stable = partitionResponse.lastStableOffset >= 0n ? partitionResponse.lastStableOffset : partitionResponse.highWatermark;
        const batch: FetchedBatch = { topic, partition, records: fetchedRecords(batches, from), lastOffset: Number(next - 1n), highWatermark: Number(stable) };
        const advance = (): void => {
          if (epoch === this.epoch && this.positions.get(key) === from) this.positions.set(key, next);
        };
        await onBatch(batch, manual ? advance : () => {});
        if (!manual) advance();
      }
    }
  }
}
