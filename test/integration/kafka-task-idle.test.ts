/**
 * The wait for data (KIP-695, `maxTaskIdleMs`) on the real broker, through a merge of two topics
 * whose task reads one partition of each: records already on the broker come out in event-time
 * order although each partition arrives in its own batch; a record that arrives late, within
 * `maxTaskIdleMs`, still takes its place in that order; and when nothing comes, the task goes on
 * once the wait is over and counts it as enforced processing.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Produced, Serdes, StreamsBuilder, sumMetrics, type Topology } from '@tributary/streams';
import { createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, produce, sleep, startApp, waitFor } from './helpers/streams-app.js';

const testTimeout = 60_000;

/** `left` merged with `right` into `output`, values as they are. */
function mergeTopology(left: string, right: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(left, Consumed.with(Serdes.String(), Serdes.String()))
    .merge(builder.stream(right, Consumed.with(Serdes.String(), Serdes.String())))
    .to(output, Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

async function mergeTopics(prefix: string): Promise<{ left: string; right: string; output: string }> {
  const topics = { left: uniqueTopic(`${prefix}-left`), right: uniqueTopic(`${prefix}-right`), output: uniqueTopic(`${prefix}-out`) };
  await createTopics(kafkaClient(), [{ topic: topics.left }, { topic: topics.right }, { topic: topics.output }]);
  return topics;
}

describe('maxTaskIdleMs on Kafka', () => {
  it('merges records already on the broker in event-time order, though each partition comes in its own batch', { timeout: testTimeout }, async () => {
    const { left, right, output } = await mergeTopics('it-idle-order');
    const base = Date.now() - 60_000;
    // Odd times on the left, even ones on the right: any batch processed alone breaks the order.
    await produce({ topic: left, records: Array.from({ length: 40 }, (_, index) => ({ key: 'k', value: `L${index}`, timestamp: base + 2 * index + 1 })) });
    await produce({ topic: right, records: Array.from({ length: 40 }, (_, index) => ({ key: 'k', value: `R${index}`, timestamp: base + 2 * index })) });
    await startApp(mergeTopology(left, right, output));
    const merged = await consumeUntil(output, 80);
    const times = merged.map((record) => record.timestamp);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(merged.map((record) => record.value)).toEqual(Array.from({ length: 40 }, (_, index) => [`R${index}`, `L${index}`]).flat());
  });

  it('waits maxTaskIdleMs for a partition at its end: a late record keeps its place, then the wait ends in enforced processing', { timeout: testTimeout }, async () => {
    const { left, right, output } = await mergeTopics('it-idle-late');
    const idleMs = 2_000;
    const testApp = await startApp(mergeTopology(left, right, output), { maxTaskIdleMs: idleMs, metricsRecordingLevel: 'DEBUG' });
    const enforced = (): number => sumMetrics(testApp.app.metrics().all, 'stream-task-metrics', 'enforced-processing-total', { 'task-id': '0_0' });
    const base = Date.now() - 60_000;
    await produce({ topic: left, records: [{ key: 'k', value: 'left at 10', timestamp: base + 10 }] });
    // The right record is produced after the left one but is older: the task is still waiting for it.
    await sleep(300);
    await produce({ topic: right, records: [{ key: 'k', value: 'right at 5', timestamp: base + 5 }] });
    const rightProducedAt = Date.now();
    const firstRight = await consumeUntil(output, 1);
    expect(firstRight.map((record) => record.value)).toEqual(['right at 5']);
    // Then the right partition is empty again, at its end: the left record waits maxTaskIdleMs for it, then goes, enforced.
    const firstTwo = await consumeUntil(output, 2);
    expect(Date.now() - rightProducedAt).toBeGreaterThanOrEqual(idleMs - 500);
    expect(firstTwo.map((record) => record.value)).toEqual(['right at 5', 'left at 10']);
    await waitFor(() => enforced() === 1, () => `enforced-processing-total 1 (it is ${enforced()})`, 10_000);

    // No record came on the right since: its wait stays over, and the next left record goes at once, enforced too.
    await produce({ topic: left, records: [{ key: 'k', value: 'left at 20', timestamp: base + 20 }] });
    const all = await consumeUntil(output, 3);
    expect(all.map((record) => record.value)).toEqual(['right at 5', 'left at 10', 'left at 20']);
    await waitFor(() => enforced() === 2, () => `enforced-processing-total 2 (it is ${enforced()})`, 10_000);
  });

  it('goes on when a partition never had anything to fetch: its end is read from the broker (kafkajs reports no empty batch)', { timeout: testTimeout }, async () => {
    const { left, right, output } = await mergeTopics('it-idle-empty');
    const testApp = await startApp(mergeTopology(left, right, output), { metricsRecordingLevel: 'DEBUG' });
    const base = Date.now() - 60_000;
    await produce({ topic: left, records: [1, 2, 3].map((at) => ({ key: 'k', value: `left at ${at}`, timestamp: base + at })) });
    const merged = await consumeUntil(output, 3, { timeoutMs: 15_000 });
    expect(merged.map((record) => record.value)).toEqual(['left at 1', 'left at 2', 'left at 3']);
    // maxTaskIdleMs 0: once the right partition is known to be at its end, nothing more is waited for.
    expect(sumMetrics(testApp.app.metrics().all, 'stream-task-metrics', 'enforced-processing-total', { 'task-id': '0_0' })).toBe(3);
  });

  it('does not wait for a partition that does not exist: a merge of a 2-partition topic with a 1-partition one', { timeout: testTimeout }, async () => {
    const left = uniqueTopic('it-idle-wide-left');
    const right = uniqueTopic('it-idle-narrow-right');
    const output = uniqueTopic('it-idle-wide-out');
    await createTopics(kafkaClient(), [{ topic: left, numPartitions: 2 }, { topic: right }, { topic: output }]);
    await startApp(mergeTopology(left, right, output), { maxTaskIdleMs: 60_000 });
    const producer = inputProducer(kafkaClient('tributary-it-producer'));
    await producer.connect();
    // Task 0_1 reads left's partition 1 only: right has no partition 1, so nothing is waited for.
    await producer.send({ topic: left, acks: -1, messages: [{ partition: 1, key: 'k', value: 'left partition 1', timestamp: String(Date.now() - 60_000) }] });
    await producer.disconnect();
    const merged = await consumeUntil(output, 1, { timeoutMs: 15_000 });
    expect(merged.map((record) => record.value)).toEqual(['left partition 1']);
  });
});
