/**
 * The embedded runner: commits on a timer and on demand (so caches deduplicate between
 * commits), hands every written record to listeners without keeping it, queries stores, and
 * fails loudly when the config says so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  Consumed,
  DeadLetterHeaders,
  EmbeddedRunner,
  Materialized,
  Produced,
  QueryableStoreTypes,
  Serdes,
  StreamsBuilder,
  deadLetterTopic,
  findMetrics,
  sumMetrics,
  logAndFail,
  silentLogger,
  type EmbeddedRecord,
} from '../index.js';

const runners: EmbeddedRunner[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const runner of runners.splice(0)) await runner.close().catch(() => {});
});

async function start(...args: Parameters<typeof EmbeddedRunner.start>): Promise<EmbeddedRunner> {
  const runner = await EmbeddedRunner.start(...args);
  runners.push(runner);
  return runner;
}

/** Counts clicks per user into `counts` (cached, in memory); values that are not JSON fail in `mapValues`. */
function countTopology() {
  const builder = new StreamsBuilder();
  builder
    .stream('clicks', Consumed.with(Serdes.String(), Serdes.String()))
    .mapValues((value) => JSON.parse(value) as { page: string })
    .groupByKey()
    .count(Materialized.as<string, number>('clicks-per-user'))
    .toStream()
    .to('counts', Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

const key = (text: string) => Buffer.from(text);
const click = (page: string) => Buffer.from(JSON.stringify({ page }));

function collect(runner: EmbeddedRunner, topic: string): Array<[string, number]> {
  const seen: Array<[string, number]> = [];
  runner.onRecord(topic, (record: EmbeddedRecord) => seen.push([record.key!.toString(), record.value!.readDoubleBE()]));
  return seen;
}

describe('EmbeddedRunner', () => {
  it('reports how far stream time runs ahead of the wall clock, and warns', async () => {
    const warn = vi.fn();
    const runner = await start(countTopology(), { applicationId: 'embedded', logger: { ...silentLogger, warn } }, { commitIntervalMs: 20 });
    expect(runner.metrics().streamTimeAheadOfWallClockMs).toBe(0);
    runner.send('clicks', key('ann'), click('/home'), { timestamp: Date.now() + 30 * 60_000 }); // a clock 30 minutes fast
    await vi.waitFor(() => expect(runner.metrics().streamTimeAheadOfWallClockMs).toBeGreaterThan(29 * 60_000), { timeout: 5_000 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^Stream time of task 0_0 is \d+ ms ahead of the wall clock/), expect.anything());
  });

  it('processes on send, and forwards cached updates only at commit: one update per key', async () => {
    const runner = await start(countTopology(), { applicationId: 'embedded', logger: silentLogger }, { commitIntervalMs: 60_000 });
    const counts = collect(runner, 'counts');
    for (const page of ['/a', '/b', '/c']) runner.send('clicks', key('ann'), click(page), { timestamp: 1 });
    runner.send('clicks', key('bob'), click('/a'), { timestamp: 2 });
    expect(runner.metrics().processed).toBe(4);
    expect(runner.query('clicks-per-user', QueryableStoreTypes.keyValueStore<string, number>()).get('ann')).toBe(3);
    expect(counts).toEqual([]);
    expect(runner.metrics().committedAt).toBeUndefined();

    await runner.commit();
    expect(counts).toEqual([['ann', 3], ['bob', 1]]);
    expect(runner.metrics().committedAt).toBeTypeOf('number');

    runner.send('clicks', key('ann'), click('/d'), { timestamp: 3 });
    runner.send('clicks', key('ann'), click('/e'), { timestamp: 4 });
    await runner.commit();
    expect(counts).toEqual([['ann', 3], ['bob', 1], ['ann', 5]]);
  });

  it('never waits for an empty input partition, whatever maxTaskIdleMs says: all its input is local', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream('left', Consumed.with(Serdes.String(), Serdes.String()))
      .merge(builder.stream('right', Consumed.with(Serdes.String(), Serdes.String())))
      .to('merged', Produced.with(Serdes.String(), Serdes.String()));
    const runner = await start(builder.build(), { applicationId: 'embedded', logger: silentLogger, maxTaskIdleMs: 60_000, metricsRecordingLevel: 'DEBUG' }, { commitIntervalMs: 60_000 });
    const merged: string[] = [];
    runner.onRecord('merged', (record) => merged.push(record.value!.toString()));
    runner.send('left', key('a'), Buffer.from('only left'), { timestamp: 1 });
    expect(merged).toEqual(['only left']);
    expect(sumMetrics(runner.metrics().all, 'stream-task-metrics', 'enforced-processing-total')).toBe(0);
  });

  it('commits on its timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const runner = await start(countTopology(), { applicationId: 'embedded', logger: silentLogger }, { commitIntervalMs: 500 });
    const counts = collect(runner, 'counts');
    runner.send('clicks', key('ann'), click('/a'), { timestamp: 1 });
    runner.send('clicks', key('ann'), click('/b'), { timestamp: 2 });
    await vi.advanceTimersByTimeAsync(499);
    expect(counts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(counts).toEqual([['ann', 2]]);
  });

  it('commits on close', async () => {
    const runner = await EmbeddedRunner.start(countTopology(), { applicationId: 'embedded', logger: silentLogger });
    const counts = collect(runner, 'counts');
    runner.send('clicks', key('ann'), click('/a'), { timestamp: 1 });
    await runner.close();
    expect(counts).toEqual([['ann', 1]]);
    expect(() => runner.send('clicks', key('ann'), click('/a'))).toThrow(/closed/);
    await runner.close();
  });

  it('hands dead letters and outputs to listeners, and stops listening when asked', async () => {
    const runner = await start(countTopology(), {
      applicationId: 'embedded',
      logger: silentLogger,
      processingExceptionHandler: deadLetterTopic({ topic: 'clicks-dlq' }),
    });
    const deadLetters: EmbeddedRecord[] = [];
    const stop = runner.onRecord('clicks-dlq', (record) => deadLetters.push(record));
    runner.send('clicks', key('ann'), Buffer.from('not json'), { timestamp: 7 });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.value!.toString()).toBe('not json');
    expect(deadLetters[0]!.headers.headers(DeadLetterHeaders.exception)).toHaveLength(1);
    expect(runner.metrics().dropped.get('processing-error')).toBe(1);
    stop();
    runner.send('clicks', key('ann'), Buffer.from('still not json'), { timestamp: 8 });
    expect(deadLetters).toHaveLength(1);
  });

  it('counts the offsets of records nobody listens to, so a listener that starts later sees them continue', async () => {
    const runner = await start(countTopology(), { applicationId: 'embedded', logger: silentLogger });
    runner.send('clicks', key('ann'), click('/a'), { timestamp: 1 });
    await runner.commit();
    const offsets: Array<[string, number]> = [];
    for (const topic of ['counts', 'embedded-clicks-per-user-changelog']) {
      // The listeners get the runner's stored records, whose offsets the public type leaves out.
      runner.onRecord(topic, (record) => offsets.push([topic, (record as EmbeddedRecord & { readonly offset: number }).offset]));
    }
    runner.send('clicks', key('bob'), click('/b'), { timestamp: 2 });
    await runner.commit();
    expect(offsets).toEqual([
      ['embedded-clicks-per-user-changelog', 1],
      ['counts', 1],
    ]);
  });

  it('fails loudly when the config says to fail, and stays failed', async () => {
    const runner = await start(countTopology(), { applicationId: 'embedded', logger: silentLogger, processingExceptionHandler: logAndFail() });
    expect(() => runner.send('clicks', key('ann'), Buffer.from('not json'))).toThrow();
    expect(() => runner.send('clicks', key('ann'), click('/a'))).toThrow();
    await expect(runner.commit()).rejects.toThrow();
  });

  it('rejects sends to a topic no source reads', async () => {
    const runner = await start(countTopology(), { applicationId: 'embedded', logger: silentLogger });
    expect(() => runner.send('clickz', key('ann'), click('/a'))).toThrow(/clickz/);
  });

  it('validates its options, naming the option', async () => {
    const config = { applicationId: 'embedded', logger: silentLogger };
    await expect(EmbeddedRunner.start(countTopology(), config, { commitIntervalMs: 0 })).rejects.toThrow(/'commitIntervalMs'/);
    await expect(EmbeddedRunner.start(countTopology(), config, { commitIntervalMs: 1.5 })).rejects.toThrow(ConfigError);
    await expect(EmbeddedRunner.start(countTopology(), config, { stateDir: '' })).rejects.toThrow(/'stateDir'/);
    await expect(EmbeddedRunner.start(countTopology(), config, { commitInterval: 5 } as never)).rejects.toThrow(/'commitInterval'/);
  });
});

describe('EmbeddedRunner metrics', () => {
  it('reports Kafka Streams metrics: the client, its one stream thread, and what the tasks dropped', async () => {
    const runner = await start(countTopology(), { applicationId: 'embedded-metrics', logger: silentLogger });
    runner.send('clicks', key('ann'), click('/home'));
    runner.send('clicks', key('ann'), Buffer.from('not json'));
    await runner.commit();
    const { all } = runner.metrics();
    expect(sumMetrics(all, 'stream-metrics', 'client-state', { 'client-id': 'embedded-metrics' })).toBe(2);
    expect(sumMetrics(all, 'stream-metrics', 'alive-stream-threads')).toBe(1);
    expect(sumMetrics(all, 'stream-thread-metrics', 'process-total', { 'thread-id': 'embedded-metrics-StreamThread-1' })).toBe(2);
    expect(sumMetrics(all, 'stream-task-metrics', 'dropped-records-reason-total', { reason: 'processing-error' })).toBe(1);
    expect(findMetrics(all, 'stream-thread-metrics', 'poll-total')).toEqual([]); // no consumer to poll
    await runner.close();
    expect(sumMetrics(runner.metrics().all, 'stream-metrics', 'client-state')).toBe(4); // NOT_RUNNING
  });

  it('reports the per-source process counts at DEBUG and end-to-end latency at a terminal processor', async () => {
    const builder = new StreamsBuilder();
    const seen: string[] = [];
    builder.stream('clicks', Consumed.with(Serdes.String(), Serdes.String())).foreach((_key, value) => void seen.push(value));
    const runner = await start(builder.build(), { applicationId: 'embedded-node-metrics', logger: silentLogger, metricsRecordingLevel: 'DEBUG' });
    const now = Date.now();
    runner.send('clicks', key('ann'), click('/home'), { timestamp: now - 60_000 });
    runner.send('clicks', key('bob'), click('/cart'), { timestamp: now - 60_000 });
    runner.send('clicks', key('ann'), click('/buy'), { timestamp: now - 60_000 });
    await runner.commit();
    const { all } = runner.metrics();
    expect(seen).toHaveLength(3);
    expect(sumMetrics(all, 'stream-processor-node-metrics', 'process-total', { 'processor-node-id': 'KSTREAM-SOURCE-0000000000' })).toBe(3);
    const [latency] = findMetrics(all, 'stream-processor-node-metrics', 'record-e2e-latency-min', { 'processor-node-id': 'KSTREAM-FOREACH-0000000001' });
    // Measured against the wall clock as of the runner's last check, no later than now.
    expect(latency?.value).toBeGreaterThanOrEqual(59_000);
    expect(latency?.value).toBeLessThanOrEqual(60_000 + (Date.now() - now));
  });
});
