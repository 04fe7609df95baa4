/**
 * Interactive queries across the worker threads of `numStreamThreads` above 1: each query goes to
 * the workers as a {@link QueryMessage}, and each answer (or error) comes back as a
 * `query-answer` of the same id, which `ThreadPool` hands to {@link WorkerQueries.settle}. A
 * worker that does not answer in time, cannot take the message or exits leaves its queries
 * unavailable, never waiting for ever.
 */
import { StoreUnavailableError } from '../errors.js';
import { isKeyQuery, type StoreQuery, type StoreQueryAnswer } from './store-query.js';
import { errorFromSnapshot, type ErrorSnapshot, type QueryMessage } from './worker-messages.js';

/** How long a worker gets to answer a query before the query fails as unavailable. */
const QUERY_TIMEOUT_MS = 10_000;

/** A worker thread as the queries see it. */
export interface QueriedThread {
  readonly name: string;
  readonly worker: { postMessage(message: QueryMessage): void };
  /** The tasks the worker last reported running. */
  readonly metrics: { readonly tasks: readonly string[] };
}

export class WorkerQueries {
  private nextQueryId = 1;
  /** Queries sent to workers and not yet answered, by id. */
  private readonly pending = new Map<number, { readonly thread: QueriedThread; readonly settle: (answer: StoreQueryAnswer | Error) => void }>();

  constructor(private readonly timeoutMs = QUERY_TIMEOUT_MS) {}

  /**
   * Answers a query (keys in bytes) from the worker threads. A key query goes to the thread that
   * last reported `ownerTask` running, then to the others until one holds it; it rejects with a
   * `StoreUnavailableError` when none does. Other queries ask every thread and join their
   * answers, up to the query's limit; one thread unable to answer fails the query, as a list
   * missing its tasks' entries would be wrong.
   */
  async query(all: readonly QueriedThread[], query: StoreQuery, ownerTask: string | undefined): Promise<StoreQueryAnswer> {
    const holds = (thread: QueriedThread): number => Number(ownerTask !== undefined && thread.metrics.tasks.includes(ownerTask));
    const threads = [...all].sort((a, b) => holds(b) - holds(a));
    if (threads.length === 0) throw new StoreUnavailableError(`Store '${query.store}' cannot be queried: no stream thread is running yet.`);
    if (isKeyQuery(query)) {
      let unavailable: Error | undefined;
      for (const thread of threads) {
        const answer = await this.ask(thread, query);
        if (!(answer instanceof Error)) return answer;
        if ((answer as { code?: unknown }).code !== 'STORE_UNAVAILABLE') throw answer;
        unavailable ??= answer;
      }
      throw unavailable!;
    }
    const answers = await Promise.all(threads.map((thread) => this.ask(thread, query)));
    const entries: StoreQueryAnswer['entries'] = [];
    let count = 0;
    const limit = 'limit' in query ? query.limit : Infinity;
    for (const answer of answers) {
      // A thread that cannot answer holds tasks whose entries would be missing: no partial list.
      if (answer instanceof Error) throw answer;
      count += answer.count ?? 0;
      for (const entry of answer.entries) if (entries.length < limit) entries.push(entry);
    }
    return query.op === 'kv-count' ? { entries, count } : { entries };
  }

  /** A worker's `query-answer`: its answer, or the error it answered with (rebuilt, with its code). */
  settle(id: number, answer: StoreQueryAnswer | undefined, error: ErrorSnapshot | undefined): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    if (error !== undefined) pending.settle(error.code === 'STORE_UNAVAILABLE' ? new StoreUnavailableError(error.message) : errorFromSnapshot(error));
    else pending.settle(answer ?? { entries: [] });
  }

  /** A worker exited: the queries it had not answered fail as unavailable. */
  abandon(thread: QueriedThread): void {
    for (const pending of [...this.pending.values()]) if (pending.thread === thread) pending.settle(new StoreUnavailableError(`${thread.name} exited before answering a query.`));
  }

  /** Sends one query to one worker; resolves with its answer or the error it answered with. */
  private ask(thread: QueriedThread, query: StoreQuery): Promise<StoreQueryAnswer | Error> {
    const id = this.nextQueryId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(new StoreUnavailableError(`${thread.name} did not answer a query of store '${query.store}' within ${this.timeoutMs} ms.`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        thread,
        settle: (answer) => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(answer);
        },
      });
      try {
        thread.worker.postMessage({ type: 'query', id, query } satisfies QueryMessage);
      } catch (error) {
        this.pending.get(id)?.settle(new StoreUnavailableError(`${thread.name} cannot take queries: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }
}
