/**
 * `numStreamThreads` on the real broker (issue 6): each stream thread runs in a worker thread as
 * its own consumer-group member, the tasks spread over the threads, the results are those of one
 * thread, and a thread that fails puts the application in ERROR with its message.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigError, findMetrics, logAndFail, QueryableStoreTypes, Serdes, sumMetrics, type Topology } from '@tributary/streams';
import { createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeLatest, createApp, produce, waitFor, type InputRecord } from './helpers/streams-app.js';

const testTimeout = 30_000;
const countModule = new URL('./fixtures/count-topology.mjs', import.meta.url);
const failingModule = new URL('./fixtures/failing-topology.mjs', import.meta.url);
const exitingModule = new URL('./fixtures/exiting-topology.mjs', import.meta.url);
const topologyOnlyModule = new URL('./fixtures/topology-only.mjs', import.meta.url);
const baseTime = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

/** The count topology, built on the main thread from the same module the workers import. */
async function countTopology(inputTopic: string, outputTopic: string): Promise<Topology> {
  const module = (await import(countModule.href)) as { createTopology(context: unknown): Topology };
  return module.createTopology({ threadIndex: 0, options: { appConfigs: { inputTopic, outputTopic } } });
}

/** The process each member of the group subscribed as (its subscription's user data, as the runtime's assignor reads it). */
async function subscribedProcesses(groupId: string): Promise<string[]> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]!.members.map((member) => (JSON.parse(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)!.userData.toString('utf8')) as { process: string }).process);
  } finally {
    await admin.disconnect();
  }
}

async function countTopics(): Promise<{ inputTopic: string; outputTopic: string }> {
  const inputTopic = uniqueTopic('threads-in');
  const outputTopic = uniqueTopic('threads-out');
  await createTopics(kafkaClient(), [
    { topic: inputTopic, numPartitions: 4 },
    { topic: outputTopic, numPartitions: 4 },
  ]);
  return { inputTopic, outputTopic };
}

describe('KafkaStreams with numStreamThreads', () => {
  it('spreads the tasks over two worker threads and counts every record once', { timeout: testTimeout }, async () => {
    const { inputTopic, outputTopic } = await countTopics();
    const records: InputRecord<string, string>[] = Array.from({ length: 400 }, (_, index) => ({ key: `k${index % 40}`, value: `v${index}`, timestamp: baseTime + index }));
    await produce({ topic: inputTopic, records });
    const expected = new Map<string, number>();
    for (const record of records) expected.set(record.key!, (expected.get(record.key!) ?? 0) + 1);

    const testApp = await createApp(await countTopology(inputTopic, outputTopic), { numStreamThreads: 2, threadModule: countModule, appConfigs: { inputTopic, outputTopic } });
    await testApp.app.start();
    expect(testApp.app.state).toBe('RUNNING');

    const threads = () => testApp.app.metrics().threads ?? [];
    await waitFor(
      () => testApp.app.metrics().tasks.length === 4 && threads().length === 2 && threads().every((thread) => thread.tasks.length > 0),
      () => `4 tasks over 2 threads, have ${JSON.stringify(threads())}`,
      20_000,
    );
    expect(testApp.app.metrics().tasks).toEqual(['0_0', '0_1', '0_2', '0_3']);
    expect(threads().map((thread) => thread.threadName)).toEqual(['StreamThread-1', 'StreamThread-2']);
    // Both workers subscribe as the process whose id the main thread keeps in the state directory (LevelDB stores: locked, so kept).
    const { processId } = JSON.parse(await readFile(join(testApp.stateDir, testApp.applicationId, 'kafka-streams-process-metadata'), 'utf8')) as { processId: string };
    expect(await subscribedProcesses(testApp.applicationId)).toEqual([processId, processId]);
    expect(() => testApp.app.query('counts', { kind: 'keyValue' } as never)).toThrow(/numStreamThreads > 1/);

    const counts = await consumeLatest(outputTopic, new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))), { valueSerde: Serdes.Float64(), timeoutMs: 15_000 });
    expect(counts).toEqual(new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
    await waitFor(() => testApp.app.metrics().processed >= records.length, () => `processed ${testApp.app.metrics().processed} of ${records.length}`, 5_000);
    // Each worker reports its thread's and tasks' metrics, tagged with its own thread id; the client's are the main thread's.
    // (Which thread processed the records depends on when the second joined: the first may have had every task until then.)
    const all = () => testApp.app.metrics().all;
    const processedBy = (thread: string) => sumMetrics(all(), 'stream-thread-metrics', 'process-total', { 'thread-id': `${testApp.applicationId}-${thread}` });
    await waitFor(() => processedBy('StreamThread-1') + processedBy('StreamThread-2') === records.length, () => `the threads' process-total to sum to ${records.length}`, 5_000);
    expect(findMetrics(all(), 'stream-task-metrics', 'dropped-records-total').map((metric) => metric.tags['task-id']).sort()).toEqual(['0_0', '0_1', '0_2', '0_3']);
    expect(sumMetrics(all(), 'stream-metrics', 'alive-stream-threads')).toBe(2);
    expect(findMetrics(all(), 'stream-metrics', 'client-state')).toHaveLength(1);

    // queryAsync reaches the worker thread holding each key's task, keys and values crossing in bytes.
    const store = testApp.app.queryAsync('counts', QueryableStoreTypes.keyValueStore<string, number>());
    for (const [key, count] of expected) expect(await store.get(key)).toBe(count);
    expect(await store.get('never-seen')).toBeUndefined();
    const entries = await store.all();
    expect(new Map(entries.map((entry) => [entry.key, entry.value]))).toEqual(expected);
    expect(await store.all({ limit: 5 })).toHaveLength(5);
    // Without applicationServer no instance is listed, but every key's partition is known.
    expect(testApp.app.metadataForAllStreamsClients()).toEqual([]);
    expect(testApp.app.queryMetadataForKey('counts', 'k1')).toMatchObject({ activeHost: undefined, partition: expect.any(Number) });

    await testApp.app.close({ timeoutMs: 10_000 });
    expect(testApp.app.state).toBe('NOT_RUNNING');
    expect(testApp.states).toEqual(expect.arrayContaining(['REBALANCING', 'RUNNING']));
    expect(testApp.states.at(-1)).toBe('NOT_RUNNING');
  });

  it('fails start() with the message of a worker thread that failed, and is in ERROR', { timeout: testTimeout }, async () => {
    const { inputTopic, outputTopic } = await countTopics();
    const testApp = await createApp(await countTopology(inputTopic, outputTopic), { numStreamThreads: 2, threadModule: failingModule, appConfigs: { inputTopic, outputTopic } });
    await expect(testApp.app.start()).rejects.toThrow(/StreamThread-\d failed: createTopology failed on purpose in the worker/);
    expect(testApp.app.state).toBe('ERROR');
    await testApp.app.close({ timeoutMs: 5_000 });
    expect(testApp.app.state).toBe('NOT_RUNNING');
  });

  it('goes to ERROR, naming the thread, when a worker thread exits', { timeout: testTimeout }, async () => {
    const { inputTopic, outputTopic } = await countTopics();
    const testApp = await createApp(await countTopology(inputTopic, outputTopic), { numStreamThreads: 2, threadModule: exitingModule, appConfigs: { inputTopic, outputTopic } });
    // The worker exits 3 s after it built its topology: usually once running, but start() may still be waiting.
    await testApp.app.start().catch(() => {});
    await waitFor(() => testApp.app.state === 'ERROR', () => `state ERROR, is ${testApp.app.state}`, 15_000);
    expect(testApp.logger.text()).toContain('StreamThread-2 exited unexpectedly with code 3');
    // ERROR means stopped: the thread that did not fail closes and leaves the group.
    const firstThread = () => testApp.app.metrics().threads?.find((thread) => thread.threadName === 'StreamThread-1');
    await waitFor(() => firstThread()?.state === 'NOT_RUNNING', () => `StreamThread-1 NOT_RUNNING, is ${firstThread()?.state}`, 15_000);
    await testApp.app.close({ timeoutMs: 10_000 });
    expect(testApp.app.state).toBe('NOT_RUNNING');
  });

  it('asks for createOptions() when the options hold functions a worker cannot receive', { timeout: testTimeout }, async () => {
    const testApp = await createApp(await countTopology('in', 'out'), {
      numStreamThreads: 2,
      threadModule: topologyOnlyModule,
      processingExceptionHandler: logAndFail(),
      appConfigs: { inputTopic: 'in', outputTopic: 'out' },
    });
    const failure = await testApp.app.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/must export createOptions\(\).*'processingExceptionHandler'/);
    expect(testApp.app.state).toBe('ERROR');
  });
});
