/**
 * The consumer of the kafkajs adapter. kafkajs pushes batches (`run({ eachBatch })`) and reports
 * membership as instrumentation events; this turns them into the seam's batches and
 * {@link GroupMembershipListener} calls: REBALANCING is the revoke (kafkajs has no revoke
 * callback, and the old generation's commits are still accepted then), GROUP_JOIN the
 * assignment (a member id other than the last one's means the membership was lost meanwhile),
 * a CRASH a restart (this adapter's, after kafkajs' retry time) or, when none is due, the
 * failure. Batches kafkajs skips without calling `eachBatch` (only transaction markers or
 * aborted records) come through END_BATCH_PROCESS with no records: they are handed on empty, as
 * they still move the position.
 */
import { AssignerProtocol, type Assigner, type Consumer, type ConsumerRunConfig, type Kafka, type KafkaConfig, type PartitionAssigner } from 'kafkajs';
import type { ConsumerConfig, FetchedBatch, GroupAssignor, GroupMembershipListener, OffsetCommit, StreamsConsumer, TopicPartitions } from '../kafka-client.js';
import { fromKafkajs, kafkajsCall } from './kafkajs-errors.js';
import { holdJoinWith } from './kafkajs-join-hold.js';
import { RevocationHold } from './revocation-hold.js';

function noop(): void {}

/** Whether kafkajs would restart from a crash with this error (its consumer's rule): retries ran out, or the root cause is retriable. */
function restartable(error: Error & { cause?: unknown }): boolean {
  if (error.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  let cause: unknown = error;
  while (typeof cause === 'object' && cause !== null && (cause as { cause?: unknown }).cause !== undefined) cause = (cause as { cause: unknown }).cause;
  return (cause as { retriable?: unknown } | null)?.retriable === true;
}

/**
 * What a fetch of the kafkajs consumer may bring, in record bytes: of one partition
 * (`maxBytesPerPartition`, Kafka's `max.partition.fetch.bytes`) and of the whole fetch (`maxBytes`,
 * `fetch.max.bytes`). kafkajs decodes a fetch response whole, every partition's records before the
 * first batch is handed on, at about 2 KB of heap a record (BigInt-backed varints, a `Buffer` view
 * per key and value, strings for offsets and timestamps), and the stream thread holds them until it
 * has processed them all: they outlive the young generation and fill the old one. With kafkajs'
 * own 1 MiB a partition the flagship on a million events peaked at 697 MB, with 128 KiB at 584 MB,
 * for about 9% fewer events per second (medians; benchmarks/PROFILE.md, "kafkajs' fetch sizes").
 */
export interface KafkajsFetchSizes {
  readonly partitionMaxBytes: number;
  readonly maxBytes: number;
}

/**
 * The default sizes: 128 KiB a partition, an eighth of Kafka's consumer's 1 MiB (see
 * {@link KafkajsFetchSizes}), and 4 MiB a fetch, 32 partitions at that (kafkajs asks 10 MiB,
 * Kafka's consumer 50 MiB).
 */
export const DEFAULT_KAFKAJS_FETCH_SIZES: KafkajsFetchSizes = { partitionMaxBytes: 128 * 1024, maxBytes: 4 * 1024 * 1024 };

/** A {@link GroupAssignor} as a kafkajs partition assigner: Kafka's consumer protocol around its user data. */
function kafkajsAssigner(assignor: GroupAssignor, hold: RevocationHold): PartitionAssigner {
  const { name, version } = assignor;
  return ({ cluster }): Assigner => holdJoinWith({
    name,
    version,
    async assign({ members }) {
      const decoded = members.map((member) => {
        let userData: Buffer | undefined;
        try {
          userData = AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData;
        } catch {
          userData = undefined;
        }
        return { memberId: member.memberId, userData };
      });
      const assignments = assignor.assign(decoded, (topic) => cluster.findTopicPartitionMetadata(topic).length);
      return assignments.map(({ memberId, partitions, userData }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version, assignment: partitions as Record<string, number[]>, userData }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version, topics, userData: assignor.subscriptionUserData() }) };
    },
  }, () => hold.beforeJoin());
}

function kafkajsPartitions(partitions: readonly TopicPartitions[]): { topic: string; partitions?: number[] }[] {
  return partitions.map(({ topic, partitions: numbers }) => (numbers === undefined ? { topic } : { topic, partitions: [...numbers] }));
}

export class KafkajsConsumer implements StreamsConsumer {
  private readonly consumer: Consumer;
  private listener: GroupMembershipListener = {};
  private memberId: string | undefined;
  private readonly heartbeatIntervalMs: number;
  /**
   * Restarts after a crash are this adapter's, not kafkajs' (its `restartOnFailure` always says no):
   * kafkajs' `stop()` stops a runner only once it has joined the group, so a disconnect while its
   * own restart was still joining (brokers down) left that join going; it completed once the
   * brokers were back, and the consumer became a member that held partitions and processed nothing
   * (a failed thread's, replaced meanwhile). Here a pending restart is a timer that
   * {@link disconnect} cancels, and a join in progress ({@link starting}: the first run or a
   * restart) is let finish before kafkajs is told to stop, so that its stop leaves the group.
   */
  private disconnected = false;
  private starting: Promise<void> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private runConfig: ConsumerRunConfig | undefined;
  private readonly mayRestart: () => boolean;
  private readonly initialRetryTimeMs: number;
  /** The last revoke's commit, which the next join waits for (`kafkajs-join-hold.ts`). */
  private readonly hold: RevocationHold;

  constructor(kafka: Kafka, retry: KafkaConfig['retry'], config: ConsumerConfig, sizes: KafkajsFetchSizes) {
    this.hold = new RevocationHold(config);
    this.mayRestart = config.mayRestart ?? (() => true);
    this.initialRetryTimeMs = retry?.initialRetryTime ?? 300;
    this.heartbeatIntervalMs = config.heartbeatIntervalMs;
    this.consumer = kafka.consumer({
      groupId: config.groupId,
      retry: { ...retry, restartOnFailure: async () => false },
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      ...(config.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeout: config.rebalanceTimeoutMs }),
      ...(config.maxWaitTimeMs === undefined ? {} : { maxWaitTimeInMs: config.maxWaitTimeMs }),
      allowAutoTopicCreation: false,
      maxBytesPerPartition: sizes.partitionMaxBytes,
      maxBytes: sizes.maxBytes,
      ...(config.assignor === undefined ? {} : { partitionAssigners: [kafkajsAssigner(config.assignor, this.hold)] }),
    });
  }

  connect(): Promise<void> {
    this.disconnected = false;
    return kafkajsCall(() => this.consumer.connect());
  }

  async subscribe(topics: readonly string[], listener: GroupMembershipListener): Promise<void> {
    this.listener = listener;
    await kafkajsCall(() => this.consumer.subscribe({ topics: [...topics], fromBeginning: true }));
    const { events } = this.consumer;
    // kafkajs rejoins straight after this event; its join waits for the revoke's commit (kafkajs-join-hold.ts).
    this.consumer.on(events.REBALANCING, () => this.hold.revoked(listener.onRevoked?.()));
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      // A join that completed after disconnect() began: that disconnect stops it once it is done (it leaves the group); not a membership to report.
      if (this.disconnected) return;
      const previous = this.memberId;
      this.memberId = payload.memberId;
      if (previous !== undefined && previous !== payload.memberId) listener.onLost?.(previous, payload.memberId);
      listener.onAssigned?.({ memberId: payload.memberId, generationId: -1, partitions: payload.memberAssignment });
    });
    this.consumer.on(events.CRASH, ({ payload }) => {
      if (this.disconnected) return;
      // kafkajs' own rule for a crash it would restart from; it has stopped and disconnected by now.
      const error = payload.error as Error & { retryTime?: number };
      if (restartable(error) && this.mayRestart()) {
        const retryTime = error.retryTime || this.initialRetryTimeMs;
        this.consumer.logger().error(`Restarting the consumer in ${retryTime}ms`, { retryTime, groupId: payload.groupId });
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (!this.disconnected && this.runConfig !== undefined) this.start(this.runConfig).catch((failure: unknown) => listener.onFailed?.(failure));
        }, retryTime);
        return;
      }
      listener.onFailed?.(fromKafkajs(payload.error));
    });
  }

  async run(onBatch: (batch: FetchedBatch, markConsumed: () => void) => Promise<void>, options: { readonly manualPositions?: boolean } = {}): Promise<void> {
    const manual = options.manualPositions === true;
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0) return;
      const batch: FetchedBatch = { topic: payload.topic, partition: payload.partition, records: [], lastOffset: Number(payload.lastOffset), highWatermark: Number(payload.highWatermark) };
      onBatch(batch, noop).catch((error: unknown) => this.listener.onFailed?.(error));
    });
    this.runConfig = {
      autoCommit: false,
      eachBatchAutoResolve: !manual,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const lastOffset = batch.lastOffset();
        const fetched: FetchedBatch = { topic: batch.topic, partition: batch.partition, records: batch.messages, lastOffset: Number(lastOffset), highWatermark: Number(batch.highWatermark) };
        // kafkajs heartbeats only between batches: a batch whose processing and commit outlast the
        // session (a starved process or broker) would lose the membership. Heartbeat meanwhile, as
        // the Java consumer's heartbeat thread does; kafkajs' loop sees any error itself after the batch.
        const keepAlive = setInterval(() => void heartbeat().catch(noop), this.heartbeatIntervalMs);
        try {
          await onBatch(fetched, manual ? () => resolveOffset(lastOffset) : noop);
        } finally {
          clearInterval(keepAlive);
        }
      },
    };
    await this.start(this.runConfig);
  }

  /** kafkajs' `run`: resolves once the consumer joined the group, or crashed trying (a CRASH event). */
  private start(config: ConsumerRunConfig): Promise<void> {
    const starting = kafkajsCall(() => this.consumer.run(config)).finally(() => {
      if (this.starting === starting) this.starting = undefined;
    });
    this.starting = starting;
    return starting;
  }

  pause(partitions: readonly TopicPartitions[]): void {
    this.consumer.pause(kafkajsPartitions(partitions));
  }

  resume(partitions: readonly TopicPartitions[]): void {
    this.consumer.resume(kafkajsPartitions(partitions));
  }

  seek(topic: string, partition: number, offset: number): void {
    this.consumer.seek({ topic, partition, offset: String(offset) });
  }

  async commitOffsets(offsets: readonly OffsetCommit[]): Promise<void> {
    await kafkajsCall(() =>
      this.consumer.commitOffsets(offsets.map(({ topic, partition, offset, metadata }) => (metadata === undefined ? { topic, partition, offset: String(offset) } : { topic, partition, offset: String(offset), metadata }))),
    );
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
    clearTimeout(this.restartTimer);
    // A join in progress is let finish (or fail): stopped before it has joined, kafkajs would let it go on.
    await this.starting?.catch(noop);
    await kafkajsCall(() => this.consumer.disconnect());
  }
}
