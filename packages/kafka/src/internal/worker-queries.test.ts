import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../errors.js';
import type { StoreQueryAnswer } from './store-query.js';
import { snapshotError, type QueryMessage } from './worker-messages.js';
import { WorkerQueries, type QueriedThread } from './worker-queries.js';

/** A worker that records the queries posted to it; the test answers them through `settle`. */
interface FakeWorker extends QueriedThread {
  readonly asked: QueryMessage[];
}

function worker(name: string, tasks: string[], postMessage?: (message: QueryMessage) => void): FakeWorker {
  const asked: QueryMessage[] = [];
  return { name, metrics: { tasks }, asked, worker: { postMessage: postMessage ?? ((message) => void asked.push(message)) } };
}

const get = { op: 'kv-get', store: 'counts', key: 'a', partition: 1 } as const;
const entry = (key: string) => ({ key, value: 1 });
const unavailable = (thread: string) => snapshotError(new StoreUnavailableError(`${thread} does not hold task 0_1`));
/** Lets the query reach its next `await`. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('WorkerQueries', () => {
  it('asks the thread that reported the key\'s task first, then the others while each answers unavailable', async () => {
    const queries = new WorkerQueries();
    const first = worker('StreamThread-1', ['0_0']);
    const second = worker('StreamThread-2', ['0_1']);
    const third = worker('StreamThread-3', []);
    const answer = queries.query([first, second, third], get, '0_1');
    await turn();
    expect([first.asked.length, second.asked.length, third.asked.length]).toEqual([0, 1, 0]);
    queries.settle(second.asked[0]!.id, undefined, unavailable('StreamThread-2'));
    await turn();
    expect(first.asked).toHaveLength(1);
    queries.settle(first.asked[0]!.id, { entries: [entry('a')] }, undefined);
    await expect(answer).resolves.toEqual({ entries: [entry('a')] });
    expect(third.asked).toEqual([]);
  });

  it('rejects a key query unavailable when no thread holds it, and at once with any other error a thread answers', async () => {
    const queries = new WorkerQueries();
    const only = worker('StreamThread-1', []);
    const none = queries.query([only], get, undefined);
    await turn();
    queries.settle(only.asked[0]!.id, undefined, unavailable('StreamThread-1'));
    await expect(none).rejects.toBeInstanceOf(StoreUnavailableError);

    const failing = queries.query([only, worker('StreamThread-2', [])], get, undefined);
    await turn();
    queries.settle(only.asked[1]!.id, undefined, snapshotError(Object.assign(new TypeError('bad key'), { code: 'SERDE' })));
    const error: unknown = await failing.catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: 'TypeError', message: 'bad key', code: 'SERDE' });
  });

  it('joins every thread\'s answer to a range query up to its limit, and sums counts', async () => {
    const queries = new WorkerQueries();
    const threads = [worker('StreamThread-1', ['0_0']), worker('StreamThread-2', ['0_1'])];
    const all = queries.query(threads, { op: 'kv-all', store: 'counts', limit: 3 }, undefined);
    await turn();
    queries.settle(threads[0]!.asked[0]!.id, { entries: [entry('a'), entry('b')] }, undefined);
    queries.settle(threads[1]!.asked[0]!.id, { entries: [entry('c'), entry('d')] }, undefined);
    await expect(all).resolves.toEqual({ entries: [entry('a'), entry('b'), entry('c')] });

    const count = queries.query(threads, { op: 'kv-count', store: 'counts' }, undefined);
    await turn();
    queries.settle(threads[0]!.asked[1]!.id, { entries: [], count: 2 }, undefined);
    queries.settle(threads[1]!.asked[1]!.id, { entries: [], count: 5 }, undefined);
    await expect(count).resolves.toEqual({ entries: [], count: 7 });
  });

  it('fails a range query when one thread cannot answer, rather than list part of the store', async () => {
    const queries = new WorkerQueries();
    const threads = [worker('StreamThread-1', ['0_0']), worker('StreamThread-2', ['0_1'])];
    const all = queries.query(threads, { op: 'kv-all', store: 'counts', limit: 10 }, undefined);
    await turn();
    queries.settle(threads[0]!.asked[0]!.id, { entries: [entry('a')] }, undefined);
    queries.abandon(threads[1]!);
    await expect(all).rejects.toThrow('StreamThread-2 exited before answering a query.');
  });

  it('answers unavailable when a worker does not answer in time or cannot take the message', async () => {
    const queries = new WorkerQueries(20);
    const silent = worker('StreamThread-1', ['0_1']);
    await expect(queries.query([silent], get, '0_1')).rejects.toThrow("StreamThread-1 did not answer a query of store 'counts' within 20 ms.");
    // A late answer to a query that timed out is ignored.
    queries.settle(silent.asked[0]!.id, { entries: [entry('late')] }, undefined);
    const closed = worker('StreamThread-2', ['0_1'], () => {
      throw new Error('the worker has exited');
    });
    await expect(queries.query([closed], get, '0_1')).rejects.toThrow('StreamThread-2 cannot take queries: the worker has exited');
    await expect(queries.query([], get, '0_1')).rejects.toThrow("Store 'counts' cannot be queried: no stream thread is running yet.");
  });

  it('gives an empty answer for a worker that answered with neither entries nor an error', async () => {
    const queries = new WorkerQueries();
    const thread = worker('StreamThread-1', ['0_1']);
    const answer: Promise<StoreQueryAnswer> = queries.query([thread], get, '0_1');
    await turn();
    queries.settle(thread.asked[0]!.id, undefined, undefined);
    await expect(answer).resolves.toEqual({ entries: [] });
  });
});
