/**
 * The admin side of the kafkajs adapter: connecting once the brokers answer, topics (partition
 * counts, creation with a wait for leaders), offsets, the group's committed offsets and
 * members, and record deletion, every failure a `KafkaClientError`.
 */
import { AssignerProtocol, Kafka, type Admin, type ConfigResourceTypes, type KafkaConfig } from 'kafkajs';
import { ConfigError, type Logger } from '@tributary/streams';
import { brokerFailure, unreachable, waitUnlessStopped } from '../../internal/connect.js';
import { IllegalStateError } from '../../errors.js';
import { someCause } from '../../internal/error-causes.js';
import type { CommittedOffset, DescribedMember, NewTopic, PartitionOffsets, StreamsAdmin } from '../kafka-client.js';
import { KafkaClientError } from '../client-error.js';
import { fromKafkajs, kafkajsCall } from './kafkajs-errors.js';
import { SocketRegistry } from './kafkajs-sockets.js';

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4000;
/** How long new topics may take to get partition leaders. */
const LEADER_WAIT_MS = 30_000;
/** How often `listOffsets` asks again when kafkajs' answer came back empty (see {@link isEmptyOffsetsAnswer}). */
const LIST_OFFSETS_ATTEMPTS = 5;

/**
 * kafkajs 2.2.4's `fetchTopicOffsets` asks for the latest and then the earliest offsets, each
 * time for the partitions whose leaders its shared metadata knows at that moment, and takes the
 * answers apart without checking them: when a metadata refresh in between (the group's topics
 * being created or moving) left it no leader to ask, the second answer is empty and it throws a
 * TypeError, not a Kafka error. Seen in a kill -9 test, where it stopped an instance with a
 * fatal error during a rebalance. Asking again finds the leaders.
 */
function isEmptyOffsetsAnswer(error: unknown): boolean {
  return error instanceof TypeError && error.message.includes("property 'partitions'");
}
/** kafkajs' `ConfigResourceTypes.BROKER`: the enum is not a named export Node's ES module loader finds in kafkajs' CommonJS. */
const BROKER_RESOURCE = 4 as ConfigResourceTypes;

/** Whether a request timed out (the connection was made, the broker did not answer), or one of its causes did. */
function timedOut(error: unknown): boolean {
  return someCause(error, (current) => current.name === 'KafkaJSRequestTimeoutError');
}

export class KafkajsAdmin implements StreamsAdmin {
  private readonly admin: Admin;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
    private readonly brokers: readonly string[],
    private readonly logger: Logger,
  ) {
    this.admin = kafka.admin();
  }

  /**
   * Probes the brokers with clients that do not retry by themselves, in a loop of our own that
   * stops at a deadline or when the application closes: a connect that kafkajs retries cannot be
   * cancelled, and against a broker that accepts connections but never answers each of its
   * attempts waits a full request timeout, so it would outlive both (and keep the process alive).
   * Then connects the admin, with the application's retry options.
   */
  async connect(options: { readonly timeoutMs: number; readonly stopped: () => boolean }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    const connectOptions = { ...options, brokers: this.brokers };
    let lastError: unknown;
    /** Whether the last attempt got a connection that never answered. */
    let silent = false;
    for (let backoffMs = FIRST_BACKOFF_MS; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
      if (options.stopped()) throw new IllegalStateError('The application stopped while connecting.');
      if (Date.now() >= deadline) throw unreachable(connectOptions, lastError, silent);
      // Its sockets are destroyed when the attempt ends, whichever way: nothing of it lingers.
      const sockets = new SocketRegistry(this.config.socketFactory);
      const probe = new Kafka({ ...this.config, socketFactory: sockets.factory, retry: { ...this.config.retry, retries: 0 } }).admin();
      const attempt = probe.connect().then(
        () => 'answered' as const,
        (error: unknown) => {
          lastError = error;
          return 'failed' as const;
        },
      );
      const timer = waitUnlessStopped(deadline - Date.now(), options.stopped);
      const outcome = await Promise.race([attempt, timer.done.then(() => 'waited' as const)]);
      timer.cancel();
      silent = outcome === 'waited' ? sockets.size > 0 : outcome === 'failed' && timedOut(lastError);
      sockets.shutdown();
      await probe.disconnect().catch(() => {});
      if (outcome === 'answered') break;
      if (outcome === 'failed') await waitUnlessStopped(Math.min(backoffMs, deadline - Date.now()), options.stopped).done;
    }
    try {
      await kafkajsCall(() => this.admin.connect());
    } catch (error) {
      await this.admin.disconnect().catch(() => {});
      throw brokerFailure(error, this.brokers, 'while connecting');
    }
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const existing = new Set(await kafkajsCall(() => this.admin.listTopics()));
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length === 0) return counts;
    const { topics: metadata } = await kafkajsCall(() => this.admin.fetchTopicMetadata({ topics: present }));
    for (const topic of metadata) counts.set(topic.name, topic.partitions.length);
    return counts;
  }

  /**
   * A KRaft broker can answer UNKNOWN_TOPIC_OR_PARTITION for a moment after a create, and a
   * leader named in the metadata can still answer NOT_LEADER_OR_FOLLOWER until it has taken the
   * partition on: the wait reads every partition's offsets before it returns.
   */
  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    try {
      await this.admin.createTopics({
        waitForLeaders: false,
        topics: topics.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: topic.replicationFactor,
          configEntries: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      const errors = (error as { errors?: unknown }).errors;
      const onlyExisting = Array.isArray(errors) && errors.length > 0 && errors.every((entry) => (entry as { type?: unknown }).type === 'TOPIC_ALREADY_EXISTS');
      const tooFewBrokers = Array.isArray(errors) && errors.some((entry) => (entry as { type?: unknown }).type === 'INVALID_REPLICATION_FACTOR');
      if (tooFewBrokers) {
        const factor = topics[0]?.replicationFactor ?? -1;
        throw new ConfigError(
          `The brokers refused to create the internal topics ${topics.map((topic) => topic.name).join(', ')} with ${factor === -1 ? 'their default.replication.factor' : `replication factor ${factor}`}: the cluster has fewer live brokers than that. Set the option 'replicationFactor' to at most the number of brokers (-1 takes the brokers' default.replication.factor), or start more brokers.`,
          { cause: error },
        );
      }
      if (!onlyExisting) throw fromKafkajs(error);
      this.logger.debug('Another instance created some of the internal topics at the same time');
    }
    const names = topics.map((topic) => topic.name);
    const deadline = Date.now() + LEADER_WAIT_MS;
    for (;;) {
      try {
        const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: names });
        if (metadata.every((topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0))) {
          for (const name of names) await this.admin.fetchTopicOffsets(name);
          return;
        }
      } catch (error) {
        if (Date.now() > deadline || (error as { retriable?: unknown }).retriable !== true) throw fromKafkajs(error);
      }
      if (Date.now() > deadline) throw new Error(`The internal topics ${names.join(', ')} have no partition leaders ${LEADER_WAIT_MS / 1000} s after they were created; check the brokers.`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async createTopicIfAutoCreated(topic: string): Promise<boolean> {
    const { brokers } = await kafkajsCall(() => this.admin.describeCluster());
    const broker = brokers[0];
    if (broker === undefined) return false;
    const { resources } = await kafkajsCall(() =>
      this.admin.describeConfigs({ includeSynonyms: false, resources: [{ type: BROKER_RESOURCE, name: String(broker.nodeId), configNames: ['auto.create.topics.enable'] }] }),
    );
    const enabled = resources[0]?.configEntries.find((entry) => entry.configName === 'auto.create.topics.enable')?.configValue;
    if (enabled !== 'true') return false;
    await kafkajsCall(() => this.admin.createTopics({ topics: [{ topic }], waitForLeaders: true }));
    return true;
  }

  async listOffsets(topic: string): Promise<PartitionOffsets[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        return offsets.map((entry) => ({ partition: entry.partition, low: Number(entry.low), high: Number(entry.high) }));
      } catch (error) {
        if (!isEmptyOffsetsAnswer(error)) throw fromKafkajs(error);
        if (attempt >= LIST_OFFSETS_ATTEMPTS) {
          throw new KafkaClientError('unavailable', `The offsets of ${topic} came back empty ${attempt} times (no partition leader known to kafkajs); try again once the brokers' metadata settles.`, true, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  async fetchCommittedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    const result: CommittedOffset[] = [];
    if (topics.length === 0) return result;
    for (const { topic, partitions } of await kafkajsCall(() => this.admin.fetchOffsets({ groupId, topics: [...topics] }))) {
      for (const entry of partitions) result.push({ topic, partition: entry.partition, offset: Number(entry.offset), metadata: entry.metadata });
    }
    return result;
  }

  /** kafkajs drops the assignment's user data when it hands a member its partitions; the group description keeps it. */
  async describeGroup(groupId: string): Promise<DescribedMember[]> {
    const { groups } = await kafkajsCall(() => this.admin.describeGroups([groupId]));
    const members: DescribedMember[] = [];
    for (const member of groups[0]?.members ?? []) {
      let subscriptionUserData: Buffer | undefined;
      let assignmentUserData: Buffer | undefined;
      try {
        subscriptionUserData = AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData;
        assignmentUserData = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.userData;
      } catch {
        // A member of another protocol (or mid-rebalance, with an empty assignment): it holds nothing we can read.
      }
      members.push({ memberId: member.memberId, subscriptionUserData, assignmentUserData });
    }
    return members;
  }

  async deleteRecords(topic: string, partitions: readonly { readonly partition: number; readonly offset: number }[]): Promise<void> {
    await kafkajsCall(() => this.admin.deleteTopicRecords({ topic, partitions: partitions.map((entry) => ({ partition: entry.partition, offset: String(entry.offset) })) }));
  }
}
