/**
 * Exactly-once on the real broker, in-process: counts read back with a read_committed consumer
 * are exact and never repeat a value (a repeat is a duplicate an aborted transaction would have
 * hidden), also after a task's producer is fenced by another producer with its transactional id,
 * which is what a zombie meets when its task has moved. The multi-process kill -9 proofs are in
 * the smoke-*.test.ts files.
 */
import { describe, expect, it } from 'vitest';
import { findMetrics, Serdes, sumMetrics } from '@tributary/streams';
import { exactlyOnceOptions, exactlyOnceUnderTest } from './helpers/client-under-test.js';
import { keyedRecords, levelCountTopology, totals } from './helpers/counting.js';
import { createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, produce, sequencesByKey, startApp, waitFor, type OutputRecord } from './helpers/streams-app.js';

const testTimeout = 60_000;

/** Per key, the counts read (in order): exactly-once means strictly increasing, ending at the total. */
function checkExactCounts(records: readonly OutputRecord<string, number>[], expected: ReadonlyMap<string, number>): void {
  const sequences = sequencesByKey(records, (record) => record.value!);
  expect(new Set(sequences.keys())).toEqual(new Set(expected.keys()));
  for (const [key, counts] of sequences) {
    for (let index = 1; index < counts.length; index++) expect(counts[index], `${key} counts ${counts.join(',')}`).toBeGreaterThan(counts[index - 1]!);
    expect(counts.at(-1), key).toBe(expected.get(key));
  }
}

const reachedTotals = (expected: ReadonlyMap<string, number>) => (records: readonly OutputRecord<string, number>[]) => {
  const latest = new Map<string, number>();
  for (const record of records) latest.set(record.key!, record.value!);
  return [...expected].every(([key, count]) => latest.get(key) === count);
};

describe(`KafkaStreams with processingGuarantee ${exactlyOnceUnderTest()}`, () => {
  it('commits outputs, changelogs and offsets in transactions: read_committed counts are exact and never repeat', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-eos-in');
    const output = uniqueTopic('it-eos-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
    const app = await startApp(levelCountTopology(input, output), { ...exactlyOnceOptions('it-eos'), commitIntervalMs: 100 });
    const batch1 = keyedRecords(120, 9, 'a');
    await produce({ topic: input, records: batch1 });
    const expected1 = totals(batch1);
    checkExactCounts(await consumeUntil<string, number>(output, reachedTotals(expected1), { valueSerde: Serdes.Float64() }), expected1);

    // A restart resumes from the transactionally committed offsets and checkpoints.
    await app.app.close({ timeoutMs: 15_000 });
    const second = await startApp(levelCountTopology(input, output), { applicationId: app.applicationId, stateDir: app.stateDir, ...exactlyOnceOptions('it-eos-second'), commitIntervalMs: 100 });
    const batch2 = keyedRecords(60, 9, 'b');
    await produce({ topic: input, records: batch2 });
    const expected2 = totals([...batch1, ...batch2]);
    checkExactCounts(await consumeUntil<string, number>(output, reachedTotals(expected2), { valueSerde: Serdes.Float64() }), expected2);
    expect(second.state()).toBe('RUNNING');
  });

  it('a task whose producer is fenced mid-transaction is rebuilt and resumes from its last commit, with no duplicate', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-eos-fence-in');
    const output = uniqueTopic('it-eos-fence-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }]);
    // A long commit interval, so the fencing lands inside an open transaction.
    const testApp = await startApp(levelCountTopology(input, output), { ...exactlyOnceOptions('it-eos-fence'), commitIntervalMs: 1500 });
    const batch1 = keyedRecords(40, 6, 'a');
    await produce({ topic: input, records: batch1 });
    await consumeUntil<string, number>(output, reachedTotals(totals(batch1)), { valueSerde: Serdes.Float64() });

    const batch2 = keyedRecords(40, 6, 'b');
    await produce({ topic: input, records: batch2 });
    // Processed, and (commits being 1.5 s apart) most likely not yet committed.
    await waitFor(() => testApp.app.metrics().processed >= batch1.length + batch2.length, 'batch 2 to be processed', 10_000);
    // What a task's new owner does (v1), or the thread's replacement (v2): initialize the
    // transactional id (v1: the task's; v2: the stream thread's, with the instance's process id), fencing the current producer.
    const transactionalId = exactlyOnceUnderTest() === 'exactly_once' ? `${testApp.applicationId}-0_0` : `${testApp.applicationId}-${(testApp.app as unknown as { processId: string }).processId}-1`;
    const intruder = kafkaClient('it-eos-intruder').producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await intruder.connect();
    // kafkajs initializes a transactional id at the first transaction; an empty one ends locally.
    await (await intruder.transaction()).abort();
    await intruder.disconnect();

    await waitFor(
      () => testApp.logger.lines.some((line) => line.message.startsWith('Replacing the stream thread')),
      () => `the fenced thread to be replaced (states ${testApp.states.join(' → ')})`,
      20_000,
    );
    const batch3 = keyedRecords(20, 6, 'c');
    await produce({ topic: input, records: batch3 });
    const expected = totals([...batch1, ...batch2, ...batch3]);
    checkExactCounts(await consumeUntil<string, number>(output, reachedTotals(expected), { valueSerde: Serdes.Float64() }), expected);
    await waitFor(() => testApp.state() === 'RUNNING', () => `RUNNING again (states ${testApp.states.join(' → ')})`, 20_000);
    expect(testApp.states).toContain('REBALANCING');
    expect(testApp.states).not.toContain('ERROR');
    // Counters are cumulative: the replaced thread's count is kept, not restarted at 0 (what was reprocessed counts again).
    expect(testApp.app.metrics().processed).toBeGreaterThanOrEqual(batch1.length + batch2.length + batch3.length);
    // The client's metrics: one thread failed, and its replacement, StreamThread-2, is the one alive.
    const { all } = testApp.app.metrics();
    expect(sumMetrics(all, 'stream-metrics', 'failed-stream-threads')).toBeGreaterThanOrEqual(1);
    expect(sumMetrics(all, 'stream-metrics', 'alive-stream-threads')).toBe(1);
    expect(findMetrics(all, 'stream-thread-metrics', 'thread-start-time').map((metric) => metric.tags['thread-id'])).not.toContain(`${testApp.applicationId}-StreamThread-1`);
  });
});
