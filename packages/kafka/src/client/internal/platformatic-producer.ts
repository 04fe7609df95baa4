/**
 * The producers of the @platformatic/kafka adapter: the idempotent producer a stream thread
 * shares under at-least-once, and a transactional producer. Every send is one topic-partition's
 * records, acks = all. platformatic initializes the transactional id (InitProducerId, which
 * fences every earlier producer of the id) at the first transaction. The transactional offset
 * commit is one TxnOffsetCommit request for every partition, sent on platformatic's connection
 * at the highest version both sides speak (v3 and later carry the group's generation and member
 * id, KIP-447), so offsets sent with a {@link ConsumerGroupMetadata} of a stale generation are
 * refused by the coordinator (a `'group-fenced'` error).
 *
 * Once fenced, a producer stays fenced here: platformatic would initialize the id again at the
 * next transaction, taking the id back from the producer that fenced it.
 */
import { Base, Producer, ProduceAcks, type Admin, type ProduceResult, type ProducerOptions, type RetryDelayGetter } from '@platformatic/kafka';
import { IllegalStateError } from '../../errors.js';
import { KafkaClientError } from '../client-error.js';
import type { ConsumerGroupMetadata, OffsetCommit, OutgoingKafkaRecord, ProducerConfig, SendAcknowledgement, StreamsProducer, TransactionalProducer, TransactionalProducerConfig } from '../kafka-client.js';
import { DispatchLanes } from './dispatch-lanes.js';
import { brokerNotInMetadata, fromPlatformatic, hasKafkaError, platformaticCall } from './platformatic-errors.js';
import { messageOf } from './platformatic-records.js';
import { brokerOf, request } from './platformatic-requests.js';

/** What every platformatic client of one supplier is built from. */
export type PlatformaticBaseOptions = Omit<ProducerOptions<Buffer, Buffer, Buffer, Buffer>, 'serializers' | 'registry' | 'beforeSerialization' | 'transactionalId' | 'idempotent' | 'acks'>;

/**
 * InitProducerId for a new producer of the id: platformatic otherwise sends producer id 0 and
 * epoch 0, which the transaction coordinator takes as a claim to be producer 0 and answers with
 * PRODUCER_FENCED once another producer has initialized the id.
 */
const FRESH_PRODUCER = { producerId: -1n, producerEpoch: -1 };

/** platformatic's wait before retrying a failed request, when the options set none. */
const PLATFORMATIC_RETRY_DELAY_MS = 1_000;

/**
 * The first wait before retrying a request the transaction coordinator refused with
 * CONCURRENT_TRANSACTIONS, doubling with each attempt up to the client's own delay. The
 * coordinator answers so while it still writes the markers that end the previous transaction,
 * to every partition that transaction wrote (a commit of a stream thread with 32 tasks ends in
 * over a hundred): the next transaction's first AddPartitionsToTxn, sent a moment after the
 * commit, meets it often. Java's producer retries it after 20 ms; platformatic's usual second
 * held every commit of such a thread up by a second or more.
 */
const CONCURRENT_TRANSACTIONS_RETRY_MS = 20;

/**
 * The retry delay of a transactional producer: short and growing for CONCURRENT_TRANSACTIONS,
 * `base` (the options' delay, or platformatic's) for every other error.
 *
 * A retry for a broker missing from the client's list of brokers first has the list read again.
 * platformatic looks the transaction coordinator up in that list before each AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn, and reads it without naming topics, which never refreshes it: a
 * broker left out while it was shut down stayed out after it came back, and the transaction's
 * requests failed once a second without end (platformatic retries a transactional producer's
 * requests without limit), holding the stream thread for good.
 */
function transactionalRetryDelay(base: number | RetryDelayGetter | undefined): RetryDelayGetter {
  return (client, operationId, attempt, retries, error) => {
    if (brokerNotInMetadata(error) && client instanceof Base) void client.metadata({ topics: [], forceUpdate: true }).catch(() => {});
    const usual = typeof base === 'function' ? base(client, operationId, attempt, retries, error) : (base ?? PLATFORMATIC_RETRY_DELAY_MS);
    if (!hasKafkaError(error, 'CONCURRENT_TRANSACTIONS')) return usual;
    return Math.min(CONCURRENT_TRANSACTIONS_RETRY_MS * 2 ** Math.max(0, attempt - 1), usual);
  };
}

/** How often a transactional offset commit is tried when the coordinator is moving or loading. */
const OFFSET_COMMIT_ATTEMPTS = 5;
const OFFSET_COMMIT_BACKOFF_MS = 100;

/** A TxnOffsetCommit request's topics. */
interface TxnOffsetCommitTopic {
  readonly name: string;
  readonly partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[];
}

/** A platformatic transaction (the package exports no name for it). */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/** platformatic reports one offset per partition written: the first record's. */
function acknowledgements(topic: string, result: ProduceResult): SendAcknowledgement[] {
  return (result.offsets ?? []).map((entry) => ({ topic: entry.topic || topic, partition: entry.partition, baseOffset: Number(entry.offset) }));
}

/**
 * The idempotent producer at-least-once shares. platformatic lets an idempotent producer have one
 * request in flight per broker connection and queues the rest; here they wait in one lane, one
 * in flight, instead, so that none goes out once the thread may no longer send (see
 * `dispatch-lanes.ts`). On one broker that is the order platformatic sends them in anyway.
 */
export class PlatformaticProducer implements StreamsProducer {
  private readonly producer: Producer;
  private readonly lanes: DispatchLanes;

  constructor(options: PlatformaticBaseOptions, config: ProducerConfig = {}) {
    this.producer = new Producer({ ...options, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: true });
    this.lanes = new DispatchLanes(1, config.mayDispatch);
  }

  async connect(): Promise<void> {
    await platformaticCall(() => this.producer.metadata({ topics: [] }));
  }

  async disconnect(): Promise<void> {
    await platformaticCall(() => this.producer.close());
  }

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    const messages = records.map((record) => messageOf(topic, record));
    return acknowledgements(topic, await this.lanes.dispatch(0, () => platformaticCall(() => this.producer.send({ messages }))));
  }
}

/** Finds a consumer group's coordinator: the broker that takes the group's transactional offsets. */
export type GroupCoordinatorLookup = (groupId: string) => Promise<number>;

export class PlatformaticTransactionalProducer implements TransactionalProducer {
  private readonly producer: Producer;
  private transaction: Transaction | undefined;
  /** Whether the open transaction holds records or offsets (an empty one ends without a request). */
  private touched = false;
  private fenced: KafkaClientError | undefined;
  /** The open transaction's partitions, `topic:partition`, that a send has added to it. */
  private readonly added = new Set<string>();
  /** The last addition of partitions to the open transaction (see {@link send}). */
  private adding: Promise<unknown> = Promise.resolve();
  /** Partitions asked for since the last addition began, `topic:partition` to the partition. */
  private readonly pendingAdditions = new Map<string, { readonly topic: string; readonly partition: number }>();
  /** The addition that will take {@link pendingAdditions}, once the one before it is done. */
  private nextAddition: Promise<void> | undefined;

  constructor(
    options: PlatformaticBaseOptions,
    private readonly config: TransactionalProducerConfig,
    private readonly groupCoordinator: GroupCoordinatorLookup,
  ) {
    // platformatic sends its request timeout as the transaction timeout of InitProducerId.
    this.producer = new Producer({
      ...options,
      transactionalId: config.transactionalId,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      timeout: config.transactionTimeoutMs,
      retryDelay: transactionalRetryDelay(options.retryDelay),
    });
  }

  async initTransactions(): Promise<void> {
    // The first transaction initializes the id (and fences the earlier producers); ending it
    // locally, with nothing in it, sends no request.
    const transaction = await this.call(() => this.producer.beginTransaction(FRESH_PRODUCER));
    await this.call(() => transaction.cancel());
  }

  async beginTransaction(): Promise<void> {
    if (this.transaction !== undefined) throw new IllegalStateError(`Producer ${this.config.transactionalId} began a transaction while one was open.`);
    this.transaction = await this.call(() => this.producer.beginTransaction(FRESH_PRODUCER));
    this.touched = false;
    this.added.clear();
    this.pendingAdditions.clear();
    this.nextAddition = undefined;
    this.adding = Promise.resolve();
  }

  /**
   * Sends to a partition the transaction already holds go at once. The partitions that sends of
   * one moment add are added together, in one AddPartitionsToTxn request, before those sends go:
   * platformatic deduplicates concurrent AddPartitionsToTxn requests into the first one, so
   * sends adding different partitions at the same time would produce to partitions the
   * transaction does not hold (the brokers answer TRANSACTION_ABORTABLE), and adding them one
   * send after the other costs a round trip per partition: under exactly_once_v2 a commit's
   * first sends write to every output, repartition and changelog partition of the thread's tasks.
   */
  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    const transaction = this.open();
    this.touched = true;
    const messages = records.map((record) => messageOf(topic, record));
    const partition = records[0]?.partition;
    const key = `${topic}:${partition ?? '?'}`;
    if (partition !== undefined && !this.added.has(key)) await this.addPartition(transaction, key, topic, partition);
    if (partition !== undefined) return acknowledgements(topic, await this.call(() => transaction.send({ messages })));
    const sent = this.adding.then(() => this.call(() => transaction.send({ messages })));
    this.adding = sent.catch(() => {});
    return acknowledgements(topic, await sent);
  }

  /**
   * Adds `topic`-`partition` to the transaction with the other partitions asked for in the same
   * moment (the sends of one flush start together), after the additions asked for before.
   */
  private addPartition(transaction: Transaction, key: string, topic: string, partition: number): Promise<void> {
    this.pendingAdditions.set(key, { topic, partition });
    if (this.nextAddition === undefined) {
      const addition = this.adding
        .then(() => new Promise((resolve) => setImmediate(resolve)))
        .then(async () => {
          const wanted = [...this.pendingAdditions];
          this.pendingAdditions.clear();
          this.nextAddition = undefined;
          const metadata = await this.call(() => this.producer.metadata({ topics: [...new Set(wanted.map(([, entry]) => entry.topic))] }));
          // platformatic reads only each message's topic and partition here.
          const messages = wanted.map(([, entry]) => ({ ...entry }) as unknown as Parameters<Transaction['addPartitions']>[1][number]);
          await this.call(() => transaction.addPartitions(metadata, messages));
          for (const [added] of wanted) this.added.add(added);
        });
      this.nextAddition = addition;
      this.adding = addition.catch(() => {});
    }
    return this.nextAddition;
  }

  /**
   * AddOffsetsToTxn for the group, then one TxnOffsetCommit for every partition, with the group's
   * generation and member id when `group` has them (v2), -1 and '' when not (v1: the coordinator
   * checks no generation), and each offset's metadata. platformatic's own `addOffset` sends one
   * request per partition, one after the other; a commit of many partitions takes one round trip
   * here. Tried again while the group coordinator moves or loads (the request is idempotent
   * within the transaction); a refusal for the group's generation or member is not.
   */
  async sendOffsetsToTransaction(offsets: readonly OffsetCommit[], group: ConsumerGroupMetadata): Promise<void> {
    const transaction = this.open();
    if (offsets.length === 0) return;
    this.touched = true;
    // platformatic reads only the group id of the consumer it is handed here.
    await this.call(() => transaction.addConsumer({ groupId: group.groupId } as Parameters<Transaction['addConsumer']>[0]));
    const topics = new Map<string, TxnOffsetCommitTopic>();
    for (const { topic, partition, offset, metadata } of offsets) {
      let entry = topics.get(topic);
      if (entry === undefined) topics.set(topic, (entry = { name: topic, partitions: [] }));
      entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: metadata ?? null });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call(async () => {
          const { producerId, producerEpoch } = this.producer;
          if (producerId === undefined || producerEpoch === undefined) throw new IllegalStateError(`Producer ${this.config.transactionalId} has no producer id inside its transaction.`);
          const broker = await brokerOf(this.producer, await this.groupCoordinator(group.groupId));
          await request(this.producer, broker, 'TxnOffsetCommit', this.config.transactionalId, group.groupId, producerId, producerEpoch, group.generationId ?? -1, group.memberId ?? '', group.groupInstanceId ?? null, [...topics.values()]);
        });
        return;
      } catch (error) {
        const again = error instanceof KafkaClientError && error.retriable && error.kind !== 'group-fenced' && error.kind !== 'fenced' && attempt < OFFSET_COMMIT_ATTEMPTS;
        if (!again) throw error;
        await new Promise((resolve) => setTimeout(resolve, OFFSET_COMMIT_BACKOFF_MS * attempt));
      }
    }
  }

  async commitTransaction(): Promise<void> {
    await this.end(true);
  }

  async abortTransaction(): Promise<void> {
    await this.end(false);
  }

  async disconnect(): Promise<void> {
    this.transaction = undefined;
    await platformaticCall(() => this.producer.close(true));
  }

  private async end(commit: boolean): Promise<void> {
    const transaction = this.open();
    this.transaction = undefined;
    if (!this.touched) {
      await this.call(() => transaction.cancel());
      return;
    }
    await this.call(() => (commit ? transaction.commit() : transaction.abort()));
  }

  private open(): Transaction {
    if (this.fenced !== undefined) throw this.fenced;
    if (this.transaction === undefined) throw new IllegalStateError(`Producer ${this.config.transactionalId} has no open transaction.`);
    return this.transaction;
  }

  /** Runs a request; a fencing error fences this producer for good. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    if (this.fenced !== undefined) throw this.fenced;
    try {
      return await operation();
    } catch (error) {
      const normalized = fromPlatformatic(error);
      if (normalized instanceof KafkaClientError && normalized.kind === 'fenced') {
        this.fenced = normalized;
        this.transaction = undefined;
      }
      throw normalized;
    }
  }
}

/** The group coordinator lookup over an admin client (FindCoordinator, asked at each transactional offset commit). */
export function groupCoordinatorLookup(admin: () => Admin): GroupCoordinatorLookup {
  return async (groupId) => {
    const [found] = await admin().findCoordinator({ keyType: 0, keys: [groupId] });
    if (found === undefined) throw new KafkaClientError('unavailable', `No coordinator was found for the consumer group ${groupId}; check that the brokers are up.`, true);
    return found.nodeId;
  };
}
