/**
 * An in-memory Kafka behind the client seam, for unit tests of the runtime's parts (test
 * support: no entry point of the package exports it). It keeps a log per topic-partition with
 * its high watermark, consumer groups whose membership the test drives (every member is told of
 * a rebalance: revoked, then assigned, as Kafka's eager protocol does), committed offsets with
 * metadata, idempotent sends, and transactions: records sent in one are hidden from consumers
 * (read_committed) until it commits, dropped when it aborts, and a transactional id initialized
 * again fences the producer that held it. Transactional offsets sent with a group generation
 * (exactly-once v2, KIP-447) are refused, as the group coordinator refuses them, when the
 * generation or the member is not the group's current one. Faults are injected one request at a
 * time with {@link FakeKafkaCluster.failNext}.
 */
import { KafkaClientError } from '../client-error.js';
import type { KafkaClientSupplier, OffsetCommit, OutgoingKafkaRecord, RecordHeaders, SendAcknowledgement } from '../kafka-client.js';
import { FakeAdmin, FakeConsumer, FakeProducer, FakeTransactionalProducer } from './fake-clients.js';

/** A record in a fake log. */
export interface FakeLogRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: RecordHeaders | undefined;
  /** `'open'` while its transaction is: consumers stop before it. */
  state: 'committed' | 'open' | 'aborted';
}

/** The requests {@link FakeKafkaCluster.failNext} can make fail. */
export type FakeOperation = 'send' | 'commitOffsets' | 'beginTransaction' | 'sendOffsetsToTransaction' | 'commitTransaction' | 'listOffsets' | 'fetchCommittedOffsets' | 'describeGroup';

interface FakeGroup {
  generation: number;
  readonly members: FakeConsumer[];
  readonly committed: Map<string, { offset: number; metadata: string | null }>;
  /** The member id each member's last assignment carried user data for. */
  readonly assignmentData: Map<string, Buffer>;
}

/** How long a fake rebalance takes between the revoke and the assignment. */
const JOIN_ROUND_TRIP_MS = 10;

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export class FakeKafkaCluster {
  private readonly topics = new Map<string, number>();
  private readonly logs = new Map<string, FakeLogRecord[]>();
  private readonly groups = new Map<string, FakeGroup>();
  /** The current epoch of each transactional id. */
  private readonly epochs = new Map<string, number>();
  private readonly failures = new Map<FakeOperation, Error[]>();
  private nextMember = 1;
  /** Members whose session expired, until the next rebalance. */
  private readonly expired = new Set<FakeConsumer>();
  /** Every request made, by operation, for assertions. */
  readonly requests: { operation: string; detail: string }[] = [];
  /**
   * The most log offsets one fetch of a partition covers (markers and aborted records count),
   * as a real fetch is bounded by bytes; `undefined` fetches up to the last stable offset.
   */
  fetchMaxOffsets: number | undefined;

  /** Creates a topic (idempotent for the same count). */
  createTopic(name: string, partitions: number): void {
    const known = this.topics.get(name);
    if (known !== undefined && known !== partitions) throw new Error(`Topic ${name} exists with ${known} partitions`);
    this.topics.set(name, partitions);
    for (let partition = 0; partition < partitions; partition++) if (!this.logs.has(partitionKey(name, partition))) this.logs.set(partitionKey(name, partition), []);
  }

  /** Appends committed records to a partition, as another application's producer would. */
  produce(topic: string, partition: number, records: readonly { key: string | null; value: string | null; timestamp?: number }[]): void {
    const log = this.log(topic, partition);
    for (const { key, value, timestamp } of records) {
      log.push({ offset: log.length, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: timestamp ?? 0, headers: undefined, state: 'committed' });
    }
  }

  /** What a read_committed consumer sees of a partition. */
  committedRecords(topic: string, partition: number): FakeLogRecord[] {
    return this.visible(topic, partition);
  }

  /** The whole log of a partition, open and aborted records included. */
  logOf(topic: string, partition: number): readonly FakeLogRecord[] {
    return this.log(topic, partition);
  }

  /** The group's committed offset and metadata for a partition, if any. */
  committedOffset(groupId: string, topic: string, partition: number): { offset: number; metadata: string | null } | undefined {
    return this.groups.get(groupId)?.committed.get(partitionKey(topic, partition));
  }

  /** Makes the next request of `operation` fail with `error` (one failure per call; they queue). */
  failNext(operation: FakeOperation, error: Error): void {
    const queue = this.failures.get(operation) ?? [];
    queue.push(error);
    this.failures.set(operation, queue);
  }

  /**
   * Initializes `transactionalId` again, as another instance taking the task over does: the
   * producer holding it is fenced, and its open transaction aborted.
   */
  fenceTransactionalId(transactionalId: string): void {
    this.initTransactionalId(transactionalId);
  }

  /**
   * Rebalances `groupId`: every member is told its partitions may be revoked, and some
   * milliseconds later (the join round trip, during which the old generation's commits are
   * still accepted) gets its new assignment; resolves once assigned. `assign` decides it (member ids to topic partitions); by default the members'
   * assignor, or without one every partition of the subscribed topics to the first member.
   */
  async rebalance(groupId: string, assign?: (memberIds: readonly string[]) => Map<string, Record<string, number[]>>): Promise<void> {
    const group = this.groups.get(groupId);
    if (group === undefined) throw new Error(`No group ${groupId}`);
    for (const member of group.members) void member.listener.onRevoked?.();
    await new Promise((resolve) => setTimeout(resolve, JOIN_ROUND_TRIP_MS));
    group.generation++;
    // A member whose session expired rejoins under a new id, and is told so before its assignment.
    for (const member of group.members) {
      if (!this.expired.delete(member)) continue;
      const previous = member.memberId;
      member.memberId = this.newMemberId(groupId);
      member.listener.onLost?.(previous, member.memberId);
    }
    const assignments = assign?.(group.members.map((member) => member.memberId)) ?? this.assignByAssignor(group);
    for (const member of group.members) {
      member.generation = group.generation;
      member.assignment = assignments.get(member.memberId) ?? {};
      member.listener.onAssigned?.({ memberId: member.memberId, generationId: group.generation, partitions: member.assignment });
    }
  }

  /**
   * Expires the session of `groupId`'s member `memberId` (a long pause, a partition): it rejoins
   * under a new member id, is told it lost its membership, and the group rebalances.
   */
  async expireSession(groupId: string, memberId: string): Promise<void> {
    const member = this.groups.get(groupId)?.members.find((candidate) => candidate.memberId === memberId);
    if (member === undefined) throw new Error(`No member ${memberId} in group ${groupId}`);
    this.expired.add(member);
    await this.rebalance(groupId);
  }

  /**
   * The group moves on to a new generation without `memberId`, and nobody is told: what a
   * coordinator does to a member that stopped heartbeating (a frozen process, a zombie) while
   * the others rebalance. The member still thinks it holds its partitions; its group-fenced
   * commits are refused from now on.
   */
  expelSilently(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    const index = group?.members.findIndex((member) => member.memberId === memberId) ?? -1;
    if (group === undefined || index < 0) throw new Error(`No member ${memberId} in group ${groupId}`);
    group.members.splice(index, 1);
    group.generation++;
  }

  /** The member ids of a group. */
  memberIds(groupId: string): string[] {
    return this.groups.get(groupId)?.members.map((member) => member.memberId) ?? [];
  }

  /** A supplier of clients on this cluster. */
  supplier(): KafkaClientSupplier {
    return {
      name: 'fake',
      groupFencedOffsetCommits: true,
      consumer: (config) => new FakeConsumer(this, config),
      producer: () => new FakeProducer(this),
      transactionalProducer: (config) => new FakeTransactionalProducer(this, config),
      admin: () => new FakeAdmin(this),
      shutdown: () => {},
    };
  }

  // What the fake clients use.

  /** @internal Throws the failure queued for `operation`, if any, and records the request. */
  request(operation: string, detail: string): void {
    this.requests.push({ operation, detail });
    const error = this.failures.get(operation as FakeOperation)?.shift();
    if (error !== undefined) throw error;
  }

  /** @internal */
  partitionCount(topic: string): number {
    return this.topics.get(topic) ?? 0;
  }

  /** @internal */
  log(topic: string, partition: number): FakeLogRecord[] {
    const log = this.logs.get(partitionKey(topic, partition));
    if (log === undefined) throw new KafkaClientError('unknown-topic', `This server does not host this topic-partition (${topic}-${partition})`, true);
    return log;
  }

  /** @internal Records up to the first open transaction's, without aborted ones. */
  visible(topic: string, partition: number, from = 0): FakeLogRecord[] {
    const result: FakeLogRecord[] = [];
    for (const record of this.log(topic, partition)) {
      if (record.state === 'open') break;
      if (record.state === 'committed' && record.offset >= from) result.push(record);
    }
    return result;
  }

  /** @internal The last stable offset: the first open record's, or the log end. */
  stableEnd(topic: string, partition: number): number {
    const log = this.log(topic, partition);
    const open = log.find((record) => record.state === 'open');
    return open === undefined ? log.length : open.offset;
  }

  /** @internal */
  append(topic: string, records: readonly OutgoingKafkaRecord[], state: FakeLogRecord['state']): { acknowledgement: SendAcknowledgement; appended: FakeLogRecord[] } {
    const partition = records[0]?.partition ?? 0;
    if (records.some((record) => (record.partition ?? 0) !== partition)) throw new Error('A send carried records of several partitions');
    const log = this.log(topic, partition);
    const baseOffset = log.length;
    const appended: FakeLogRecord[] = [];
    for (const record of records) {
      const entry: FakeLogRecord = { offset: log.length, key: record.key, value: record.value, timestamp: record.timestamp === undefined ? Date.now() : Number(record.timestamp), headers: record.headers, state };
      log.push(entry);
      appended.push(entry);
    }
    return { acknowledgement: { topic, partition, baseOffset }, appended };
  }

  /** @internal */
  group(groupId: string): FakeGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) this.groups.set(groupId, (group = { generation: 0, members: [], committed: new Map(), assignmentData: new Map() }));
    return group;
  }

  /** @internal */
  newMemberId(groupId: string): string {
    return `${groupId}-member-${this.nextMember++}`;
  }

  /** @internal Bumps the epoch of `transactionalId`, fencing its holder and aborting its open transaction. */
  initTransactionalId(transactionalId: string): number {
    const epoch = (this.epochs.get(transactionalId) ?? 0) + 1;
    this.epochs.set(transactionalId, epoch);
    this.openTransactions.get(transactionalId)?.abort();
    this.openTransactions.delete(transactionalId);
    return epoch;
  }

  /** @internal */
  epochOf(transactionalId: string): number {
    return this.epochs.get(transactionalId) ?? 0;
  }

  /** @internal The open transaction of each transactional id, for aborts by fencing. */
  readonly openTransactions = new Map<string, { abort(): void }>();

  /**
   * @internal Checks a transactional offset commit's group metadata as the group coordinator does
   * (TxnOffsetCommit v3): without a generation (v1) nothing is checked; otherwise the member must
   * be in the group, in its current generation.
   */
  checkTransactionalCommit(group: { readonly groupId: string; readonly generationId?: number; readonly memberId?: string }): void {
    if (group.generationId === undefined && group.memberId === undefined) return;
    const current = this.group(group.groupId);
    if (group.memberId !== undefined && !current.members.some((member) => member.memberId === group.memberId)) {
      throw new KafkaClientError('group-fenced', `The coordinator is not aware of this member (UNKNOWN_MEMBER_ID): ${group.memberId} is not in group ${group.groupId}`, false);
    }
    if (group.generationId !== undefined && group.generationId !== current.generation) {
      throw new KafkaClientError('group-fenced', `Specified group generation id is not valid (ILLEGAL_GENERATION): group ${group.groupId} is at generation ${current.generation}, the commit's is ${group.generationId}`, false);
    }
  }

  /** @internal Commits offsets for a group: refused when the member's generation is not the group's. */
  commitGroupOffsets(groupId: string, offsets: readonly OffsetCommit[], generation: number | undefined): void {
    const group = this.group(groupId);
    if (generation !== undefined && generation !== group.generation) {
      throw new KafkaClientError('rebalance-in-progress', `The group ${groupId} has rebalanced (generation ${group.generation}, the commit's ${generation})`, true);
    }
    for (const { topic, partition, offset, metadata } of offsets) group.committed.set(partitionKey(topic, partition), { offset, metadata: metadata ?? null });
  }

  private assignByAssignor(group: FakeGroup): Map<string, Record<string, number[]>> {
    const result = new Map<string, Record<string, number[]>>();
    const assignor = group.members[0]?.config.assignor;
    if (assignor !== undefined) {
      const members = group.members.map((member) => ({ memberId: member.memberId, userData: member.config.assignor?.subscriptionUserData() }));
      for (const assignment of assignor.assign(members, (topic) => this.partitionCount(topic))) {
        const partitions: Record<string, number[]> = {};
        for (const [topic, numbers] of Object.entries(assignment.partitions)) partitions[topic] = [...numbers];
        result.set(assignment.memberId, partitions);
        group.assignmentData.set(assignment.memberId, assignment.userData);
      }
      return result;
    }
    const first = group.members[0];
    if (first === undefined) return result;
    const partitions: Record<string, number[]> = {};
    for (const topic of first.topics) partitions[topic] = Array.from({ length: this.partitionCount(topic) }, (_, partition) => partition);
    result.set(first.memberId, partitions);
    return result;
  }
}
