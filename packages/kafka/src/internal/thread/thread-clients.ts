/**
 * The clients of one stream thread, from the client seam: its group consumer, with the task
 * assignor and the source topics (by sub-topology) it subscribes to, and the producer and record
 * collectors behind its tasks (at-least-once: one idempotent producer and collector the tasks
 * share; exactly-once v1: a collector per task, over the task's transaction; exactly-once v2: one
 * transactional producer, and a collector over it, the tasks share).
 */
import type { InternalTopologyBuilder, SubtopologySpec } from '@tributary/streams/engine';
import type { KafkaClientSupplier, RecordSender, StreamsAdmin, StreamsConsumer, StreamsProducer } from '../../client/kafka-client.js';
import type { ResolvedKafkaStreamsOptions } from '../../options.js';
import { stoppedThreadError } from '../../client/client-error.js';
import { boundedSender } from '../broker-wait.js';
import { KafkaRecordCollector } from '../kafka-record-collector.js';
import { taskAssignor, type TaskKey } from '../task-assignor.js';
import { sinkPartitionCount } from '../topic-manager.js';
import type { TopicPlan } from '../topic-plan.js';
import { ThreadTransaction } from './thread-transaction.js';

export interface ThreadClientsOptions {
  readonly client: KafkaClientSupplier;
  readonly admin: StreamsAdmin;
  readonly builder: InternalTopologyBuilder;
  readonly plan: TopicPlan;
  readonly options: ResolvedKafkaStreamsOptions;
  /** Identifies this application instance (process) to the assignor, which keeps standbys off it. */
  readonly processId: string;
  /** The thread's index in its process (exactly-once v2: part of its transactional id). */
  readonly threadIndex: number;
  /** The tasks the thread holds now, for its subscription (the assignor keeps them where they are). */
  readonly heldTasks: () => { readonly active: TaskKey[]; readonly standby: TaskKey[] };
  /** Whether a crashed consumer may come back: a failed or closed thread's must not. */
  readonly mayRestart: () => boolean;
  /** A collector's background send is done: the linger may arm again. */
  readonly onBackgroundSendDone: () => void;
  /** Whether the thread may still send: false once it was stopped past its session timeout (see `ProducerConfig.mayDispatch`). */
  readonly mayDispatch: () => boolean;
}

/**
 * `sender`, refusing each send as `'group-fenced'` once the thread may no longer send: the
 * collector's own next request (a partition's second, a flush's next round) is held to the same
 * gate as the sends a producer queues, whichever client supplier made it.
 */
function gatedSender(sender: RecordSender, mayDispatch: () => boolean): RecordSender {
  return {
    send: (topic, records) => (mayDispatch() ? sender.send(topic, records) : Promise.reject(stoppedThreadError())),
  };
}

export interface ThreadClients {
  /** The sub-topology reading each source topic (full names, repartition topics included): what the consumer subscribes to. */
  readonly subtopologyByTopic: ReadonlyMap<string, SubtopologySpec>;
  readonly consumer: StreamsConsumer;
  /** At-least-once: the producer the tasks share. Exactly-once: `undefined` (a transactional producer instead). */
  readonly producer: StreamsProducer | undefined;
  /** Exactly-once v2: the thread's transaction, which every task sends through. */
  readonly transaction: ThreadTransaction | undefined;
  /** At-least-once and exactly-once v2: the collector the tasks share. */
  readonly sharedCollector: KafkaRecordCollector | undefined;
  /** The collector of a task: over its transaction (exactly-once v1), else the shared one. */
  readonly collectorFor: (transaction: RecordSender | undefined, taskId: string) => KafkaRecordCollector;
}

export function threadClients({ client, admin, builder, plan, options, processId, threadIndex, heldTasks, mayRestart, onBackgroundSendDone, mayDispatch }: ThreadClientsOptions): ThreadClients {
  const subtopologyByTopic = new Map<string, SubtopologySpec>();
  const assignable = builder.subtopologies().map((subtopology) => {
    const sourceTopics = subtopology.sourceTopics.map((topic) => builder.resolveTopic(options.applicationId, topic));
    for (const topic of sourceTopics) subtopologyByTopic.set(topic, subtopology);
    return { id: subtopology.id, sourceTopics, tasks: plan.tasksPerSubtopology.get(subtopology.id) ?? 0 };
  });
  const consumer = client.consumer({
    groupId: options.applicationId,
    sessionTimeoutMs: options.sessionTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs,
    // kafkajs waits up to 5 s in a fetch with no data, and partitions resumed after a restore,
    // heartbeats and disconnects all wait for the fetch in flight: bound it by the commit
    // interval so restores, rebalances and close take milliseconds, not seconds.
    maxWaitTimeMs: Math.min(options.commitIntervalMs, 500),
    assignor: taskAssignor(assignable, () => ({ process: processId, ...heldTasks(), ...(options.applicationServer === undefined ? {} : { applicationServer: options.applicationServer }) }), options.numStandbyReplicas),
    // A client may restart a crashed consumer by itself, even one whose crash raced its
    // disconnect: a failed or closed thread's consumer must not come back as a group member
    // that holds partitions and processes nothing.
    mayRestart,
  });
  // Output and dead-letter topics the plan does not know: their partition counts are read once,
  // for the collectors to pick each record's partition (see KafkaRecordCollector).
  const fetchPartitionCount = (topic: string): Promise<number | undefined> => sinkPartitionCount(admin, topic);
  const changelogTopics = new Set(builder.changelogTopics(options.applicationId).values());
  // A transactional collector's owner: a task (v1), or '*', every task of the thread (v2).
  const newCollector = (producer: RecordSender, transactionalTaskId?: string): KafkaRecordCollector =>
    new KafkaRecordCollector({
      // A send the brokers never acknowledge fails the thread, rather than hold it (broker-wait.ts).
      producer: gatedSender(boundedSender(producer), mayDispatch),
      transactionalTaskId,
      partitionCounts: plan.partitionCounts,
      fetchPartitionCount,
      changelogTopics,
      productionExceptionHandler: options.streams.productionExceptionHandler,
      logger: options.streams.logger,
      deadLetterMaxBytes: options.deadLetterMaxBytes,
      onBackgroundSendDone,
    });
  // At-least-once: one idempotent producer, as Kafka Streams' producers are since 3.0 (see RecordSender).
  const guarantee = options.processingGuarantee;
  const producer = guarantee === 'at_least_once' ? client.producer({ mayDispatch }) : undefined;
  const transaction =
    guarantee === 'exactly_once_v2' ? new ThreadTransaction({ client, applicationId: options.applicationId, processId, threadIndex, commitIntervalMs: options.commitIntervalMs }) : undefined;
  const sharedCollector = producer !== undefined ? newCollector(producer) : transaction !== undefined ? newCollector(transaction, '*') : undefined;
  const collectorFor = (taskTransaction: RecordSender | undefined, taskId: string): KafkaRecordCollector => {
    if (taskTransaction !== undefined) return newCollector(taskTransaction, taskId);
    if (sharedCollector === undefined) throw new Error(`Task ${taskId} has no transaction under exactly-once`);
    return sharedCollector;
  };
  return { subtopologyByTopic, consumer, producer, transaction, sharedCollector, collectorFor };
}
