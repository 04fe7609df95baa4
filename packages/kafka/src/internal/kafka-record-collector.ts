/**
 * The engine's record collector on a producer of the client seam (`client/kafka-client.ts`). Tasks hand it records synchronously on the
 * hot path (through a {@link TaskRecordCollector} that knows the task); it only appends them to a
 * per-topic buffer, noting where each came from in fields of the record it builds anyway.
 *
 * Records go out as they are produced, batched with a short linger, as Kafka's producer sends a
 * batch when it fills (`batch.size`) or `linger.ms` passes: the stream thread calls
 * {@link KafkaRecordCollector.sendInBackground} after each batch it processes once
 * {@link LINGER_RECORDS} records wait or the oldest has waited {@link LINGER_MS}, and that send
 * runs while the thread processes on. One send is in flight at a time, so each partition's
 * records reach the brokers in the order they were produced. A commit awaits
 * {@link KafkaRecordCollector.flush}, which waits for the send in flight, sends what is left and
 * resolves once the brokers acknowledged everything
 * (acks = all): offsets (at-least-once) or the transaction (exactly-once, where the records sent
 * early are inside the task's open transaction, as Kafka's are) are committed only after that.
 *
 * Every send carries the records of exactly one topic-partition: kafkajs retries a request
 * per broker, and a request spanning brokers could, retried after a leader failover, skip a
 * partition whose leader moved to a broker that had answered (records lost) or send again one a
 * reconnected broker had written (records duplicated inside a transaction). So the collector picks
 * the partition of each record without one itself, as kafkajs' default partitioner would (murmur2
 * of the key; round robin for records without a key), fetching the partition count of a sink topic
 * the plan does not know. Different partitions' requests go out together; each partition's go out
 * in order, one at a time.
 *
 * When a partition's send fails, kafkajs does not say which records were refused, so the collector
 * finds them by sending each record on its own. A send that failed because the
 * brokers were unavailable (connection refused, timeout, retries exhausted) says nothing about
 * its records: it is a `TaskCorruptedError`, on which the thread is rebuilt and its tasks
 * reprocess from their last commit, and no record goes to the handler. The idempotent
 * producer keeps the re-sends of partitions the first request had written from being duplicated.
 * Each failed record goes to the production handler, which drops it (`continue`, counted as a
 * `production-error`), fails the application, and may first ask for dead letters, which are sent
 * before the flush resolves. Records to changelog topics never go to the handler: dropping one
 * would leave the store and its changelog apart, so their failure is fatal. A background send's
 * failure is kept and thrown by the next {@link KafkaRecordCollector.flush} (the thread also
 * checks {@link KafkaRecordCollector.failure} after each batch).
 */
import { DeadLetterHeaders, fitDeadLetter, recordSizeInBytes, StreamRecord, StreamsError, type ErrorHandlerContext, type HandlerResponse, type Headers, type Logger } from '@tributary/streams';
import type { RecordCollector } from '@tributary/streams/engine';
import { brokersUnavailable, RecordSendError, TaskCorruptedError, TaskMigratedError } from '../errors.js';
import { clientErrorIn } from '../client/client-error.js';
import type { RecordSender, SendAcknowledgement } from '../client/kafka-client.js';
import { OutgoingRecord, toKafkaHeaders, type TaskContext } from './outgoing-record.js';
import { describeSendError, requestsOf, type SendRequest } from './send-requests.js';
import { defaultPartition } from './murmur2.js';

/**
 * Records waiting to be sent that start a send at once, without waiting for {@link LINGER_MS}:
 * Kafka's producer sends a partition's batch when it fills `batch.size` (16 KiB), about a hundred
 * of the flagship's records; the collector sends all partitions together, so it waits for more.
 */
export const LINGER_RECORDS = 500;
/**
 * How long the oldest record waiting to be sent may wait for others to share its send, in
 * milliseconds: Kafka's `linger.ms`. Kafka Streams sets 100 ms for its producers; sends here are
 * requests for every waiting partition at once, so a short linger costs few requests and keeps
 * the end-to-end latency of records that cross a repartition topic low.
 */
export const LINGER_MS = 5;
/**
 * What a record waiting to be sent holds in memory beyond its bytes, for {@link
 * KafkaRecordCollector.pendingBytes}: its `OutgoingRecord` and the `Buffer` objects of its key
 * and value (Kafka's producer holds a waiting record as bytes in its batch, and counts only those).
 */
export const PENDING_RECORD_OVERHEAD_BYTES = 256;

/** A record the brokers refused, with why. */
interface FailedSend {
  readonly topic: string;
  readonly record: OutgoingRecord;
  readonly error: Error;
}

export interface KafkaRecordCollectorOptions {
  readonly producer: RecordSender;
  /**
   * Set under exactly-once, where the sender is one task's transaction (v1), or the stream
   * thread's, every task's (v2, `'*'`): a failed send is not
   * re-sent to find the refused records (re-sending partitions the failed request had written
   * would duplicate them inside the transaction). Record-level refusals are fatal; anything else
   * leaves the transaction's outcome unknown, a {@link TaskCorruptedError}.
   */
  readonly transactionalTaskId?: string;
  /** Partition counts the plan knows (source, repartition and global topics). */
  readonly partitionCounts: ReadonlyMap<string, number>;
  /**
   * The partition count of a topic `partitionCounts` does not know (an output or dead-letter
   * topic), `undefined` when the topic does not exist; without it such a topic's records fail.
   */
  readonly fetchPartitionCount?: (topic: string) => Promise<number | undefined>;
  /** Changelog topics: a failed send to one is fatal, never handed to the production handler. */
  readonly changelogTopics: ReadonlySet<string>;
  readonly productionExceptionHandler: (context: ErrorHandlerContext, record: StreamRecord<unknown, unknown>, error: Error) => HandlerResponse;
  readonly logger: Logger;
  /** Dead letters (records with the `__streams.errors.exception` header) are cut to this size; see `fitDeadLetter`. */
  readonly deadLetterMaxBytes: number;
  /** Called when a background send ends, acknowledged or failed (the stream thread re-arms its linger). */
  readonly onBackgroundSendDone?: () => void;
}

/** What a task's nodes see as their collector: the thread's collector, told which task sends. */
export class TaskRecordCollector implements RecordCollector {
  /** Set once the task exists (its context is made by the task, from this collector). */
  context: TaskContext | undefined;

  constructor(private readonly collector: KafkaRecordCollector) {}

  send(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number | undefined, partition: number | undefined): void {
    this.collector.append(topic, key, value, headers, timestamp, partition, this.context);
  }

  partitionCount(topic: string): number | undefined {
    return this.collector.partitionCount(topic);
  }
}

export class KafkaRecordCollector implements RecordCollector {
  private buffered = new Map<string, OutgoingRecord[]>();
  private count = 0;
  private bytes = 0;
  /** When the oldest buffered record was appended (`Date.now()`), for the linger. */
  private oldestAt = 0;
  /** The background send in flight; it never rejects (its error is kept in {@link failure}). */
  private inFlight: Promise<void> | undefined;
  /** Why a background send failed; thrown by the next {@link flush}. */
  failure: unknown = undefined;
  /**
   * Set by {@link discard}: records were dropped, so no flush may succeed again. A commit that
   * flushed its stores' writes (changelog records) into the buffer before the thread failed must
   * not then commit its offsets, or its transaction, without them.
   */
  private discarded = false;
  /** Partition counts fetched for topics the plan does not know. */
  private readonly fetchedCounts = new Map<string, number>();
  /** The next partition for a record without a key, by topic. */
  private readonly roundRobin = new Map<string, number>();
  /** Records acknowledged so far. */
  sent = 0;
  /**
   * For each partition written with an explicit partition (changelogs), the offset after the
   * last record the brokers acknowledged, by `topic:partition`, over every send (background
   * sends included): what checkpoints record.
   */
  readonly acknowledged = new Map<string, number>();

  constructor(private readonly options: KafkaRecordCollectorOptions) {}

  /** A collector for one task's records. */
  forTask(): TaskRecordCollector {
    return new TaskRecordCollector(this);
  }

  send(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number | undefined, partition: number | undefined): void {
    this.append(topic, key, value, headers, timestamp, partition, undefined);
  }

  /** Buffers one record; `context` is the sending task's, read for the source record being processed. */
  append(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number | undefined, partition: number | undefined, context: TaskContext | undefined): void {
    // A dead letter must land: one too large for the brokers is cut to fit, with headers saying
    // so, rather than refused and lost. Only records with headers pay for the lookup.
    if (headers.size > 0 && headers.lastHeader(DeadLetterHeaders.exception) !== undefined) {
      const fitted = fitDeadLetter({ topic, key, value, headers, timestamp: timestamp ?? Date.now() }, this.options.deadLetterMaxBytes);
      key = fitted.key;
      value = fitted.value;
      headers = fitted.headers;
    }
    let records = this.buffered.get(topic);
    if (records === undefined) {
      records = [];
      this.buffered.set(topic, records);
    }
    if (this.count === 0) this.oldestAt = Date.now();
    const record = new OutgoingRecord(key, value, headers, timestamp, context);
    const kafkaHeaders = toKafkaHeaders(headers);
    if (kafkaHeaders !== undefined) record.headers = kafkaHeaders;
    // Without a partition, the send picks one (see `assignPartitions`).
    if (partition !== undefined) record.partition = partition;
    records.push(record);
    this.count++;
    this.bytes += PENDING_RECORD_OVERHEAD_BYTES + (headers.size === 0 ? (key?.length ?? 0) + (value?.length ?? 0) : recordSizeInBytes(key, value, headers));
  }

  partitionCount(topic: string): number | undefined {
    return this.options.partitionCounts.get(topic);
  }

  /** Records waiting to be sent (a send in flight not included). */
  get pending(): number {
    return this.count;
  }

  /**
   * The memory the records waiting to be sent hold (a send in flight not included): their keys,
   * values and headers, plus {@link PENDING_RECORD_OVERHEAD_BYTES} each. Kafka's producer bounds
   * the same (`buffer.memory`).
   */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Whether a background send is in flight. */
  get sending(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * Whether buffered records are due to be sent: {@link LINGER_RECORDS} of them wait, or the
   * oldest has waited {@link LINGER_MS} (`now` is `Date.now()`).
   */
  sendDue(now: number): boolean {
    return this.count >= LINGER_RECORDS || (this.count > 0 && now - this.oldestAt >= LINGER_MS);
  }

  /** How long until the buffered records are due by the linger, in milliseconds (0 when they are); `undefined` when none wait. */
  lingerLeft(now: number): number | undefined {
    if (this.count === 0) return undefined;
    return Math.max(0, LINGER_MS - (now - this.oldestAt));
  }

  /**
   * Starts sending the buffered records without waiting for the acknowledgements, unless a send
   * is in flight (the records wait for the next call, so a partition's records stay in order) or
   * one failed. The caller must hold whatever keeps a commit from running meanwhile (the stream
   * thread's lock): a commit's {@link flush} awaits this send before it commits.
   */
  sendInBackground(): void {
    if (this.inFlight !== undefined || this.count === 0 || this.failure !== undefined || this.discarded) return;
    this.inFlight = this.sendBuffered().then(
      () => {
        this.inFlight = undefined;
        this.options.onBackgroundSendDone?.();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.failure = error;
        this.options.onBackgroundSendDone?.();
      },
    );
  }

  /**
   * Sends every buffered record and waits for the brokers' acknowledgements, those of a
   * background send in flight included (each changelog partition's offset after its last
   * acknowledged record is in {@link acknowledged}). Records the brokers refused go to the
   * production handler; throws when it chose to fail, when a background send failed, and when
   * records were discarded (before or during the flush): what was flushed is then not all in the
   * brokers, and nothing may be committed on it.
   */
  async flush(): Promise<void> {
    if (this.inFlight !== undefined) await this.inFlight;
    if (this.failure !== undefined) {
      this.discard();
      throw this.failure;
    }
    this.checkNotDiscarded();
    // A dead letter asked for by the handler is buffered: the loop sends it too.
    while (this.count > 0) {
      await this.sendBuffered();
      // The thread may have failed (and discarded the records appended meanwhile) during the send.
      this.checkNotDiscarded();
    }
  }

  /** Throws once records were discarded: the thread failed, and nothing it flushed may be committed. */
  private checkNotDiscarded(): void {
    if (!this.discarded) return;
    const taskId = this.options.transactionalTaskId ?? '*';
    throw new TaskCorruptedError(
      `Records of ${taskId === '*' ? "the stream thread's tasks" : `task ${taskId}`} were discarded when the thread failed, so nothing they belong to is committed: the thread is rebuilt and its tasks resume from their last commit.`,
      taskId,
    );
  }

  /** Sends what is buffered now (records appended meanwhile wait for the next send). */
  private async sendBuffered(): Promise<void> {
    const buffered = this.buffered;
    this.buffered = new Map();
    this.count = 0;
    this.bytes = 0;
    await this.assignPartitions(buffered);
    const failures: FailedSend[] = [];
    // One request per topic-partition and bounded size: kafkajs puts all of a request's records
    // for a partition into one record batch, which the brokers refuse above message.max.bytes.
    const state = { stopped: false };
    const outcomes = await Promise.allSettled(requestsOf(buffered).map((requests) => this.sendPartition(requests, failures, state)));
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    if (failures.length === 0) return;
    const failure = this.handleFailures(failures);
    if (failure !== undefined) {
      // The handler chose to fail: its dead letters are still sent, on a best-effort basis.
      await this.sendDeadLettersBeforeFailing();
      throw failure;
    }
  }

  /**
   * Sends one partition's requests in order, one at a time; refused records are added to
   * `failures`. Stops, and makes the other partitions' sends stop, on an error no record is to blame for.
   */
  private async sendPartition(requests: readonly SendRequest[], failures: FailedSend[], state: { stopped: boolean }): Promise<void> {
    try {
      for (const request of requests) {
        if (state.stopped) return;
        const { topic, records } = request;
        try {
          const metadata = await this.options.producer.send(topic, records);
          this.sent += records.length;
          if (request.explicit) this.noteOffsets(metadata, request.records.length);
        } catch (error) {
          if (clientErrorIn(error)?.kind === 'group-fenced') throw this.migrated(topic, error);
          if (this.options.transactionalTaskId !== undefined) throw this.transactionalSendError(this.options.transactionalTaskId, topic, error);
          if (brokersUnavailable(error)) throw this.unavailable([topic], error);
          failures.push(...(await this.resendToFindFailures(request, error)));
        }
      }
    } catch (error) {
      state.stopped = true;
      throw error;
    }
  }

  /**
   * Gives each record without a partition the one kafkajs' default partitioner would pick: murmur2
   * of the key bytes, made positive, modulo the topic's partition count; records without a key
   * take the topic's partitions in turn (kafkajs picks one at random). Throws when a topic's
   * partition count cannot be known.
   */
  private async assignPartitions(buffered: ReadonlyMap<string, readonly OutgoingRecord[]>): Promise<void> {
    for (const [topic, records] of buffered) {
      let count: number | undefined;
      for (const record of records) {
        if (record.partition !== undefined) continue;
        count ??= await this.partitionCountToSend(topic);
        if (record.key === null) {
          const next = this.roundRobin.get(topic) ?? 0;
          this.roundRobin.set(topic, (next + 1) % count);
          record.assignPartition(next % count);
        } else {
          record.assignPartition(defaultPartition(record.key, count));
        }
      }
    }
  }

  /** The partition count of a sink topic: the plan's, or fetched once. */
  private async partitionCountToSend(topic: string): Promise<number> {
    const known = this.options.partitionCounts.get(topic) ?? this.fetchedCounts.get(topic);
    if (known !== undefined) return known;
    let fetched: number | undefined;
    try {
      fetched = await this.options.fetchPartitionCount?.(topic);
    } catch (error) {
      if (brokersUnavailable(error)) throw this.unavailable([topic], error);
      this.discard();
      throw new RecordSendError(`Could not read the partition count of topic '${topic}' to send records to it: ${error instanceof Error ? describeSendError(error) : String(error)}. Check that the application may describe the topic.`, topic, { cause: error });
    }
    if (fetched === undefined || fetched <= 0) {
      this.discard();
      throw new RecordSendError(`Cannot send records to topic '${topic}': it does not exist (and the brokers do not create topics on first use), so its partition count is unknown. Create the topic with the partitions you want before starting the application, or let the brokers create topics (auto.create.topics.enable).`, topic);
    }
    this.fetchedCounts.set(topic, fetched);
    return fetched;
  }

  /**
   * A send the brokers could not take (see `brokersUnavailable`). It says nothing about the
   * records, so it never goes to the production handler: the thread is rebuilt and its tasks
   * reprocess from their last commit, nothing dropped (Kafka Streams, too, makes a task
   * corrupted of a retriable send error).
   */
  private unavailable(topicNames: readonly string[], error: unknown): TaskCorruptedError {
    this.discard();
    const cause = error instanceof Error ? error : new Error(String(error));
    const topics = topicNames.join(', ');
    return new TaskCorruptedError(`Records for [${topics}] could not be sent: ${describeSendError(cause)}. Nothing is dropped: the stream thread is rebuilt and its tasks reprocess from their last commit.`, '*', { cause });
  }

  /**
   * A send the producer would not hand on: the thread was stopped past its session timeout and
   * its tasks may have moved (`ProducerConfig.mayDispatch`). Nothing of it is the records' fault,
   * so none goes to the production handler; the thread is rebuilt and rejoins.
   */
  private migrated(topic: string, error: unknown): TaskMigratedError {
    this.discard();
    const cause = error instanceof Error ? error : new Error(String(error));
    return new TaskMigratedError(`Records for [${topic}] were not sent: ${cause.message} The stream thread is rebuilt and rejoins its group; its tasks resume from their last commit.`, { cause });
  }

  /** Why a send inside a task's transaction failed: the record's fault (fatal), or an unknown outcome. */
  private transactionalSendError(taskId: string, topic: string, error: unknown): Error {
    this.discard();
    const cause = error instanceof Error ? error : new Error(String(error));
    const reason = describeSendError(cause);
    const owner = taskId === '*' ? 'The stream thread' : `Task ${taskId}`;
    if (clientErrorIn(cause)?.kind === 'record-rejected') {
      return new RecordSendError(
        `${owner} could not send a record to [${topic}] inside its transaction: ${reason}. Under exactly-once the transaction is aborted and the application stops, because a partly written transaction cannot be repaired record by record; fix the cause (for a too-large record, the topic's max.message.bytes).`,
        topic,
        { cause },
      );
    }
    return new TaskCorruptedError(`${owner} could not send its records inside its transaction: ${reason}.`, taskId, { cause });
  }

  /**
   * Forgets buffered records (after a failure, when what was sent will not be committed); a send
   * in flight goes on, unheeded. For good: every later
   * {@link flush} throws, and nothing more is sent in the background, until {@link reopen}.
   */
  discard(): void {
    this.buffered = new Map();
    this.count = 0;
    this.bytes = 0;
    this.discarded = true;
  }

  /**
   * Takes records again after {@link discard}, for a thread that goes on with new tasks and a new
   * transaction (exactly-once v2 closing every task after its group moved on without it). Waits
   * for a send still in flight, whose records were in the aborted transaction, and forgets its outcome.
   */
  async reopen(): Promise<void> {
    if (this.inFlight !== undefined) await this.inFlight;
    this.failure = undefined;
    this.buffered = new Map();
    this.count = 0;
    this.bytes = 0;
    this.discarded = false;
  }

  /** A request's one batch: its base offset plus its records is the partition's next offset. */
  private noteOffsets(metadata: readonly SendAcknowledgement[], records: number): void {
    for (const entry of metadata) {
      const key = `${entry.topic}:${entry.partition}`;
      const base = entry.baseOffset;
      if (base < 0) continue;
      const next = base + records;
      if (next > (this.acknowledged.get(key) ?? 0)) this.acknowledged.set(key, next);
    }
  }

  /** The slow path, after a partition's send failed: each of its records on its own. */
  private async resendToFindFailures(request: SendRequest, firstError: unknown): Promise<FailedSend[]> {
    const { topic, partition, records } = request;
    const error = firstError instanceof Error ? firstError : new Error(String(firstError));
    if (records.length === 1) return [{ topic, record: records[0]!, error }];
    this.options.logger.warn(`Sending the ${records.length} records of topic '${topic}' partition ${partition} one by one to find those the brokers refused`, { error: describeSendError(error) });
    const failures: FailedSend[] = [];
    for (const record of records) {
      const recordError = await this.trySend(topic, [record], request.explicit);
      if (recordError === undefined) continue;
      if (clientErrorIn(recordError)?.kind === 'group-fenced') throw this.migrated(topic, recordError);
      if (brokersUnavailable(recordError)) throw this.unavailable([topic], recordError);
      failures.push({ topic, record, error: recordError });
    }
    return failures;
  }

  /** Sends records of one topic-partition; resolves to the error, or `undefined` once acknowledged. */
  private async trySend(topic: string, records: OutgoingRecord[], explicit: boolean): Promise<Error | undefined> {
    try {
      const metadata = await this.options.producer.send(topic, records);
      this.sent += records.length;
      if (explicit) this.noteOffsets(metadata, records.length);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private async sendDeadLettersBeforeFailing(): Promise<void> {
    const letters = new Map<string, OutgoingRecord[]>();
    // Only the dead letters (no task context): records produced meanwhile are not sent, since nothing will be committed.
    for (const [topic, records] of this.buffered) {
      const topicLetters = records.filter((record) => record.context === undefined);
      if (topicLetters.length > 0) letters.set(topic, topicLetters);
    }
    this.discard();
    if (letters.size === 0) return;
    const warn = (error: unknown): void => {
      this.options.logger.warn('Could not send the dead letters of a record the production handler failed on', { error: error instanceof Error ? describeSendError(error) : String(error) });
    };
    try {
      await this.assignPartitions(letters);
    } catch (error) {
      warn(error);
      return;
    }
    const outcomes = await Promise.allSettled(
      requestsOf(letters).map(async (requests) => {
        for (const { topic, records } of requests) await this.options.producer.send(topic, records);
      }),
    );
    for (const outcome of outcomes) if (outcome.status === 'rejected') warn(outcome.reason);
  }

  /**
   * Asks the production handler about each refused record. Returns the error to stop with when it
   * chose to fail (dead letters asked for are buffered); throws when no handler may decide.
   */
  private handleFailures(failures: readonly FailedSend[]): RecordSendError | undefined {
    const { logger, productionExceptionHandler } = this.options;
    const dropped = new Map<string, { count: number; error: Error }>();
    for (const { topic, record, error } of failures) {
      const reason = describeSendError(error);
      const where = `topic '${topic}'${record.partition === undefined ? '' : ` partition ${record.partition}`}`;
      // Dead letters carry no task context.
      if (record.context === undefined) {
        throw new RecordSendError(`A dead-letter record could not be sent to ${where}: ${reason}. Check that the dead-letter topic exists and accepts records of that size.`, topic, { cause: error });
      }
      if (this.options.changelogTopics.has(topic)) {
        throw new RecordSendError(`A changelog record could not be sent to ${where}: ${reason}. The store and its changelog would disagree, so the application stops; check the changelog topic's configs (max.message.bytes) and the brokers.`, topic, { cause: error });
      }
      const streamRecord = new StreamRecord<unknown, unknown>(record.key, record.value, record.recordTimestamp ?? -1, record.recordHeaders);
      const context = record.context;
      let response: HandlerResponse;
      try {
        response = productionExceptionHandler(record.errorContext(logger), streamRecord, error);
      } catch (handlerError) {
        throw new RecordSendError(`The production handler threw on a record it was asked about: ${handlerError instanceof Error ? handlerError.message : String(handlerError)}.`, topic, { cause: handlerError });
      }
      for (const letter of response?.deadLetterRecords ?? []) this.append(letter.topic, letter.key, letter.value, letter.headers, letter.timestamp, undefined, undefined);
      if (response?.action === 'continue') {
        context.metrics.recordDropped('production-error');
        const entry = dropped.get(where);
        if (entry === undefined) dropped.set(where, { count: 1, error });
        else entry.count++;
        continue;
      }
      if (response?.action !== 'fail') {
        throw new StreamsError('HANDLER_INVALID', `The production handler returned ${JSON.stringify(response)}; it must return { action: 'continue' | 'fail' }.`);
      }
      this.logDropped(dropped);
      return new RecordSendError(
        `A record from task ${context.taskId.subtopology}_${context.taskId.partition} could not be sent to ${where}: ${reason}. The production handler chose to fail; fix the cause (for a too-large record, the topic's max.message.bytes) or configure productionExceptionHandler.`,
        topic,
        { cause: error },
      );
    }
    this.logDropped(dropped);
    return undefined;
  }

  private logDropped(dropped: ReadonlyMap<string, { count: number; error: Error }>): void {
    for (const [where, { count, error }] of dropped) this.options.logger.warn(`Dropped ${count} record(s) the brokers refused for ${where}: ${describeSendError(error)}`);
  }
}
