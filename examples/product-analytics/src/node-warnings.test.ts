import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { hideKafkajsIdleTimerWarning, isKafkajsIdleTimerWarning } from './node-warnings.js';

/** The Node major version: Node 20 has no `TimeoutNegativeWarning`, 24 has. */
const nodeMajor = Number(process.versions.node.split('.')[0]);

function warningWithStack(name: string, stack: string): Error {
  const warning = new Error('-1796579733216 is a negative number.\nTimeout duration was set to 1.');
  warning.name = name;
  warning.stack = `${name}: ${warning.message}\n${stack}`;
  return warning;
}

const kafkajsFrames = '    at new Timeout (node:internal/timers:233:17)\n    at setTimeout (node:timers:125:19)\n    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)';

describe('hideKafkajsIdleTimerWarning', () => {
  let restore: (() => void) | undefined;
  const saved = process.listeners('warning');
  afterEach(() => {
    restore?.();
    restore = undefined;
    process.removeAllListeners('warning');
    for (const listener of saved) process.on('warning', listener);
  });

  /** Replaces the process's warning listeners with one that notes what it is given, then hides the kafkajs warning. */
  function printed(): Error[] {
    const seen: Error[] = [];
    process.removeAllListeners('warning');
    process.on('warning', (warning) => void seen.push(warning));
    restore = hideKafkajsIdleTimerWarning();
    return seen;
  }

  it("drops only Node's warning about kafkajs' idle-queue timer, and hands every other warning to the listeners there were", () => {
    const seen = printed();
    const kafkajs = warningWithStack('TimeoutNegativeWarning', kafkajsFrames);
    const otherTimer = warningWithStack('TimeoutNegativeWarning', '    at setTimeout (node:timers:125:19)\n    at scheduleRetry (/app/src/retry.js:4:3)');
    const deprecation = warningWithStack('DeprecationWarning', kafkajsFrames);
    for (const warning of [kafkajs, otherTimer, deprecation]) process.emit('warning', warning);
    expect(seen).toEqual([otherTimer, deprecation]);
    expect([kafkajs, otherTimer, deprecation].map(isKafkajsIdleTimerWarning)).toEqual([true, false, false]);
  });

  it('puts the listeners back as they were', () => {
    const seen = printed();
    restore!();
    restore = undefined;
    process.emit('warning', warningWithStack('TimeoutNegativeWarning', kafkajsFrames));
    expect(seen).toHaveLength(1);
  });

  it("recognizes the warning Node gives for kafkajs' own idle request queue (Node 24 and later; Node 20 gives none)", async () => {
    const seen = printed();
    type RequestQueueClass = new (options: Record<string, unknown>) => { scheduleCheckPendingRequests(): void };
    const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const queue = new RequestQueue({ instrumentationEmitter: null, maxInFlightRequests: 1, requestTimeout: 1_000, enforceRequestTimeout: false, clientId: 'test', broker: 'test', logger: { namespace: () => silent }, isConnected: () => true });
    const emitted: Error[] = [];
    const note = (warning: Error): void => void emitted.push(warning);
    process.on('warning', note);
    try {
      queue.scheduleCheckPendingRequests();
      // Node emits a warning on the next tick; the timer runs after 1 ms.
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.removeListener('warning', note);
    }
    if (nodeMajor >= 24) expect(emitted.map((warning) => warning.name)).toEqual(['TimeoutNegativeWarning']);
    if (nodeMajor === 20) expect(emitted).toEqual([]);
    expect(emitted.every(isKafkajsIdleTimerWarning)).toBe(true);
    expect(seen).toEqual([]);
  });
});
