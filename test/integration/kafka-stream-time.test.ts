/**
 * Stream time against the wall clock on Kafka: one record stamped in the future moves a task's
 * stream time ahead, which `metrics()` reports and a warning names, so a producer with a wrong
 * clock is found before its records make every on-time record late.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Produced, Serdes, StreamsBuilder } from '@tributary/streams';
import { createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, produce, startApp, waitFor } from './helpers/streams-app.js';

describe('stream time ahead of the wall clock on Kafka', () => {
  it('is a metric and a warning naming the task', { timeout: 60_000 }, async () => {
    const input = uniqueTopic('it-ahead-in');
    const output = uniqueTopic('it-ahead-out');
    await createTopics(kafkaClient(), [{ topic: input }, { topic: output }]);
    const builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.String(), Serdes.String())).to(output, Produced.with(Serdes.String(), Serdes.String()));
    const testApp = await startApp(builder.build());
    expect(testApp.app.metrics().streamTimeAheadOfWallClockMs).toBe(0);

    const ahead = 30 * 60_000;
    await produce({ topic: input, records: [{ key: 'a', value: 'from a clock 30 minutes fast', timestamp: Date.now() + ahead }] });
    await consumeUntil(output, 1, { timeoutMs: 30_000 });
    await waitFor(() => testApp.app.metrics().streamTimeAheadOfWallClockMs > ahead - 60_000, () => `metrics: ${JSON.stringify(testApp.app.metrics().streamTimeAheadOfWallClockMs)}`);
    expect(testApp.app.metrics().streamTimeAheadOfWallClockMs).toBeLessThanOrEqual(ahead);
    const warnings = testApp.logger.lines.filter((line) => line.level === 'warn' && line.message.startsWith('Stream time of task 0_0 is '));
    expect(warnings).toHaveLength(1); // once a minute at most
    expect(warnings[0]!.message).toMatch(/ms ahead of the wall clock: a record stamped in the future moved it/);
  });
});
