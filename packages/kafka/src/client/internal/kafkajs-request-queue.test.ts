import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixKafkajsIdlePolling } from '../../kafkajs-idle-polling.js';
import { installIdleRequestQueue } from './kafkajs-request-queue.js';

const require = createRequire(import.meta.url);
const queuePath = require.resolve('kafkajs/src/network/requestQueue/index.js');

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  push(request: { entry: { correlationId: number; apiName: string; apiKey: number; apiVersion: number; resolve: () => void; reject: () => void }; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  checkPendingRequests(): void;
  maybeThrottle(milliseconds: number): void;
}
type QueueClass = new (options: object) => Queue;

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const options = (maxInFlightRequests: number | null = null): object => ({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:9092', logger: silent, isConnected: () => true });
const request = (correlationId: number, sent: number[]): Parameters<Queue['push']>[0] => ({
  entry: { correlationId, apiName: 'Fetch', apiKey: 1, apiVersion: 11, resolve: () => {}, reject: () => {} },
  expectResponse: true,
  sendRequest: () => sent.push(correlationId),
});

/**
 * kafkajs' RequestQueue class loaded afresh (the process's own may be patched already by another
 * test's supplier), then put back, so what each test patches is its own copy.
 */
let cached: NodeJS.Module | undefined;
function freshQueueClass(): QueueClass {
  delete require.cache[queuePath];
  return require(queuePath) as QueueClass;
}

describe('kafkajs request queues with nothing to send', () => {
  beforeEach(() => {
    cached = require.cache[queuePath];
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    if (cached !== undefined) require.cache[queuePath] = cached;
  });

  it('poll every millisecond in kafkajs 2.2.4 as it is, with a negative delay (the bug; a kafkajs that fixes it fails here, and the patch can go)', () => {
    const RequestQueue = freshQueueClass();
    const delays: number[] = [];
    const setTimer = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delay: number) => {
      delays.push(delay);
      return { unref: () => {}, ref: () => {}, hasRef: () => true, refresh: () => {} } as unknown as NodeJS.Timeout;
    }) as typeof setTimeout);
    try {
      new RequestQueue(options()).checkPendingRequests();
    } finally {
      setTimer.mockRestore();
    }
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThan(0);
  });

  it('set no timer once patched, after a response and when asked to check', () => {
    const RequestQueue = freshQueueClass();
    installIdleRequestQueue();
    const queue = new RequestQueue(options());
    const sent: number[] = [];
    queue.push(request(1, sent));
    expect(sent).toEqual([1]);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    queue.checkPendingRequests();
    expect(vi.getTimerCount()).toBe(0);
    expect(queue.inflight.size).toBe(0);
  });

  it('still send a request queued behind a throttle when the throttle ends, and then stop', () => {
    const RequestQueue = freshQueueClass();
    installIdleRequestQueue();
    const queue = new RequestQueue(options());
    queue.maybeThrottle(50);
    const sent: number[] = [];
    queue.push(request(7, sent));
    expect(sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([7]);
    queue.fulfillRequest({ correlationId: 7, payload: Buffer.alloc(0), size: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still send a request queued behind the in-flight limit, on the response that frees a place or on its own poll', () => {
    const RequestQueue = freshQueueClass();
    installIdleRequestQueue();
    const queue = new RequestQueue(options(1));
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.push(request(2, sent));
    queue.push(request(3, sent));
    expect(sent).toEqual([1]);
    expect(queue.pending).toHaveLength(2);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    // A response that never comes: kafkajs' request timeout frees the place; here, the poll sends
    // the last request once the in-flight one is gone.
    queue.inflight.delete(2);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([1, 2, 3]);
    queue.fulfillRequest({ correlationId: 3, payload: Buffer.alloc(0), size: 0 });
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is installed by the public fixKafkajsIdlePolling, once however often it is called', () => {
    const RequestQueue = freshQueueClass();
    const prototype = (RequestQueue as unknown as { prototype: { scheduleCheckPendingRequests: unknown } }).prototype;
    const stock = prototype.scheduleCheckPendingRequests;
    fixKafkajsIdlePolling();
    const patched = prototype.scheduleCheckPendingRequests;
    expect(patched).not.toBe(stock);
    fixKafkajsIdlePolling();
    installIdleRequestQueue();
    expect(prototype.scheduleCheckPendingRequests).toBe(patched);
    new RequestQueue(options()).checkPendingRequests();
    expect(vi.getTimerCount()).toBe(0);
  });
});
