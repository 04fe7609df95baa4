/**
 * The smoke verifier checked against output written by hand, so a smoke test that passes is known
 * to be able to fail: a missing record, a duplicate, a wrong aggregate and count, and a
 * transaction left open must each be reported.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { Headers, Serdes } from '@tributary/streams';
import { createTopics, inputProducer, kafkaClient, uniqueTopic } from '../helpers/kafka.js';
import { expectationOf, type SmokeRecord } from './smoke-data.js';
import { verifySmokeRun, type SmokeTopics } from './smoke-verify.js';

describe('smoke verifier', () => {
  it('reports lost and duplicated records, wrong aggregates and counts, and open transactions', { timeout: 60_000 }, async () => {
    const kafka = kafkaClient('smoke-verify-check');
    const topics: SmokeTopics = { data: uniqueTopic('smoke-check-data'), echo: uniqueTopic('smoke-check-echo'), agg: uniqueTopic('smoke-check-agg'), cnt: uniqueTopic('smoke-check-cnt') };
    await createTopics(kafka, Object.values(topics).map((topic) => ({ topic })));
    const int32 = (value: number): Buffer => Serdes.Int32().serialize(topics.echo, value, new Headers());
    const records: SmokeRecord[] = [5, 6, 7].map((value, index) => ({ key: '5-7', value, timestamp: 1000 + index }));
    const producer = inputProducer(kafka);
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    await producer.send({ topic: topics.data, messages: records.map((record) => ({ key: record.key, value: int32(record.value) })) });
    // 5 twice, 6 missing, 7 once; the aggregate short by one record; bucket 0 short by one.
    await producer.send({ topic: topics.echo, messages: [5, 5, 7].map((value) => ({ key: '5-7', value: int32(value) })) });
    await producer.send({ topic: topics.agg, messages: [{ key: '5-7', value: JSON.stringify({ min: 5, max: 7, sum: 12, count: 2 }) }] });
    await producer.send({ topic: topics.cnt, messages: [{ key: '0', value: '2' }] });
    // A transaction left open on echo: written, neither committed nor aborted.
    const transactional = kafka.producer({ transactionalId: uniqueTopic('smoke-check-tx'), idempotent: true, maxInFlightRequests: 1 });
    await transactional.connect();
    const transaction = await transactional.transaction();
    onTestFinished(async () => {
      await transaction.abort();
      await transactional.disconnect();
    });
    await transaction.send({ topic: topics.echo, messages: [{ key: '5-7', value: int32(6) }] });

    const summary = await verifySmokeRun({ kafka, name: 'verifier-check', topics, expected: expectationOf(records), aggregates: 'exact', timeoutMs: 5000 });
    expect(summary.recordsIn).toBe(3);
    expect(summary.out).toBe(3);
    expect(summary.lost).toBe(1);
    expect(summary.lostSample).toEqual(['5-7=6']);
    expect(summary.duplicated).toBe(1);
    expect(summary.aggregateErrors.map((error) => error.key)).toEqual(['5-7']);
    expect(summary.bucketErrors).toEqual([{ bucket: '0', expected: 3, actual: 2 }]);
    expect(summary.openTransactions).toEqual([{ topic: topics.echo, partition: 0, committedEnd: 3, end: 4 }]);
  });
});
