/**
 * The flagship on the real broker: `produce` a fixed generated data set, run the
 * product-analytics topology on Kafka (KafkaStreams, in process), and check that the final
 * `ProductStats` per (product, window) on `product-analytics` equal what the TopologyTestDriver
 * computes from the same records piped in the same order.
 *
 * The input topics have one partition and the catalog is the initial snapshot only, so the
 * order every task sees is the order produced: with several partitions, null-keyed events would
 * spread over them and stream time (so which late events are dropped, and when de-duplication
 * forgets an id) would depend on how the runtime interleaves partitions.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DeadLetterHeaders, DEFAULT_DEAD_LETTER_MAX_BYTES, Serdes, StreamsBuilder, silentLogger } from '@tributary/streams';
import { TestRecord, TopologyTestDriver } from '@tributary/streams/test';
import { generateDataSet } from '../../examples/product-analytics/src/generator.js';
import { ensureTopics, produceRecords, tail } from '../../examples/product-analytics/src/kafka-commands.js';
import type { ProductStats } from '../../examples/product-analytics/src/model.js';
import { ProductStatsSerde } from '../../examples/product-analytics/src/serdes.js';
import { buildTopology, defaultOptions, type ProductAnalyticsTopics } from '../../examples/product-analytics/src/topology.js';
import { clientName } from './helpers/client-option.mjs';
import { bootstrapServers, createTopics, kafkaClient } from './helpers/kafka.js';
import { consumeUntil, startApp } from './helpers/streams-app.js';

const fiveMinutes = 5 * 60_000;
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'product-analytics', 'dist', 'cli.js');

/** Runs the built CLI to its exit; resolves with its exit code, output and how long it ran. */
function runCli(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the example first (pnpm --filter ./examples/product-analytics run build).`);
  const startedAt = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => void (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CLI did not exit within ${timeoutMs} ms; its output:\n${stdout}\n${stderr}`)), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - startedAt) / 1000 });
    });
  });
}

function latestPerWindow(values: ReadonlyArray<ProductStats | null>): Map<string, ProductStats> {
  const latest = new Map<string, ProductStats>();
  for (const value of values) if (value !== null) latest.set(`${value.productId}@${value.windowStart}`, value);
  return new Map([...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('product-analytics on Kafka', () => {
  it('writes the same final stats per product and window as the test driver', async () => {
    const suffix = randomUUID().slice(0, 8);
    const topics = Object.fromEntries(Object.entries(defaultOptions.topics).map(([name, topic]) => [name, `${topic}-${suffix}`])) as unknown as ProductAnalyticsTopics;
    // Half an hour ago, on a window boundary: inside the broker's retention and the app's future-skew check.
    const startTime = Math.floor((Date.now() - 30 * 60_000) / fiveMinutes) * fiveMinutes;
    // 5 events/s of event time: 3000 events span 10 minutes, so several windows close and late events beyond grace are dropped.
    const records = generateDataSet(3000, { seed: 2026, startTime, eventsPerSecond: 5, catalogChangeEvery: 0 });

    const driver = new TopologyTestDriver(buildTopology(new StreamsBuilder(), { topics }), { applicationId: 'product-analytics-it-driver', logger: silentLogger }, { initialWallClockTime: Date.now() });
    let expected: Map<string, ProductStats>;
    try {
      const events = driver.createInputTopic(topics.events, Serdes.Bytes(), Serdes.Bytes());
      const catalog = driver.createInputTopic(topics.catalog, Serdes.Bytes(), Serdes.Bytes());
      for (const record of records) (record.stream === 'events' ? events : catalog).pipeInput(new TestRecord(record.key, record.value, record.timestamp));
      expected = latestPerWindow(driver.createOutputTopic(topics.productAnalytics, Serdes.String(), ProductStatsSerde).readValuesToList());
    } finally {
      driver.close();
    }
    expect(expected.size).toBeGreaterThan(100);
    expect(new Set([...expected.values()].map((stats) => stats.windowStart)).size).toBeGreaterThanOrEqual(2);

    await createTopics(kafkaClient(), Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    const produced = await produceRecords(bootstrapServers(), records, { topics });
    expect(produced).toBe(records.length);

    await startApp(buildTopology(new StreamsBuilder(), { topics }));
    const output = await consumeUntil<string, ProductStats>(topics.productAnalytics, (so) => {
      const latest = latestPerWindow(so.map((record) => record.value));
      return latest.size === expected.size && [...expected].every(([key, stats]) => JSON.stringify(latest.get(key)) === JSON.stringify(stats));
    }, { valueSerde: ProductStatsSerde, timeoutMs: 60_000, onTimeout: 'return' });
    expect(latestPerWindow(output.map((record) => record.value))).toEqual(expected);
  }, 90_000);

  it('dead-letters a malformed event of nearly 1 MB, truncated to fit the broker, with its original size', async () => {
    const suffix = randomUUID().slice(0, 8);
    const topics = Object.fromEntries(Object.entries(defaultOptions.topics).map(([name, topic]) => [name, `${topic}-${suffix}`])) as unknown as ProductAnalyticsTopics;
    await createTopics(kafkaClient(), Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    // Accepted on input (under the broker's default message.max.bytes, 1,048,588), but its
    // dead-letter copy, with the error headers, would not be.
    const huge = Buffer.alloc(1_048_400, 'x');
    huge.write('{"eventId": ', 0);
    const producer = kafkaClient().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic: topics.events, acks: -1, messages: [{ key: 'huge', value: huge }, { key: 'small', value: '{"eventId": ' }] });
    } finally {
      await producer.disconnect();
    }

    await startApp(buildTopology(new StreamsBuilder(), { topics }));
    const letters = await consumeUntil(topics.deadLetter, 2, { valueSerde: Serdes.Bytes(), timeoutMs: 60_000 });
    expect(letters.map((letter) => letter.key)).toEqual(['huge', 'small']);
    const [big, small] = letters;
    expect(big!.headers[DeadLetterHeaders.truncated]).toBe('value');
    expect(big!.headers[DeadLetterHeaders.originalValueSize]).toBe('1048400');
    expect(big!.headers[DeadLetterHeaders.message]).toMatch(/malformed JSON/);
    expect(big!.headers[DeadLetterHeaders.offset]).toBe('0');
    expect(big!.rawValue!.length).toBeGreaterThan(DEFAULT_DEAD_LETTER_MAX_BYTES - 1_000);
    expect(big!.rawValue!.equals(huge.subarray(0, big!.rawValue!.length))).toBe(true);
    expect(small!.headers[DeadLetterHeaders.truncated]).toBeUndefined();
    expect(small!.rawValue!.toString()).toBe('{"eventId": ');
  }, 90_000);

  it('run -b --duration stops by itself: processes, commits its offsets, leaves the group and exits 0', async () => {
    const topics = defaultOptions.topics;
    await ensureTopics(bootstrapServers(), Object.values(topics), 3);
    const records = generateDataSet(500, { seed: 7, startTime: Date.now() - 60_000, eventsPerSecond: 50 });
    await produceRecords(bootstrapServers(), records);
    const applicationId = `pa-duration-${randomUUID().slice(0, 8)}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-duration-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));

    const result = await runCli(['run', '-b', bootstrapServers(), '--client', clientName, '--duration', '8', '--application-id', applicationId, '--state-dir', stateDir], 75_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Empty on Node 24 too, where kafkajs' idle request queues made Node warn until the CLI's kafkajs clients got `fixKafkajsIdlePolling`.
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^${applicationId}: PENDING_SHUTDOWN -> NOT_RUNNING$`, 'm'));
    const done = /^done: processed (\d+) records in ([\d.]+)s, state in /m.exec(result.stdout);
    expect(done, result.stdout).not.toBeNull();
    expect(Number(done![1])).toBeGreaterThanOrEqual(records.length);
    expect(Number(done![2])).toBeGreaterThanOrEqual(8);
    expect(Number(done![2])).toBeLessThan(20); // 8 s of running, then the commit and close

    // Everything in the input topics was processed and committed before it left.
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      for (const topic of [topics.events, topics.catalog]) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: applicationId, topics: [topic] });
        const committedByPartition = new Map(committed!.partitions.map((partition) => [partition.partition, partition.offset]));
        for (const end of ends) expect(committedByPartition.get(end.partition), `${topic}-${end.partition}`).toBe(end.offset);
      }
      const group = await admin.describeGroups([applicationId]);
      expect(group.groups[0]!.members).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  it('tail of a topic that does not exist names it and says how to create it', async () => {
    const missing = `product-analytics-missing-${randomUUID().slice(0, 8)}`;
    let written = '';
    const terminal = { write: (text: string) => void (written += text), isTTY: false, columns: 80 };
    const error = await tail({ command: 'tail', bootstrapServers: bootstrapServers(), topics: [missing], fromBeginning: true, max: 1 }, terminal, new Promise(() => {})).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe(
      `Cannot tail [${missing}]: no such topic on ${bootstrapServers()}. Run 'product-analytics run -b ${bootstrapServers()}' first (it creates its topics), or name existing topics with --topics.`,
    );
    expect(written).toBe('');
  }, 30_000);
});
