/**
 * What the supervisor of `numStreamThreads` above 1 (`thread-pool.ts`) and its worker threads
 * (`stream-thread-worker.ts`) tell each other. Everything here crosses `postMessage`, so it is
 * plain data: errors travel as {@link ErrorSnapshot}s and are rebuilt on the other side.
 */
import type { Logger, Metric } from '@tributary/streams';
import type { DropReason } from '@tributary/streams/engine';
import type { KafkaStreamsState } from '../kafka-streams.js';
import type { StoreQuery, StoreQueryAnswer } from './store-query.js';
import type { GroupSnapshot } from './streams-metadata-state.js';

/** A worker's counters, in a form `postMessage` can carry. */
export interface MetricsSnapshot {
  readonly processed: number;
  readonly dropped: [DropReason, number][];
  readonly tasks: string[];
  readonly restored: number;
  readonly standbyTasks?: string[];
  readonly standbyRecords?: number;
  readonly streamTimeAheadOfWallClockMs?: number;
  /** The worker's thread, task, node, store and consumer-lag metrics (not its client-level ones). */
  readonly all?: Metric[];
}

/** An error, as a worker reports it. */
export interface ErrorSnapshot {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
}

/** What a worker tells the supervisor. */
export type WorkerMessage =
  | { readonly type: 'state'; readonly state: KafkaStreamsState; readonly metrics: MetricsSnapshot }
  | { readonly type: 'metrics'; readonly metrics: MetricsSnapshot }
  | { readonly type: 'failed'; readonly error: ErrorSnapshot }
  | { readonly type: 'log'; readonly level: keyof Logger; readonly message: string; readonly fields: Record<string, unknown> | undefined }
  | { readonly type: 'closed'; readonly metrics: MetricsSnapshot }
  | { readonly type: 'group'; readonly snapshot: GroupSnapshot }
  | { readonly type: 'query-answer'; readonly id: number; readonly answer?: StoreQueryAnswer; readonly error?: ErrorSnapshot };

/** What the supervisor tells a worker. */
export type SupervisorMessage = CloseMessage | QueryMessage;

/** Asks a worker to close. */
export interface CloseMessage {
  readonly type: 'close';
  readonly timeoutMs: number;
}

/** Asks a worker to answer a store query (keys in bytes); it answers with a `query-answer` of the same id. */
export interface QueryMessage {
  readonly type: 'query';
  readonly id: number;
  readonly query: StoreQuery;
}

/** What a worker starts from (`workerData`). */
export interface StreamThreadWorkerData {
  readonly threadIndex: number;
  readonly threadName: string;
  readonly threadModule: string;
  readonly options: Record<string, unknown>;
  /** Options left out of `options` because they cannot cross; the thread module's `createOptions()` gives them. */
  readonly omitted: readonly string[];
  readonly metricsIntervalMs: number;
  readonly processId: string;
}

/** `error` as a worker posts it. */
export function snapshotError(error: unknown): ErrorSnapshot {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack };
  }
  return { name: 'Error', message: String(error), code: undefined, stack: undefined };
}

/** A worker's error rebuilt on the supervisor's side: its name, message, code and (when it had one) stack. */
export function errorFromSnapshot(snapshot: ErrorSnapshot): Error {
  const error = Object.assign(new Error(snapshot.message), { name: snapshot.name, code: snapshot.code });
  if (snapshot.stack !== undefined) error.stack = snapshot.stack;
  return error;
}
