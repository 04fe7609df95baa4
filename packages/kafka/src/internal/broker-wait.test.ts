import { Headers, silentLogger } from '@tributary/streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaClientError } from '../client/client-error.js';
import type { OutgoingKafkaRecord, RecordSender, SendAcknowledgement } from '../client/kafka-client.js';
import { TaskCorruptedError } from '../errors.js';
import { boundedSender, DELIVERY_TIMEOUT_MS, withinLimit } from './broker-wait.js';
import { KafkaRecordCollector } from './kafka-record-collector.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A sender whose sends the brokers never acknowledge, as a client that retries without end. */
function silentSender(): RecordSender & { readonly sends: number } {
  let sends = 0;
  return {
    get sends() {
      return sends;
    },
    send: (_topic: string, _records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> => {
      sends++;
      return new Promise(() => {});
    },
  };
}

describe('withinLimit', () => {
  it('settles as the work does within the limit, leaving no timer behind', async () => {
    vi.useFakeTimers();
    await expect(withinLimit(Promise.resolve(7), 1_000, 'answer')).resolves.toBe(7);
    await expect(withinLimit(Promise.reject(new Error('refused')), 1_000, 'answer')).rejects.toThrow('refused');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails as the brokers being unavailable, retriable, once the limit passed', async () => {
    vi.useFakeTimers();
    const waiting = withinLimit(new Promise(() => {}), 1_000, 'commit the transaction');
    const outcome = expect(waiting).rejects.toMatchObject({ kind: 'unavailable', retriable: true, code: 'KAFKA_CLIENT_UNAVAILABLE' });
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void waiting.catch(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    await expect(waiting).rejects.toThrow('The brokers did not commit the transaction within 1000 ms');
    await expect(waiting).rejects.toBeInstanceOf(KafkaClientError);
  });
});

describe('boundedSender', () => {
  it("fails a flush whose sends are never acknowledged after Kafka's delivery timeout: the thread is rebuilt, nothing is dropped", async () => {
    vi.useFakeTimers();
    const sender = silentSender();
    const collector = new KafkaRecordCollector({
      producer: boundedSender(sender),
      partitionCounts: new Map([['out', 2]]),
      changelogTopics: new Set(),
      productionExceptionHandler: () => {
        throw new Error('the production handler must not be asked: the records are not to blame');
      },
      logger: silentLogger,
      deadLetterMaxBytes: 4_096,
    });
    collector.send('out', null, Buffer.from('a'), new Headers(), 0, 0);
    collector.send('out', null, Buffer.from('b'), new Headers(), 0, 1);
    const flushed = collector.flush();
    const outcome = expect(flushed).rejects.toBeInstanceOf(TaskCorruptedError);
    await vi.advanceTimersByTimeAsync(DELIVERY_TIMEOUT_MS - 1);
    expect(sender.sends).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    await expect(flushed).rejects.toThrow(/did not acknowledge 1 record\(s\) sent to out within 120000 ms/);
  });
});
