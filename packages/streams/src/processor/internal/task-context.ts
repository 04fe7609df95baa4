/**
 * The context shared by every node of one task. It tracks which node is running and which
 * source record is being processed, so `forward` and the error handlers need no per-record
 * objects: the hot path is a loop over a node's children.
 */
import { ProcessingError, StateStoreError, StreamsError, TopologyError, type StreamsErrorOptions } from '../../errors/streams-error.js';
import type { DeadLetterRecord, ErrorHandlerContext, HandlerResponse } from '../../errors/handlers.js';
import type { ResolvedStreamsConfig } from '../../config.js';
import type { RecordOrigin, StateStore } from '../../state/state-store.js';
import { Headers } from '../headers.js';
import {
  formatTaskId,
  PunctuationType,
  type Cancellable,
  type ProcessorContext,
  type Punctuator,
  type RecordMetadata,
  type TaskId,
} from '../processor.js';
import type { RecordCollector } from '../record-collector.js';
import { StreamRecord } from '../stream-record.js';
import type { ProcessorNode } from './processor-node.js';
import { PunctuationQueue, PunctuationSchedule } from './punctuation-queue.js';
import { DropWarnings } from './drop-warnings.js';
import type { DropReason, TaskMetrics } from './task-metrics.js';

const noHeaders = new Headers();

/**
 * A failure that stops the task without going to the processing handler (the topology is
 * misconfigured, or a policy says fail), so enclosing nodes pass it on untouched. Reported as a
 * `ProcessingError`; subclasses keep their own name.
 */
export class HandledFailure extends ProcessingError {
  constructor(message: string, options?: StreamsErrorOptions) {
    super(message, options);
    if (new.target === HandledFailure) this.name = 'ProcessingError';
  }
}

export class TaskContext implements ProcessorContext<any, any> {
  currentNode: ProcessorNode | undefined;
  readonly stores = new Map<string, StateStore>();
  readonly streamTimePunctuations = new PunctuationQueue();
  readonly wallClockPunctuations = new PunctuationQueue();
  streamTime = -1;
  commitRequested = false;
  /**
   * Failures a handler decided on (and handlers' invalid answers). A node's failure is thrown
   * through its ancestors' `processAt`, which must pass these on, not hand them to the
   * processing handler again: a production handler's `fail` would otherwise become `continue`.
   */
  private readonly decidedFailures = new WeakSet<object>();

  // The source record being processed; `topic === undefined` inside a punctuator.
  topic: string | undefined;
  partition = -1;
  offset = -1;
  sourceTimestamp = -1;
  sourceKey: Buffer | null | undefined;
  sourceValue: Buffer | null | undefined;
  sourceHeaders: Headers = noHeaders;
  /**
   * Where the record at the running node came from, when a cache flush hands on a write that
   * another record made (Kafka restores the cached entry's record context); `undefined` otherwise,
   * the origin then being `topic`, `partition` and `offset` above. The source bytes, headers and
   * timestamp above are not that record's, so handlers are not given them.
   */
  private flushedOrigin: RecordOrigin | undefined = undefined;
  /**
   * The timestamp of the record at the node running now (or of the punctuation firing): Kafka's
   * record context timestamp, which stores give writes that carry none (deletions). `undefined`
   * when nothing runs.
   */
  recordTimestamp: number | undefined = undefined;
  /**
   * The wall clock as of the driver's last batch or punctuation check: what end-to-end latency is
   * measured against, so that no clock is read per record.
   */
  wallClockTime = 0;
  /**
   * The headers of the record at the node running now: Kafka's record context headers, which a
   * caching store keeps with a write and forwards with it at flush. Empty in a punctuator.
   */
  recordHeaders: Headers = noHeaders;
  /** The node whose punctuator is running, if one is. */
  private punctuatingNode: string | undefined;

  constructor(
    readonly taskId: TaskId,
    readonly config: ResolvedStreamsConfig,
    readonly collector: RecordCollector,
    readonly metrics: TaskMetrics,
    private readonly clock: () => number,
  ) {
    this.dropWarnings = new DropWarnings(metrics, config.logger, formatTaskId(taskId), clock);
  }

  /** Counts dropped records and warns about them, at most once per reason every 10 s. */
  readonly dropWarnings: DropWarnings;

  /**
   * Counts a record the running node drops and, when one is due (see {@link DropWarnings}),
   * warns with `message` and where the record came from.
   */
  dropRecord(reason: DropReason, message: string): void {
    const dropped = this.dropWarnings.count(reason);
    if (dropped > 0) this.dropWarnings.warn(dropped, reason, message, this.dropFields());
  }

  /** Where the dropped record came from, for a drop warning. */
  dropFields(): Record<string, unknown> {
    return { processor: this.currentNode?.name, source: this.describeSource(), timestamp: this.recordTimestamp, streamTime: this.streamTime };
  }

  get applicationId(): string {
    return this.config.applicationId;
  }

  get appConfigs(): Readonly<Record<string, unknown>> {
    return this.config.appConfigs;
  }

  recordMetadata(): RecordMetadata | undefined {
    const origin = this.flushedOrigin;
    if (origin !== undefined) return origin.topic === undefined ? undefined : { topic: origin.topic, partition: origin.partition, offset: origin.offset };
    if (this.topic === undefined) return undefined;
    return { topic: this.topic, partition: this.partition, offset: this.offset };
  }

  /** The source topic of the record at the running node (see {@link flushedOrigin}); `undefined` outside a source record. */
  get recordTopic(): string | undefined {
    return this.flushedOrigin === undefined ? this.topic : this.flushedOrigin.topic;
  }

  /** Copies where the record at the running node came from, and its headers, into `target`, for a caching store to keep with a write. */
  copyRecordOrigin(target: RecordOrigin): void {
    target.headers = this.recordHeaders;
    const origin = this.flushedOrigin;
    if (origin !== undefined) {
      target.topic = origin.topic;
      target.partition = origin.partition;
      target.offset = origin.offset;
    } else {
      target.topic = this.topic;
      target.partition = this.topic === undefined ? -1 : this.partition;
      target.offset = this.topic === undefined ? -1 : this.offset;
    }
  }

  /** Sets where a flushed write came from (`undefined` when the flush ends), returning what was set before. */
  setRecordOrigin(origin: RecordOrigin | undefined): RecordOrigin | undefined {
    const previous = this.flushedOrigin;
    this.flushedOrigin = origin;
    return previous;
  }

  currentStreamTimeMs(): number {
    return this.streamTime;
  }

  currentSystemTimeMs(): number {
    return this.clock();
  }

  getStateStore<S extends StateStore = StateStore>(name: string): S {
    const node = this.currentNode;
    if (node === undefined) throw new StateStoreError(`State store '${name}' can only be fetched by a processor, in init, process or a punctuator.`);
    if (!node.storeNames.has(name)) {
      throw new StateStoreError(
        `Processor '${node.name}' is not connected to state store '${name}': pass the store name when adding the processor (process(supplier, '${name}')) or call connectProcessorAndStateStores.`,
      );
    }
    const store = this.stores.get(name);
    if (store === undefined) throw new StateStoreError(`State store '${name}' is not open in task ${this.taskId.subtopology}_${this.taskId.partition}.`);
    return store as S;
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    if (!Number.isFinite(intervalMs) || intervalMs < 1) throw new TopologyError(`A punctuation interval must be at least 1 ms, got ${intervalMs}.`);
    const node = this.currentNode;
    if (node === undefined) throw new TopologyError('Punctuators can only be scheduled by a processor.');
    if (type === PunctuationType.STREAM_TIME) {
      // Aligned to the epoch: fires as soon as the task has data, then every interval.
      const schedule = new PunctuationSchedule(node, intervalMs, punctuator, 0);
      this.streamTimePunctuations.add(schedule);
      return schedule;
    }
    if (type === PunctuationType.WALL_CLOCK_TIME) {
      const schedule = new PunctuationSchedule(node, intervalMs, punctuator, this.clock() + intervalMs);
      this.wallClockPunctuations.add(schedule);
      return schedule;
    }
    throw new TopologyError(`Unknown punctuation type ${String(type)}.`);
  }

  commit(): void {
    this.commitRequested = true;
  }

  forward(record: StreamRecord<any, any>, childName?: string): void {
    const node = this.currentNode;
    if (node === undefined) throw new TopologyError('forward() can only be called by a processor.');
    if (childName === undefined) {
      const children = node.children;
      for (let index = 0; index < children.length; index++) this.processAt(children[index]!, record);
      return;
    }
    const child = node.childByName.get(childName);
    if (child === undefined) {
      throw new TopologyError(`Processor '${node.name}' has no child named '${childName}'; its children are [${[...node.childByName.keys()].join(', ')}].`);
    }
    this.processAt(child, record);
  }

  /**
   * A function that forwards records as the current node does, for later use: a caching store
   * forwards its dirty entries at flush, when some other node (or none) is running.
   */
  forwarderFor<K, V>(): (record: StreamRecord<K, V>) => void {
    const node = this.currentNode;
    if (node === undefined) throw new TopologyError('forwarderFor() can only be called by a processor, typically in init.');
    return (record) => {
      const previous = this.currentNode;
      this.currentNode = node;
      try {
        this.forward(record);
      } finally {
        this.currentNode = previous;
      }
    };
  }

  /** Runs one node on one record; a throw goes to the processing handler, not to the parent. */
  processAt(node: ProcessorNode, record: StreamRecord<any, any>): void {
    const previous = this.currentNode;
    const previousTimestamp = this.recordTimestamp;
    const previousHeaders = this.recordHeaders;
    this.currentNode = node;
    this.recordTimestamp = record.timestamp;
    this.recordHeaders = record.headers;
    try {
      node.processor.process(record);
      // Kafka records a terminal node's end-to-end latency once it has processed the record.
      const latency = node.endToEndLatency;
      if (latency !== undefined) latency.record(this.wallClockTime - record.timestamp);
    } catch (error) {
      this.onProcessingError(node, record, error);
    } finally {
      this.currentNode = previous;
      this.recordTimestamp = previousTimestamp;
      this.recordHeaders = previousHeaders;
    }
  }

  /** Fires the punctuators due at `time` on one clock. */
  punctuate(queue: PunctuationQueue, time: number): number {
    return queue.punctuate(time, (schedule, firedAt) => {
      const previousTopic = this.topic;
      const previousOrigin = this.flushedOrigin;
      this.topic = undefined;
      this.flushedOrigin = undefined;
      const previous = this.currentNode;
      const previousTimestamp = this.recordTimestamp;
      const previousHeaders = this.recordHeaders;
      this.currentNode = schedule.node;
      this.recordTimestamp = firedAt;
      this.recordHeaders = noHeaders;
      this.punctuatingNode = schedule.node.name;
      try {
        schedule.punctuator(firedAt);
      } catch (error) {
        this.onProcessingError(schedule.node, new StreamRecord(null, null, firedAt), error);
      } finally {
        this.currentNode = previous;
        this.recordTimestamp = previousTimestamp;
        this.recordHeaders = previousHeaders;
        this.topic = previousTopic;
        this.punctuatingNode = undefined;
        this.flushedOrigin = previousOrigin;
      }
      this.metrics.punctuations++;
    });
  }

  /**
   * The handler context for the record being processed. Built only when something failed.
   * Outside a source record (in a punctuator, or a store flush) there are no source bytes or
   * headers to report, only `timestamp`: the last source record's would be another record's.
   */
  errorContext(nodeName: string, timestamp: number = this.sourceTimestamp): ErrorHandlerContext {
    const origin = this.flushedOrigin;
    if (origin !== undefined) {
      const hasTopic = origin.topic !== undefined;
      return {
        taskId: this.taskId,
        topic: origin.topic,
        partition: hasTopic ? origin.partition : undefined,
        offset: hasTopic ? origin.offset : undefined,
        processorNodeName: nodeName,
        sourceRawKey: undefined,
        sourceRawValue: undefined,
        headers: noHeaders,
        timestamp,
        logger: this.config.logger,
      };
    }
    const fromSource = this.topic !== undefined;
    return {
      taskId: this.taskId,
      topic: this.topic,
      partition: fromSource ? this.partition : undefined,
      offset: fromSource ? this.offset : undefined,
      processorNodeName: nodeName,
      sourceRawKey: fromSource ? this.sourceKey : undefined,
      sourceRawValue: fromSource ? this.sourceValue : undefined,
      headers: fromSource ? this.sourceHeaders : noHeaders,
      timestamp: fromSource ? this.sourceTimestamp : timestamp,
      logger: this.config.logger,
      punctuator: this.punctuatingNode,
    };
  }

  /** Sends a handler's dead letters and returns whether to go on; throws when it chose to fail. */
  applyResponse(response: HandlerResponse, failure: () => StreamsError): void {
    const letters: readonly DeadLetterRecord[] | undefined = response?.deadLetterRecords;
    if (letters !== undefined) {
      for (const letter of letters) this.collector.send(letter.topic, letter.key, letter.value, letter.headers, letter.timestamp, undefined);
    }
    if (response?.action === 'continue') return;
    const error =
      response?.action === 'fail'
        ? failure()
        : new StreamsError('HANDLER_INVALID', `An exception handler returned ${JSON.stringify(response)}; it must return { action: 'continue' | 'fail' }.`);
    this.decidedFailures.add(error);
    throw error;
  }

  private onProcessingError(node: ProcessorNode, record: StreamRecord<any, any>, error: unknown): void {
    if (error instanceof HandledFailure || (typeof error === 'object' && error !== null && this.decidedFailures.has(error))) throw error;
    const cause = error instanceof Error ? error : new Error(String(error));
    const response = this.config.processingExceptionHandler(this.errorContext(node.name, record.timestamp), record, cause);
    this.applyResponse(
      response,
      () =>
        new ProcessingError(
          `Processor '${node.name}' failed on a record from ${this.describeSource()}: ${cause.message}. The processing handler chose to fail; fix the processor or configure processingExceptionHandler.`,
          { cause },
        ),
    );
    this.metrics.recordDropped('processing-error');
  }

  describeSource(): string {
    const origin = this.flushedOrigin;
    if (origin !== undefined) return origin.topic === undefined ? 'a punctuator (flushed from a cache)' : `${origin.topic}-${origin.partition} at offset ${origin.offset} (flushed from a cache)`;
    return this.topic === undefined ? 'a punctuator' : `${this.topic}-${this.partition} at offset ${this.offset}`;
  }
}

/** The engine's own context behind a processor context, for the DSL's internal processors. */
export function internalContext(context: unknown): TaskContext {
  if (!(context instanceof TaskContext)) {
    // A fixed-key view wraps the task context; DSL processors never get one, so this is a bug.
    throw new TopologyError('Internal DSL processors must be given the task context itself.');
  }
  return context;
}
