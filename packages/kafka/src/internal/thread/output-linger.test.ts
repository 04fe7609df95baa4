import { describe, expect, it } from 'vitest';
import { Headers, recordSizeInBytes, silentLogger } from '@tributary/streams';
import type { OutgoingKafkaRecord } from '../../client/kafka-client.js';
import { KafkaRecordCollector, PENDING_RECORD_OVERHEAD_BYTES } from '../kafka-record-collector.js';
import { MAX_PENDING_BYTES, OutputLinger } from './output-linger.js';
import { ThreadLock } from './thread-lock.js';

/** A collector whose sends wait until the test acknowledges them all. */
function heldCollector() {
  let release: () => void = () => {};
  let held = new Promise<void>((resolve) => (release = resolve));
  let sent = 0;
  const collector = new KafkaRecordCollector({
    producer: {
      send: async (_topic: string, records: readonly OutgoingKafkaRecord[]) => {
        await held;
        sent += records.length;
        return [];
      },
    },
    partitionCounts: new Map([['out', 1]]),
    changelogTopics: new Set(),
    productionExceptionHandler: () => ({ action: 'continue' }),
    logger: silentLogger,
    deadLetterMaxBytes: 4_096,
  });
  const acknowledge = () => {
    release();
    held = Promise.resolve();
  };
  return { collector, acknowledge, sent: () => sent };
}

function linger(collector: KafkaRecordCollector, failures: unknown[]): OutputLinger {
  return new OutputLinger({ sharedCollector: collector, tasks: new Map(), lock: new ThreadLock((error) => failures.push(error)), active: () => true, mayAct: () => true, fail: (error) => failures.push(error) });
}

/** Whether `promise` settles before the event loop has turned a few times. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('OutputLinger: the bound on records waiting to be sent', () => {
  it('counts what waiting records hold: their bytes and an allowance for the objects around them', () => {
    const { collector } = heldCollector();
    collector.send('out', Buffer.alloc(3), Buffer.alloc(100), new Headers(), 0, 0);
    collector.send('out', null, null, new Headers(), 0, 0);
    expect(collector.pendingBytes).toBe(2 * PENDING_RECORD_OVERHEAD_BYTES + 103);
    const headers = new Headers().add('trace', 'abc');
    collector.send('out', null, Buffer.alloc(10), headers, 0, 0);
    expect(collector.pendingBytes).toBe(3 * PENDING_RECORD_OVERHEAD_BYTES + 103 + recordSizeInBytes(null, Buffer.alloc(10), headers));
  });

  it('lets the thread go on while many small records wait for their acknowledgements', async () => {
    const { collector, acknowledge, sent } = heldCollector();
    const failures: unknown[] = [];
    const output = linger(collector, failures);
    // A send in flight, and 20,000 records (twice the old record-count bound, 6 MB or so with the allowance) waiting behind it.
    collector.send('out', Buffer.from('k'), Buffer.alloc(40), new Headers(), 0, 0);
    collector.sendInBackground();
    for (let index = 0; index < 20_000; index++) collector.send('out', Buffer.from('k'), Buffer.alloc(40), new Headers(), 0, 0);
    expect(collector.pendingBytes).toBeLessThan(MAX_PENDING_BYTES);
    expect(await settlesSoon(output.afterProcessing(collector))).toBe(true);
    expect(collector.pending).toBe(20_000);
    acknowledge();
    await collector.flush();
    expect(sent()).toBe(20_001);
    output.stop();
    expect(failures).toEqual([]);
  });

  it('holds the thread until every waiting record is acknowledged once they hold the bound', async () => {
    const { collector, acknowledge, sent } = heldCollector();
    const failures: unknown[] = [];
    const output = linger(collector, failures);
    // A send in flight, and 32 records of 1 MiB waiting behind it (under the old bound of 10,000 records).
    collector.send('out', null, Buffer.alloc(1), new Headers(), 0, 0);
    collector.sendInBackground();
    const megabyte = Buffer.alloc(1024 * 1024);
    const records = Math.ceil(MAX_PENDING_BYTES / megabyte.length);
    for (let index = 0; index < records; index++) collector.send('out', null, megabyte, new Headers(), 0, 0);
    expect(collector.pendingBytes).toBeGreaterThanOrEqual(MAX_PENDING_BYTES);
    const after = output.afterProcessing(collector);
    expect(await settlesSoon(after)).toBe(false);
    acknowledge();
    expect(await after).toBe(true);
    expect(sent()).toBe(records + 1);
    expect(collector.pendingBytes).toBe(0);
    output.stop();
    expect(failures).toEqual([]);
  });
});
