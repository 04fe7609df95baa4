import { describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder } from '@tributary/streams';
import type { FetchedBatch, KafkaClientSupplier, StreamsConsumer } from '../../client/kafka-client.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { startThread, values } from './thread-test-kit.js';

type OnBatch = Parameters<StreamsConsumer['run']>[0];

/** The cluster's clients, with the handler the thread gives its consumer's `run` wrapped by `wrap`. */
function wrapOnBatch(base: KafkaClientSupplier, wrap: (onBatch: OnBatch) => OnBatch): KafkaClientSupplier {
  const consumer = (config: Parameters<KafkaClientSupplier['consumer']>[0]): StreamsConsumer => {
    const inner = base.consumer(config);
    return new Proxy(inner, {
      get(target, property, receiver) {
        if (property !== 'run') {
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        const run: StreamsConsumer['run'] = (onBatch, options) => target.run(wrap(onBatch), options);
        return run;
      },
    });
  };
  return { ...base, consumer };
}

/** The cluster's clients, with the thread's consumer delivering each batch twice, as a client may after a rebalance. */
function deliverTwice(base: KafkaClientSupplier): KafkaClientSupplier {
  return wrapOnBatch(base, (onBatch) => async (batch: FetchedBatch, markConsumed) => {
    await onBatch(batch, markConsumed);
    await onBatch(batch, markConsumed);
  });
}

/** The cluster's clients, with the thread's consumer noting, for each batch, whether the event loop turned before the thread's handler resolved. */
function noteTurns(base: KafkaClientSupplier, turned: boolean[]): KafkaClientSupplier {
  return wrapOnBatch(base, (onBatch) => async (batch: FetchedBatch, markConsumed) => {
    let turn = false;
    setImmediate(() => (turn = true));
    await onBatch(batch, markConsumed);
    turned.push(turn);
  });
}

describe('BatchLoop', () => {
  it('lets the event loop turn after a batch when it last turned 10 ms or more before, so V8 can finish its collections while fetched batches keep coming', async () => {
    const cluster = new FakeKafkaCluster();
    const turned: boolean[] = [];
    const { fatal, started } = await startThread(cluster, { client: noteTurns(cluster.supplier(), turned) });
    await started;
    for (const value of ['one', 'two', 'three']) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      cluster.produce('in', 0, [{ key: 'k', value }]);
      await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toContain(value.toUpperCase()));
    }
    expect(turned.length).toBeGreaterThanOrEqual(3);
    expect(turned.every(Boolean)).toBe(true);
    expect(fatal).toEqual([]);
  });

  it('feeds a task each record once, though its batch is delivered again', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal, started } = await startThread(cluster, { client: deliverTwice(cluster.supplier()) });
    await started;
    cluster.produce('in', 0, [
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
    ]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO']));
    cluster.produce('in', 0, [{ key: 'c', value: 'three' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO', 'THREE']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO', 'THREE']);
    expect(thread.processedCount()).toBe(3);
    expect(fatal).toEqual([]);
  });

  it('moves past a fetch holding only aborted records, which a client fetching from the last marked offset would fetch for ever', async () => {
    const cluster = new FakeKafkaCluster();
    // A fetch bounded by bytes: here two offsets, so the aborted transaction fills the first fetches whole.
    cluster.fetchMaxOffsets = 2;
    const { fatal, started } = await startThread(cluster);
    await started;
    cluster.append('in', ['x', 'y', 'z', 'w', 'v'].map((value) => ({ key: Buffer.from('k'), value: Buffer.from(value), partition: 0 })), 'aborted');
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']), { timeout: 3_000 });
    expect(fatal).toEqual([]);
  });

  it('processes a task waiting for an input partition that never delivers once its idle time is over, on a tick (KIP-695)', async () => {
    const cluster = new FakeKafkaCluster();
    const builder = new StreamsBuilder();
    const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    builder.stream('in', strings).merge(builder.stream('in2', strings)).to('out', strings);
    // The end of `in2` cannot be probed in time: only the wait ends it.
    cluster.failNext('listOffsets', new Error('no answer'));
    const { fatal, started } = await startThread(cluster, { topology: builder.build(), moreInputs: ['in2'], options: { maxTaskIdleMs: 300 } });
    await started;
    const producedAt = Date.now();
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['one']), { timeout: 3_000 });
    expect(Date.now() - producedAt).toBeGreaterThanOrEqual(250);
    expect(fatal).toEqual([]);
  });
});
