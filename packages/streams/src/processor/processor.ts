/**
 * The Processor API: the interfaces a custom processor implements and the context it is given.
 * The DSL is built on the same interfaces, so anything the DSL does, a processor can do too.
 */
import type { FixedKeyRecord, StreamRecord } from './stream-record.js';
import type { StateStore } from '../state/state-store.js';

/** Identifies a task: the sub-topology it runs and the partition number it owns. */
export interface TaskId {
  /** The sub-topology's `id`, as {@link TopologyDescription} numbers it. */
  readonly subtopology: number;
  /** The input partition the task owns, the same number across all of the sub-topology's source topics. */
  readonly partition: number;
}

/** Formats a task id as Kafka Streams does, `<subtopology>_<partition>`. */
export function formatTaskId(taskId: TaskId): string {
  return `${taskId.subtopology}_${taskId.partition}`;
}

/** Where the record being processed came from, when it came from a topic. */
export interface RecordMetadata {
  /** The source topic the record was read from (a repartition topic for repartitioned streams). */
  readonly topic: string;
  /** The partition within `topic`. */
  readonly partition: number;
  /** The record's offset within its partition. */
  readonly offset: number;
}

/** Which clock drives a punctuator. */
export enum PunctuationType {
  /** Stream time: advances only as records arrive, so replays punctuate as the original run did. */
  STREAM_TIME = 'STREAM_TIME',
  /** Wall-clock time: fires on the system clock even when no records arrive. */
  WALL_CLOCK_TIME = 'WALL_CLOCK_TIME',
}

/** A callback scheduled with {@link ProcessorContext.schedule}; given the time it fired at. */
export type Punctuator = (timestamp: number) => void;

/** Returned by {@link ProcessorContext.schedule}; cancels the schedule. */
export interface Cancellable {
  /** Stops the punctuator firing; calling it again does nothing. */
  cancel(): void;
}

/** What every processor context offers, whatever it forwards. */
export interface BaseProcessorContext {
  /** The application id this topology runs under. */
  readonly applicationId: string;
  /** The task this processor instance belongs to. */
  readonly taskId: TaskId;
  /** The application's configuration, for processors that read their own settings. */
  readonly appConfigs: Readonly<Record<string, unknown>>;
  /** Topic, partition and offset of the record being processed; `undefined` in a punctuator. */
  recordMetadata(): RecordMetadata | undefined;
  /** The task's stream time: the largest timestamp it has processed, or -1 before any. */
  currentStreamTimeMs(): number;
  /** The wall-clock time as the driver sees it (the test driver's is mockable). */
  currentSystemTimeMs(): number;
  /** A state store connected to this processor. Throws when the processor was not given it. */
  getStateStore<S extends StateStore = StateStore>(name: string): S;
  /** Runs `punctuator` every `intervalMs` of the given time; cancel through the result. */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
  /** Asks the driver to commit soon (flush stores, send outputs, commit offsets). */
  commit(): void;
}

/** The context given to a {@link Processor}: forwards records with any key. */
export interface ProcessorContext<KForward = never, VForward = never> extends BaseProcessorContext {
  /** Sends `record` to every child, or only to the child named `childName`. */
  forward<K extends KForward, V extends VForward>(record: StreamRecord<K, V>, childName?: string): void;
}

/** The context given to a {@link FixedKeyProcessor}: forwards records whose key is unchanged. */
export interface FixedKeyProcessorContext<KForward, VForward> extends BaseProcessorContext {
  /** Sends `record` to every child, or only to the child named `childName`. */
  forward<V extends VForward>(record: FixedKeyRecord<KForward, V>, childName?: string): void;
}

/**
 * A node of a topology that takes records one at a time. `process` runs synchronously on the
 * hot path: it must not await. Do I/O in punctuators or through state stores.
 */
export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  /** Called once before the first record, with the context to keep. */
  init?(context: ProcessorContext<KOut, VOut>): void;
  /** Handles one record. */
  process(record: StreamRecord<KIn, VIn>): void;
  /** Called once when the task closes. */
  close?(): void;
}

/** A processor that may change values but not keys (see `KStream.processValues`). */
export interface FixedKeyProcessor<KIn, VIn, VOut = never> {
  /** Called once before the first record, with the context to keep. */
  init?(context: FixedKeyProcessorContext<KIn, VOut>): void;
  /** Handles one record; forward `record.withValue(…)` to keep its key. Must not await. */
  process(record: FixedKeyRecord<KIn, VIn>): void;
  /** Called once when the task closes. */
  close?(): void;
}

/** Makes a new processor for each task. Must return a new instance on every call. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>;

/** Makes a new fixed-key processor for each task. Must return a new instance on every call. */
export type FixedKeyProcessorSupplier<KIn, VIn, VOut = never> = () => FixedKeyProcessor<KIn, VIn, VOut>;
