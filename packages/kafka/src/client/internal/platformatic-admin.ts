/**
 * The admin side of the @platformatic/kafka adapter: connecting once the brokers answer, topics
 * (partition counts, creation with a wait for leaders), offsets, the group's committed offsets
 * and members, and record deletion, every failure a `KafkaClientError`.
 */
import { Admin, decodeConsumerProtocolAssignment, decodeConsumerProtocolSubscription, ListOffsetTimestamps, type ClusterMetadata } from '@platformatic/kafka';
import { ConfigError } from '@tributary/streams';
import { brokerFailure, unreachable, waitUnlessStopped } from '../../internal/connect.js';
import { IllegalStateError } from '../../errors.js';
import type { CommittedOffset, DescribedMember, NewTopic, PartitionOffsets, StreamsAdmin } from '../kafka-client.js';
import { fromPlatformatic, hasKafkaError, platformaticCall, requestUnanswered } from './platformatic-errors.js';
import type { PlatformaticBaseOptions } from './platformatic-producer.js';
import { brokerOf, request } from './platformatic-requests.js';

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4000;
/** How long new topics may take to get partition leaders. */
const LEADER_WAIT_MS = 30_000;
/** Kafka's config resource type for a broker. */
const BROKER_RESOURCE = 4;

interface DescribeGroupsResponse {
  readonly groups: readonly { readonly errorCode: number; readonly members: readonly { readonly memberId: string; readonly memberMetadata: Buffer; readonly memberAssignment: Buffer }[] }[];
}

/**
 * Whether `error` (or a cause of it) says the broker does not know one of `names` yet: the
 * broker's UNKNOWN_TOPIC_OR_PARTITION, which platformatic's metadata request turns into a
 * `UserError` "Unknown topic <name>." carrying no Kafka error id.
 */
function unknownTopicAmong(error: unknown, names: readonly string[]): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (hasKafkaError(current, 'UNKNOWN_TOPIC_OR_PARTITION')) return true;
    const message = current.message;
    if (names.some((name) => message === `Unknown topic ${name}.`)) return true;
    current = current.cause;
  }
  return false;
}

export class PlatformaticAdmin implements StreamsAdmin {
  private readonly admin: Admin;

  constructor(
    private readonly options: PlatformaticBaseOptions,
    private readonly brokers: readonly string[],
  ) {
    this.admin = new Admin(options);
  }

  /** The platformatic admin client itself, for the transactional producers' group coordinator lookups. */
  get client(): Admin {
    return this.admin;
  }

  /** Probes the brokers with a client that does not retry, in a loop that stops at the deadline or when the application closes. */
  async connect(options: { readonly timeoutMs: number; readonly stopped: () => boolean }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    let lastError: unknown;
    for (let backoffMs = FIRST_BACKOFF_MS; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
      if (options.stopped()) throw new IllegalStateError('The application stopped while connecting.');
      if (Date.now() >= deadline) throw unreachable({ ...options, brokers: this.brokers }, lastError, requestUnanswered(lastError));
      const probe = new Admin({ ...this.options, retries: 0, timeout: Math.max(1, Math.min(deadline - Date.now(), this.options.timeout ?? 30_000)) });
      try {
        await probe.metadata({ topics: [] });
        break;
      } catch (error) {
        lastError = error;
      } finally {
        await probe.close().catch(() => {});
      }
      await waitUnlessStopped(Math.min(backoffMs, deadline - Date.now()), options.stopped).done;
    }
    try {
      await platformaticCall(() => this.admin.metadata({ topics: [] }));
    } catch (error) {
      throw brokerFailure(error, this.brokers, 'while connecting');
    }
  }

  async disconnect(): Promise<void> {
    await this.admin.close();
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const existing = new Set(await platformaticCall(() => this.admin.listTopics()));
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length === 0) return counts;
    const metadata = await this.metadata(present, true);
    for (const topic of present) {
      const entry = metadata.topics.get(topic);
      if (entry !== undefined) counts.set(topic, entry.partitionsCount);
    }
    return counts;
  }

  /** One request per topic (platformatic takes one partition count per request); "already exists" is success. */
  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const topic of topics) {
      try {
        await this.admin.createTopics({
          topics: [topic.name],
          partitions: topic.partitions,
          replicas: topic.replicationFactor,
          configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
        });
      } catch (error) {
        if (hasKafkaError(error, 'TOPIC_ALREADY_EXISTS')) continue;
        if (hasKafkaError(error, 'INVALID_REPLICATION_FACTOR')) {
          throw new ConfigError(
            `The brokers refused to create the internal topic ${topic.name} with ${topic.replicationFactor === -1 ? 'their default.replication.factor' : `replication factor ${topic.replicationFactor}`}: the cluster has fewer live brokers than that. Set the option 'replicationFactor' to at most the number of brokers (-1 takes the brokers' default.replication.factor), or start more brokers.`,
            { cause: error },
          );
        }
        throw fromPlatformatic(error);
      }
    }
    await this.waitForLeaders(topics.map((topic) => topic.name));
  }

  async createTopicIfAutoCreated(topic: string): Promise<boolean> {
    const metadata = await this.metadata([], false);
    const [nodeId] = metadata.brokers.keys();
    if (nodeId === undefined) return false;
    const described = await platformaticCall(() => this.admin.describeConfigs({ resources: [{ resourceType: BROKER_RESOURCE as 4, resourceName: String(nodeId), configurationKeys: ['auto.create.topics.enable'] }] }));
    const enabled = described[0]?.configs.find((entry) => entry.name === 'auto.create.topics.enable')?.value;
    if (enabled !== 'true') return false;
    try {
      await this.admin.createTopics({ topics: [topic], partitions: -1, replicas: -1 });
    } catch (error) {
      if (!hasKafkaError(error, 'TOPIC_ALREADY_EXISTS')) throw fromPlatformatic(error);
    }
    await this.waitForLeaders([topic]);
    return true;
  }

  async listOffsets(topic: string): Promise<PartitionOffsets[]> {
    const metadata = await this.metadata([topic], false);
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = Array.from({ length: count }, (_, partitionIndex) => partitionIndex);
    const at = async (timestamp: bigint): Promise<Map<number, number>> => {
      const listed = await platformaticCall(() => this.admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] }));
      return new Map(listed.flatMap((entry) => entry.partitions.map((partition) => [partition.partitionIndex, Number(partition.offset)] as const)));
    };
    const low = await at(ListOffsetTimestamps.EARLIEST);
    const high = await at(ListOffsetTimestamps.LATEST);
    return partitions.map((partition) => ({ partition, low: low.get(partition) ?? 0, high: high.get(partition) ?? 0 }));
  }

  /** Stable offsets only: while a transaction that commits offsets of the group is completing, the brokers answer UNSTABLE_OFFSET_COMMIT and platformatic retries. */
  async fetchCommittedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    if (topics.length === 0) return [];
    const metadata = await this.metadata([...topics], false);
    const requested = topics.map((name) => ({ name, partitionIndexes: Array.from({ length: metadata.topics.get(name)?.partitionsCount ?? 0 }, (_, index) => index) }));
    const groups = await platformaticCall(() => this.admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: requested }], requireStable: true }));
    const result: CommittedOffset[] = [];
    for (const topic of groups[0]?.topics ?? []) {
      for (const entry of topic.partitions) result.push({ topic: topic.name, partition: entry.partitionIndex, offset: Number(entry.committedOffset), metadata: entry.metadata === '' || entry.metadata === undefined ? null : entry.metadata });
    }
    return result;
  }

  /** DescribeGroups sent directly: platformatic's `describeGroups` drops the assignments' user data. */
  async describeGroup(groupId: string): Promise<DescribedMember[]> {
    const [coordinator] = await platformaticCall(() => this.admin.findCoordinator({ keyType: 0, keys: [groupId] }));
    if (coordinator === undefined) return [];
    const broker = await platformaticCall(() => brokerOf(this.admin, coordinator.nodeId));
    const response = await platformaticCall(() => request<DescribeGroupsResponse>(this.admin, broker, 'DescribeGroups', [groupId], false));
    const members: DescribedMember[] = [];
    for (const member of response.groups[0]?.members ?? []) {
      let subscriptionUserData: Buffer | undefined;
      let assignmentUserData: Buffer | undefined;
      try {
        if (member.memberMetadata.length > 0) subscriptionUserData = decodeConsumerProtocolSubscription(member.memberMetadata).userData ?? undefined;
        if (member.memberAssignment.length > 0) assignmentUserData = decodeConsumerProtocolAssignment(member.memberAssignment).userData ?? undefined;
      } catch {
        // A member of another protocol (or mid-rebalance): it holds nothing we can read.
      }
      members.push({ memberId: member.memberId, subscriptionUserData, assignmentUserData });
    }
    return members;
  }

  async deleteRecords(topic: string, partitions: readonly { readonly partition: number; readonly offset: number }[]): Promise<void> {
    await platformaticCall(() => this.admin.deleteRecords({ topics: [{ name: topic, partitions: partitions.map((entry) => ({ partition: entry.partition, offset: BigInt(entry.offset) })) }] }));
  }

  private metadata(topics: string[], forceUpdate: boolean): Promise<ClusterMetadata> {
    return platformaticCall(() => this.admin.metadata({ topics, forceUpdate, autocreateTopics: false }));
  }

  /**
   * A KRaft broker can answer UNKNOWN_TOPIC_OR_PARTITION for a moment after a create, and a
   * leader named in the metadata can still refuse until it has taken the partition on: the wait
   * reads every partition's offsets before it returns.
   */
  private async waitForLeaders(names: readonly string[]): Promise<void> {
    const deadline = Date.now() + LEADER_WAIT_MS;
    for (;;) {
      try {
        const metadata = await this.admin.metadata({ topics: [...names], forceUpdate: true, autocreateTopics: false });
        const ready = names.every((name) => {
          const topic = metadata.topics.get(name);
          return topic !== undefined && topic.partitionsCount > 0 && topic.partitions.every((partition) => partition.leader >= 0);
        });
        if (ready) {
          for (const name of names) await this.listOffsets(name);
          return;
        }
      } catch (error) {
        const normalized = fromPlatformatic(error);
        const notKnownYet = unknownTopicAmong(error, names);
        if (Date.now() > deadline || !(notKnownYet || (normalized as { retriable?: boolean }).retriable)) throw normalized;
      }
      if (Date.now() > deadline) throw new Error(`The topics ${names.join(', ')} have no partition leaders ${LEADER_WAIT_MS / 1000} s after they were created; check the brokers.`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
