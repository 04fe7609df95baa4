/**
 * The errors `KafkaStreams` throws, under the streams package's root {@link StreamsError}: each
 * has a stable `code`, the `cause` when there is one, and the fix in its message. Messages and
 * causes never carry secrets from the client options (see `redactSecrets`).
 */
import { StreamsError, type StreamsErrorOptions } from '@tributary/streams';
import { clientErrorIn } from './client/client-error.js';

/** Source or global topics the topology reads are missing from the cluster. */
export class MissingSourceTopicsError extends StreamsError {
  /** The topics that do not exist. */
  readonly topics: readonly string[];

  /**
   * Tributary throws it with code `SOURCE_TOPICS_MISSING` and a message listing `topics`, the
   * missing ones, and saying to create them.
   */
  constructor(topics: readonly string[], options?: StreamsErrorOptions) {
    super(
      'SOURCE_TOPICS_MISSING',
      `The topology reads topics that do not exist on the cluster: [${topics.join(', ')}]. Create them (with the partition counts you want) before starting the application.`,
      options,
    );
    this.topics = topics;
  }
}

/** An internal topic (changelog or repartition) exists with a partition count the topology cannot use. */
export class InternalTopicMismatchError extends StreamsError {
  /**
   * Tributary throws it with code `INTERNAL_TOPIC_MISMATCH`; `message` says what failed and how to
   * fix it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('INTERNAL_TOPIC_MISMATCH', message, options);
  }
}

/** Topics that must be co-partitioned (joined inputs) have different partition counts. */
export class CopartitionError extends StreamsError {
  /**
   * Tributary throws it with code `COPARTITION_MISMATCH`; `message` says what failed and how to fix
   * it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('COPARTITION_MISMATCH', message, options);
  }
}

/** The brokers could not be reached, or did not answer in time. */
export class BrokerUnreachableError extends StreamsError {
  /**
   * Tributary throws it with code `BROKER_UNREACHABLE`; `message` says what failed and how to fix
   * it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('BROKER_UNREACHABLE', message, options);
  }
}

/**
 * The application's state directory is in use by another application instance: another process
 * (or another `KafkaStreams` in this one) runs the same application id on the same `stateDir`.
 * Two instances must not share a state directory, as in Kafka Streams: they would open the same
 * stores.
 */
export class StateDirectoryLockedError extends StreamsError {
  /** The locked directory, `<stateDir>/<applicationId>`. */
  readonly directory: string;
  /** The process holding the lock, when known. */
  readonly holderPid: number | undefined;

  /**
   * Tributary throws it with code `STATE_DIRECTORY_LOCKED`: `directory` is the locked directory,
   * `holderPid` the process holding it when known; `message` says how to fix it.
   */
  constructor(message: string, directory: string, holderPid: number | undefined, options?: StreamsErrorOptions) {
    super('STATE_DIRECTORY_LOCKED', message, options);
    this.directory = directory;
    this.holderPid = holderPid;
  }
}

/** A call the application's current state does not allow, such as `start()` twice. */
export class IllegalStateError extends StreamsError {
  /**
   * Tributary throws it with code `ILLEGAL_STATE`; `message` says what failed and how to fix it,
   * `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('ILLEGAL_STATE', message, options);
  }
}

/** A failure that stopped the application (state `ERROR`): a handler chose to fail, or Kafka refused a commit or a send. */
export class StreamsFatalError extends StreamsError {
  /**
   * Tributary throws it with code `STREAMS_FATAL`; `message` says what failed and how to fix it,
   * `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('STREAMS_FATAL', message, options);
  }
}

/** The brokers refused a record (after kafkajs' retries) and the production handler, or the kind of topic, says stop. */
export class RecordSendError extends StreamsError {
  /** The topic the record was for. */
  readonly topic: string;

  /**
   * Tributary throws it with code `RECORD_SEND_FAILED`: `topic` is the record's topic,
   * `options.cause` the brokers' refusal; `message` says how to fix it.
   */
  constructor(message: string, topic: string, options?: StreamsErrorOptions) {
    super('RECORD_SEND_FAILED', message, options);
    this.topic = topic;
  }
}

/**
 * A task's transaction failed with an outcome that cannot be known (a commit that timed out, an
 * abort that failed), or its producer was fenced because another instance took the task over.
 * The stream thread does not retry it: the runtime replaces the thread, whose new producers fence
 * the old epoch, and the tasks resume from their last committed offsets and changelogs.
 */
export class TaskCorruptedError extends StreamsError {
  /** The task whose transaction failed, as `<subtopology>_<partition>`. */
  readonly taskId: string;

  constructor(message: string, taskId: string, options?: StreamsErrorOptions) {
    super('TASK_CORRUPTED', message, options);
    this.taskId = taskId;
  }
}

/**
 * The stream thread lost its group membership while it held tasks (its session expired: the
 * process paused, or the brokers it heartbeats to were unreachable for longer than the session
 * timeout, as while a killed broker's partitions move), so its tasks may have moved to another
 * member and changed meanwhile. Kafka Streams' TaskMigratedException: the runtime replaces the
 * thread, which rejoins the group and resumes its tasks from their last commits. As in Kafka
 * Streams, that is routine, so it does not count towards the replacements that make a failure
 * fatal.
 */
export class TaskMigratedError extends StreamsError {
  /** Every task of the thread. */
  readonly taskId = '*';

  constructor(message: string, options?: StreamsErrorOptions) {
    super('TASK_MIGRATED', message, options);
  }
}

/**
 * Whether `error` (or one of its causes) is a client error the client marked retriable — the
 * brokers unreachable, a request timed out, retries exhausted, a leader moving: trying again
 * later may well succeed.
 */
export function brokersUnavailable(error: unknown): boolean {
  return clientErrorIn(error)?.retriable === true;
}

/**
 * The offset-commit metadata that records where a task's changelogs stood at its last
 * at-least-once commit cannot be written or read: too long for the broker's
 * `offset.metadata.max.bytes`, or written in a form this version does not know.
 */
export class CommitMetadataError extends StreamsError {
  /**
   * Tributary throws it with code `COMMIT_METADATA_TOO_LARGE` or `COMMIT_METADATA_INVALID`;
   * `message` says what failed and how to fix it.
   */
  constructor(code: 'COMMIT_METADATA_TOO_LARGE' | 'COMMIT_METADATA_INVALID', message: string, options?: StreamsErrorOptions) {
    super(code, message, options);
  }
}

/** A query named a store the topology does not have. */
export class UnknownStoreError extends StreamsError {
  /** The name asked for. */
  readonly storeName: string;

  /**
   * Tributary throws it with code `STORE_UNKNOWN` from `query()`, `queryAsync()` and the metadata
   * look-ups when no store of the topology is named `storeName`.
   */
  constructor(storeName: string, options?: StreamsErrorOptions) {
    super('STORE_UNKNOWN', `The topology has no state store named '${storeName}'; check the name given to Materialized.as(...) or Stores.*Supplier(...).`, options);
    this.storeName = storeName;
  }
}

/**
 * A store (or the partition of it a key lives in) cannot be queried on this instance right now:
 * the application is rebalancing, the task holding it is restoring or has moved to another
 * instance, or the application is not running. Retriable: ask again after a moment, or ask
 * `queryMetadataForKey` where the key lives now.
 */
export class StoreUnavailableError extends StreamsError {
  /** Always true: the store becomes queryable again once the rebalance or restore is over. */
  readonly retriable = true;

  /**
   * Tributary throws it with code `STORE_UNAVAILABLE`; `message` says why the store cannot be read
   * here now (rebalancing, restoring, the key's partition held elsewhere) and to retry.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('STORE_UNAVAILABLE', message, options);
  }
}
