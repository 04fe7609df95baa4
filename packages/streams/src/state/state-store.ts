/**
 * State stores: the contracts every store implements, whatever its backend. A store belongs to
 * one task; the engine calls it synchronously on the hot path and flushes it at commit.
 */
import type { Header } from '../processor/headers.js';
import type { TaskId } from '../processor/processor.js';
import type { Logger } from '../logger.js';

/** Where a record came from, as a record context has it. */
export interface RecordOrigin {
  /** The source topic; `undefined` when the record came from no topic (a punctuator). */
  topic: string | undefined;
  /** The source partition; -1 without a topic. */
  partition: number;
  /** The source offset; -1 without a topic. */
  offset: number;
  /**
   * The headers of the record at the node that made the write (Kafka's record context headers),
   * which a cache hands on with the write when it flushes; `undefined` when the context kept none.
   */
  headers?: Iterable<Header> | undefined;
}

/** What a store is given when its task starts. */
export interface StateStoreContext {
  /** The application id; persistent stores put it in their directory path, changelogs in their topic name. */
  readonly applicationId: string;
  /** The task owning this store instance; `{ subtopology: -1, partition: -1 }` for a global store. */
  readonly taskId: TaskId;
  /** The whole streams config, for stores that read their own settings. */
  readonly appConfigs: Readonly<Record<string, unknown>>;
  /** The directory for persistent stores of this task; `undefined` for purely in-memory runs. */
  readonly stateDir: string | undefined;
  /** The application's logger, from the config. */
  readonly logger: Logger;
  /** The task's stream time, for stores that expire data by time. */
  currentStreamTimeMs(): number;
  /**
   * The timestamp of the record being processed (or of the punctuation firing), as Kafka
   * Streams' record context has it: the timestamp a store gives a write that carries none of its
   * own, such as a deletion, in its changelog and its cache. `undefined` outside any record; a
   * context without it makes stores fall back to the stream time.
   */
  currentRecordTimestampMs?(): number | undefined;
  /**
   * Copies where the record being processed came from (its source topic, partition and offset;
   * `topic` undefined outside a source record, as in a punctuator or at commit) into `target`. A
   * caching store keeps it with each write and hands it back with {@link setRecordOrigin} when it
   * flushes the write, as Kafka's record cache keeps each entry's record context. A context
   * without it leaves `target` as it is.
   */
  copyRecordOrigin?(target: RecordOrigin): void;
  /**
   * Makes `origin` where the record being processed came from, while a caching store hands a
   * flushed write on, so downstream processors see the topic, partition and offset of the record
   * that made it (in `recordMetadata()`, and a suppression buffer in its size); `undefined` ends
   * that. Returns the origin set before, which the store sets again when its flush ends.
   */
  setRecordOrigin?(origin: RecordOrigin | undefined): RecordOrigin | undefined;
  /** The changelog topic of a store of this application: `<applicationId>-<store>-changelog`. */
  changelogTopic(storeName: string): string;
  /**
   * Records a change of `storeName` in its changelog, in the task's partition. Stores call this
   * for every change they make durable (at flush); it does nothing when the store's changelog is
   * disabled, so stores need not check. `headers` are the record's, when it needs any;
   * `timestamp` `undefined` logs a record without one, which the producer stamps (as Kafka's
   * suppression buffer logs).
   */
  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number | undefined, headers?: Iterable<Header>): void;
  /** Counts a record a store refused, such as a write to an expired window. */
  recordDropped(reason: 'expired-window'): void;
}

/** A named piece of state owned by a task. */
export interface StateStore {
  /** The store's name, unique in its topology. */
  readonly name: string;
  /** Whether the store keeps its data on disk across restarts. */
  readonly persistent: boolean;
  /** Whether the store is open for reads and writes. */
  readonly isOpen: boolean;
  /** Opens the store for a task. */
  init(context: StateStoreContext): void;
  /** Makes every write so far durable (and, for layered stores, sends it on). */
  flush(): void;
  /** Releases the store's resources. */
  close(): void;
}

/** How a store's changelog topic is configured. */
export interface ChangelogConfig {
  /** Whether writes are logged to `<applicationId>-<store>-changelog`. */
  readonly enabled: boolean;
  /** Extra topic configs for the changelog (for example `min.insync.replicas`). */
  readonly topicConfig: Readonly<Record<string, string>>;
}

/** Builds a store for each task. Obtain one from `Stores`, or implement it for your own store. */
export interface StoreBuilder<S extends StateStore = StateStore> {
  /** The name of every store it builds: how processors and queries find it, and part of its changelog topic. */
  readonly name: string;
  /** Makes a new, unopened store. Called once per task. */
  build(): S;
  /** The store's changelog settings. */
  readonly changelog: ChangelogConfig;
  /**
   * Where the store's bytes live, when the builder has a supplier. Drivers look here for
   * suppliers that must be prepared (opened asynchronously) before the task starts.
   */
  readonly supplier?: {
    /** The supplier's store name, the same as the builder's `name`. */
    readonly name: string;
  };
  /**
   * Whether the store keeps values in Kafka's timestamped layout (`timestamp + value`), which its
   * changelog logs as the bare value at the value's timestamp: a driver restoring a persistent
   * store's bytes directly converts its records with `timestampedStoreRecords`.
   */
  readonly timestamped?: boolean;
}
