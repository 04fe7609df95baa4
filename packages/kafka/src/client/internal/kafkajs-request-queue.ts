/**
 * Stops kafkajs 2.2.4's request queues from polling while they have nothing to send (kafkajs
 * issues 1704 and 1751).
 *
 * Each broker connection has a queue. After every response it calls `scheduleCheckPendingRequests`,
 * which sets a timer for `throttledUntil - Date.now()` milliseconds even when no request waits.
 * `throttledUntil` is -1 unless the broker throttled the client, so the delay is minus the epoch
 * time: Node clamps it to 1 ms, and from Node 23 on prints a `TimeoutNegativeWarning` as well.
 * The timer checks the empty queue and sets the next one. So every connection that has had a
 * response runs a 1 ms timer until it closes. Measured on the broker of `scripts/kafka-broker.sh`:
 * an idle process with a kafkajs admin and producer ran about 1,800 timers a second and used 4% of
 * a core, against none and 0.4% with this fix.
 *
 * The fix sets no timer while the queue is empty. kafkajs itself sets one when a request joins
 * the queue (`push`), and checks the queue again after every response and every request timeout,
 * so a waiting request is sent as before. With requests waiting, the timer is kafkajs' own,
 * unchanged. It is installed on kafkajs' `RequestQueue` class, shared by every kafkajs client of
 * the process (or worker thread), because the loop it removes does nothing for any of them.
 */
import { createRequire } from 'node:module';

const INSTALLED = Symbol.for('tributary.kafka.idleRequestQueue');

interface RequestQueuePrototype {
  scheduleCheckPendingRequests(this: { pending?: unknown }): void;
  [INSTALLED]?: true;
}

/** Patches kafkajs' request queue once; a kafkajs without the class as expected is left alone. */
export function installIdleRequestQueue(): void {
  let prototype: RequestQueuePrototype | undefined;
  try {
    const require = createRequire(import.meta.url);
    prototype = (require('kafkajs/src/network/requestQueue/index.js') as { prototype?: RequestQueuePrototype }).prototype;
  } catch {
    return;
  }
  if (typeof prototype?.scheduleCheckPendingRequests !== 'function' || prototype[INSTALLED] === true) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function (this: { pending?: unknown }): void {
    // An empty queue has nothing to check: a request that joins it schedules its own check.
    if (Array.isArray(this.pending) && this.pending.length === 0) return;
    schedule.call(this);
  };
  prototype[INSTALLED] = true;
}
