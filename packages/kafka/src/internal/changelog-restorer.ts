/**
 * Restores state stores from their changelog topics before their tasks process. The client seam
 * has no `assign()` (kafkajs has none), so a short-lived consumer in a throwaway group (only this member, so it gets every
 * partition of the changelogs it subscribes to) seeks each needed partition to where the store's
 * data ends (its checkpoint, or the beginning) and reads up to the end offset taken when the
 * restore began, handing the records to the store in bulk. It never commits offsets, and never
 * takes a partition short of that end as restored: while brokers fail over it waits, and after
 * `stallTimeoutMs` without progress it fails as a corrupted task, to be restored again.
 */
import { randomUUID } from 'node:crypto';
import type { FetchedBatch, FetchedRecord, KafkaClientSupplier, StreamsAdmin, StreamsConsumer } from '../client/kafka-client.js';
import type { ChangelogRecord, Logger } from '@tributary/streams';
import type { TaskMetrics } from '@tributary/streams/engine';
import { changelogRecord } from './kafka-messages.js';
import { TaskCorruptedError } from '../errors.js';

/** One store's changelog partition to replay. */
export interface RestoreRequest {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  /** The first offset to read (the checkpoint), or 0. */
  readonly fromOffset: number;
  /**
   * Where the store's consistent state ends (at-least-once: the changelog end recorded with the
   * last offset commit): only records before it are applied, the ones from it to the end of the
   * partition (the uncommitted tail) go to {@link onTail}. `undefined`: apply to the end.
   */
  readonly endOffset?: number;
  /** Called with the key and timestamp of each tail record (see {@link endOffset}), in order. */
  onTail?(key: Buffer, timestamp: number): void;
  /** Applies records in order, in bulk (awaited before the next batch). */
  apply(records: ChangelogRecord[]): void | Promise<void>;
  /** The task's metrics: `restored` and `restoreRemaining` (KIP-869) follow the restore. */
  readonly metrics?: TaskMetrics;
}

export interface RestoreOptions {
  readonly groupIdPrefix: string;
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Called after each applied batch with its record count. */
  readonly onRecords: (count: number) => void;
  /** Called to abandon a restore (the application is closing). */
  readonly cancelled: () => boolean;
  /** How often progress is logged. Default 5000 ms. */
  readonly progressIntervalMs?: number;
  /**
   * Without progress for this long, the unfinished partitions are sought again at their positions
   * and a warning says the restore waits (the brokers may be failing over). Default 30000 ms.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Without progress for this long, the restore fails with a {@link TaskCorruptedError} (the
   * thread is rebuilt and restores again), as Kafka Streams fails a task after `task.timeout.ms`.
   * A partition short of its end is never taken as restored: its store would miss what follows.
   * Default 300000 ms.
   */
  readonly stallTimeoutMs?: number;
}

interface PartitionProgress {
  readonly request: RestoreRequest;
  readonly end: number;
  position: number;
  done: boolean;
}

/** What a restore did: records applied, and the changelog offset each request's store now reflects (at most its `endOffset`). */
export interface RestoreResult {
  readonly restored: number;
  readonly positions: Map<RestoreRequest, number>;
}

/** Replays the changelog partitions of `requests`. */
export async function restoreChangelogs(client: KafkaClientSupplier, admin: StreamsAdmin, requests: readonly RestoreRequest[], options: RestoreOptions): Promise<RestoreResult> {
  const positions = new Map<RestoreRequest, number>();
  const { logger } = options;
  const progress = new Map<string, PartitionProgress>();
  const endOffsets = new Map<string, Map<number, { low: number; high: number }>>();
  for (const topic of new Set(requests.map((request) => request.topic))) {
    const offsets = await admin.listOffsets(topic);
    endOffsets.set(topic, new Map(offsets.map((entry) => [entry.partition, { low: entry.low, high: entry.high }])));
  }
  for (const request of requests) {
    const bounds = endOffsets.get(request.topic)?.get(request.partition);
    if (bounds === undefined) continue;
    const from = Math.max(request.fromOffset, bounds.low);
    positions.set(request, Math.min(Math.max(from, Math.min(request.fromOffset, bounds.high)), request.endOffset ?? Number.POSITIVE_INFINITY));
    if (from >= bounds.high) continue;
    progress.set(`${request.topic}:${request.partition}`, { request, end: bounds.high, position: from, done: false });
    if (request.metrics !== undefined) request.metrics.restoreRemaining += bounds.high - from;
  }
  if (progress.size === 0) return { restored: 0, positions };
  const total = [...progress.values()].reduce((sum, entry) => sum + (entry.end - entry.position), 0);
  const started = Date.now();
  let restored = 0;
  logger.info(`Restoring ${progress.size} changelog partition(s), up to ${total} records`, {
    partitions: [...progress.values()].map((entry) => `${entry.request.topic}-${entry.request.partition} [${entry.position}, ${entry.end})`),
  });
  const topics = [...new Set([...progress.values()].map((entry) => entry.request.topic))];
  let stopped = false;
  const consumer: StreamsConsumer = client.consumer({
    groupId: `${options.groupIdPrefix}-restore-${randomUUID()}`,
    sessionTimeoutMs: options.sessionTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    // A crash that races the disconnect below must not bring the consumer back.
    mayRestart: () => !stopped,
  });
  await consumer.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      let lastRecordAt = Date.now();
      let lastNudgeAt = 0;
      let joined = false;
      let finished = false;
      const finish = (error?: unknown): void => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const checkDone = (): void => {
        for (const entry of progress.values()) if (!entry.done) return;
        finish();
      };
      const timer = setInterval(() => {
        if (options.cancelled()) return finish();
        const elapsed = (Date.now() - started) / 1000;
        logger.info(`Restoring: ${restored} of up to ${total} records (${Math.round(restored / Math.max(elapsed, 0.001))} records/s)`);
        const idleMs = Date.now() - lastRecordAt;
        const stuck = [...progress.values()].filter((entry) => !entry.done);
        const describe = (): string => stuck.map((entry) => `${entry.request.topic}-${entry.request.partition} at offset ${entry.position} of ${entry.end}`).join(', ');
        if (idleMs > (options.stallTimeoutMs ?? 300_000)) {
          finish(
            new TaskCorruptedError(
              `Restoring changelog(s) ${describe()} made no progress for ${Math.round(idleMs / 1000)} s: the stream thread is rebuilt and restores them again. If this repeats, check that the brokers leading these partitions are up and that the restoring consumer can fetch from them.`,
              '*',
            ),
          );
        } else if (idleMs > (options.idleTimeoutMs ?? 30_000) && Date.now() - lastNudgeAt > (options.idleTimeoutMs ?? 30_000)) {
          // Never taken as restored: a broker failing over can hold the records back this long.
          lastNudgeAt = Date.now();
          logger.warn(`Restoring changelog(s) ${describe()}: no records for ${Math.round(idleMs / 1000)} s; still waiting (a broker may be failing over).`);
          for (const entry of joined ? stuck : []) {
            try {
              consumer.seek(entry.request.topic, entry.request.partition, entry.position);
            } catch {
              // Between a crash and its rejoin: the join seeks every partition anyway.
            }
          }
        }
      }, options.progressIntervalMs ?? 5000);
      const onAssigned = (assigned: Readonly<Record<string, readonly number[]>>): void => {
        joined = true;
        // Only this member is in the group: it has every partition. Seek the needed ones, pause the rest.
        for (const [topic, partitions] of Object.entries(assigned)) {
          const idle: number[] = [];
          for (const partition of partitions) {
            const entry = progress.get(`${topic}:${partition}`);
            if (entry === undefined || entry.done) idle.push(partition);
            else consumer.seek(topic, partition, entry.position);
          }
          if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
        }
      };
      // A batch of only transaction markers or aborted records has no record; under exactly-once
      // a changelog ends with a commit marker, so it must still move the position.
      const skipped = ({ topic, partition, lastOffset }: FetchedBatch): void => {
        const entry = progress.get(`${topic}:${partition}`);
        if (entry === undefined || entry.done || finished) return;
        const next = lastOffset + 1;
        if (next > entry.position) {
          entry.position = Math.min(next, entry.end);
          lastRecordAt = Date.now();
        }
        if (entry.position >= entry.end) {
          entry.done = true;
          consumer.pause([{ topic, partitions: [partition] }]);
          checkDone();
        }
      };
      const onBatch = async (batch: FetchedBatch): Promise<void> => {
        if (batch.records.length === 0) return skipped(batch);
        const entry = progress.get(`${batch.topic}:${batch.partition}`);
        if (entry === undefined || entry.done || finished) return;
        try {
          await applyBatch(entry, batch.records, batch.lastOffset, batch.topic, batch.partition);
        } catch (error) {
          finish(error);
        }
      };
      consumer
        .subscribe(topics, { onAssigned: ({ partitions }) => onAssigned(partitions), onFailed: (error) => finish(error) })
        .then(() => consumer.run(onBatch))
        .catch(finish);
      const applyBatch = async (entry: PartitionProgress, messages: readonly FetchedRecord[], lastOffset: number, topic: string, partition: number): Promise<void> => {
            const records: ChangelogRecord[] = [];
            const { endOffset, onTail } = entry.request;
            const before = entry.position;
            let position = before;
            for (const message of messages) {
              const offset = Number(message.offset);
              if (offset < position || offset >= entry.end) continue;
              if (message.key !== null) {
                if (endOffset === undefined || offset < endOffset) records.push(changelogRecord(message.key, message));
                else onTail?.(message.key, Number(message.timestamp));
              }
              position = offset + 1;
            }
            const next = lastOffset + 1;
            if (next > position && next <= entry.end) position = next;
            const metrics = entry.request.metrics;
            if (metrics !== undefined) {
              metrics.restoreRemaining -= position - before;
              metrics.restored += records.length;
            }
            if (records.length > 0) {
              await entry.request.apply(records);
              restored += records.length;
              options.onRecords(records.length);
            }
            // Moved only once the store holds the batch: a restore that stops meanwhile (cancelled,
            // its client's disconnect not waiting for the batch) reports no position, and so writes
            // no checkpoint, past what its store holds.
            entry.position = position;
            if (entry.position > before) lastRecordAt = Date.now();
            if (entry.position >= entry.end) {
              entry.done = true;
              consumer.pause([{ topic, partitions: [partition] }]);
              checkDone();
            }
      };
    });
  } finally {
    stopped = true;
    // A partition taken as restored before its end (its tail compacted away, or the restore stopped) has nothing more to restore.
    for (const entry of progress.values()) {
      if (entry.request.metrics !== undefined && entry.position < entry.end) entry.request.metrics.restoreRemaining -= entry.end - entry.position;
    }
    await consumer.disconnect().catch((error: unknown) => logger.warn('Could not disconnect the restore consumer', { error: String(error) }));
  }
  const seconds = (Date.now() - started) / 1000;
  logger.info(`Restored ${restored} records in ${seconds.toFixed(1)} s (${Math.round(restored / Math.max(seconds, 0.001))} records/s)`);
  for (const entry of progress.values()) positions.set(entry.request, Math.min(entry.position, entry.request.endOffset ?? Number.POSITIVE_INFINITY));
  return { restored, positions };
}
