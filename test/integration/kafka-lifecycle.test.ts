/**
 * `KafkaStreams`' lifecycle (issue #12, items 8-10): start() and close() in any interleaving both
 * settle, cleanly; nothing keeps the process alive after close(); an application's state
 * directory is locked against a second instance.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { StateDirectoryLockedError } from '@tributary/kafka';
import { LevelStores } from '@tributary/level';
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder, type Topology } from '@tributary/streams';
import { bootstrapServers, createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeLatest, createApp, produce, startApp, tempStateDir, waitFor, type AppOverrides, type InputRecord } from './helpers/streams-app.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs `node script args`, and resolves with its output and how long it ran, or rejects when it outlives `limitMs` (and kills it). */
function runProcess(script: string, args: readonly string[], limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string; ranMs: number }> {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} was still alive ${limitMs} ms after it started; its output: ${stdout} ${stderr}`));
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ranMs: Date.now() - began });
    });
  });
}

describe('after close(), nothing keeps the process alive', () => {
  it('a process whose start() failed against a broker that accepts and never answers exits by itself within seconds of close()', { timeout: 90_000 }, async () => {
    const stateDir = await tempStateDir();
    const { code, stdout, stderr, ranMs } = await runProcess(fixture('silent-broker-app.mjs'), [stateDir], 75_000);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { failedAfterMs: number; closedAfterMs: number; code: string; message: string };
    // start() gives up after its 30 s connect budget; the process then ends within seconds of close().
    expect(report.failedAfterMs).toBeLessThan(40_000);
    expect(ranMs - report.closedAfterMs).toBeLessThan(5_000);
    expect(report.code).toBe('BROKER_UNREACHABLE');
    expect(report.message).toMatch(/accepted but nothing answered/);
  });
});

/** `input` counted per key into a LevelDB store (restored from its changelog on a fresh state directory) → `output`; `globals` loaded as a global table. */
function countingTopology(input: string, output: string, globals: string): Topology {
  const builder = new StreamsBuilder();
  builder.globalTable(globals, Consumed.with(Serdes.String(), Serdes.String()));
  builder
    .stream(input, Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .count(Materialized.as<string, number>(LevelStores.persistentKeyValueStore('counts')))
    .toStream()
    .to(output, Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

function records(count: number, keys: number, prefix: string): InputRecord<string, string>[] {
  const start = Date.now() - 60_000;
  return Array.from({ length: count }, (_, index) => ({ key: `${prefix}${index % keys}`, value: `v${index}`, timestamp: start + index }));
}

/** Texts of internal errors that must never reach the application's log or start()'s rejection. */
const internalErrorTexts = [/Cannot destructure/, /write after end/, /Cannot read propert/, /is not a function/];

interface Interleaving {
  readonly label: string;
  /** What start() settled with: 'running', or the error's code and message. */
  readonly outcome: string;
}

/**
 * Starts an app, closes it after `delayMs`, and checks that both settle cleanly: start() resolves
 * or rejects with the "closed while starting" error, close() resolves, the state ends
 * NOT_RUNNING, and nothing internal is logged above debug.
 */
async function closeDuringStart(topology: Topology, overrides: AppOverrides, delayMs: number, label: string): Promise<Interleaving> {
  const testApp = await createApp(topology, overrides);
  const settleWithin = (promise: Promise<unknown>, what: string) =>
    Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${label}: ${what} did not settle within 30 s (states ${testApp.states.join(' → ')})`)), 30_000))]);
  const start = testApp.app.start().then(
    () => 'running',
    (error: unknown) => error,
  );
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  await settleWithin(testApp.app.close({ timeoutMs: 20_000 }), 'close()');
  const outcome = await settleWithin(start, 'start()');
  expect(testApp.app.state, label).toBe('NOT_RUNNING');
  if (outcome !== 'running') {
    const error = outcome as { code?: string; message?: string };
    expect(error.code, `${label}: ${String(error.message)}`).toBe('ILLEGAL_STATE');
    expect(error.message, label).toMatch(/^The application was closed while starting/);
  }
  const loud = testApp.logger.lines.filter((line) => line.level !== 'debug');
  const text = loud.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields ?? {})}`).join('\n');
  expect(loud.filter((line) => line.level === 'error'), `${label}: ${text}`).toEqual([]);
  for (const pattern of internalErrorTexts) expect(text, label).not.toMatch(pattern);
  return { label, outcome: outcome === 'running' ? 'running' : `${(outcome as { code?: string }).code}` };
}

describe('start() and close() in any interleaving', () => {
  it('close() at every moment of start() (connecting, creating topics, loading globals, joining, restoring) settles both cleanly', { timeout: 600_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));

    const input = uniqueTopic('it-life-in');
    const output = uniqueTopic('it-life-out');
    const globals = uniqueTopic('it-life-globals');
    await createTopics(kafkaClient(), [
      { topic: input, numPartitions: 3 },
      { topic: output, numPartitions: 3 },
      { topic: globals, numPartitions: 2 },
    ]);
    await produce({ topic: globals, records: records(3000, 3000, 'g') });
    // A first run fills the changelog, so that later starts with fresh state directories restore it.
    const batch = records(6000, 3000, 'k');
    await produce({ topic: input, records: batch });
    const first = await startApp(countingTopology(input, output, globals));
    await consumeLatest(output, new Map(Array.from({ length: 3000 }, (_, index) => [`k${index}`, 2])), { valueSerde: Serdes.Float64(), timeoutMs: 60_000 });
    await first.app.close({ timeoutMs: 15_000 });

    // How long a full start takes, with topics to create (a new application id) and with a changelog to restore (the same one).
    const timed = async (overrides: AppOverrides): Promise<{ took: number; restored: number }> => {
      const began = Date.now();
      const testApp = await startApp(countingTopology(input, output, globals), overrides);
      const took = Date.now() - began;
      const { restored } = testApp.app.metrics();
      await testApp.app.close({ timeoutMs: 15_000 });
      return { took, restored };
    };
    const fresh = await timed({});
    const restoring = await timed({ applicationId: first.applicationId });
    expect(restoring.restored).toBeGreaterThanOrEqual(3000);
    const freshMs = fresh.took;
    const restoreMs = restoring.took;
    // Fixed early moments, then eighths of a full start, then well after it (start() usually resolved first).
    const spread = (totalMs: number): number[] => [0, 1, 5, 20, 50, ...Array.from({ length: 8 }, (_, index) => Math.round((totalMs * (index + 1)) / 8)), totalMs * 2, totalMs * 4];

    const results: Interleaving[] = [];
    for (const delayMs of spread(freshMs)) {
      results.push(await closeDuringStart(countingTopology(input, output, globals), {}, delayMs, `new application, close after ${delayMs} ms of ${freshMs}`));
    }
    for (const delayMs of spread(restoreMs)) {
      results.push(await closeDuringStart(countingTopology(input, output, globals), { applicationId: first.applicationId }, delayMs, `restoring application, close after ${delayMs} ms of ${restoreMs}`));
    }
    console.log(`close during start: ${results.map((result) => `${result.label} → ${result.outcome}`).join('; ')}`);
    expect(unhandled.map((reason) => (reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)))).toEqual([]);
    // Both kinds of endings were exercised: closes that beat the start, and starts that finished first.
    expect(results.some((result) => result.outcome === 'ILLEGAL_STATE')).toBe(true);
    expect(results.some((result) => result.outcome === 'running')).toBe(true);
  });
});

describe('start() and close() in any interleaving, with numStreamThreads', () => {
  it('close() at every moment of start() with two worker threads settles both cleanly and releases the state directory', { timeout: 300_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    const inputTopic = uniqueTopic('it-life-threads-in');
    const outputTopic = uniqueTopic('it-life-threads-out');
    await createTopics(kafkaClient(), [
      { topic: inputTopic, numPartitions: 4 },
      { topic: outputTopic, numPartitions: 4 },
    ]);
    const threadModule = fixture('count-topology.mjs');
    const { createTopology } = (await import(threadModule)) as { createTopology: (context: unknown) => Topology };
    const stateDir = await tempStateDir();
    const applicationId = `it-life-threads-${uniqueTopic('app').slice(-8)}`;
    const overrides = { applicationId, stateDir, numStreamThreads: 2, threadModule, appConfigs: { inputTopic, outputTopic } } satisfies AppOverrides;
    const results: Interleaving[] = [];
    for (const delayMs of [0, 5, 50, 200, 500, 1000, 2000, 4000]) {
      results.push(await closeDuringStart(createTopology({ options: { appConfigs: { inputTopic, outputTopic } } }), overrides, delayMs, `two threads, close after ${delayMs} ms`));
    }
    console.log(`close during start with threads: ${results.map((result) => `${result.label} → ${result.outcome}`).join('; ')}`);
    expect(unhandled.map((reason) => (reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)))).toEqual([]);
    // Every close released the state directory: the same directory starts again.
    const last = await startApp(createTopology({ options: { appConfigs: { inputTopic, outputTopic } } }), overrides);
    expect(last.state()).toBe('RUNNING');
  });
});

describe('the state directory lock', () => {
  it('a second instance on the same state directory fails to start, naming the directory; once the holder is killed with kill -9, a new one starts', { timeout: 120_000 }, async () => {
    const input = uniqueTopic('it-lock-in');
    const output = uniqueTopic('it-lock-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }]);
    const stateDir = await tempStateDir();
    const applicationId = `it-lock-${uniqueTopic('app').slice(-8)}`;
    const holder = spawn(process.execPath, [fixture('state-dir-holder.mjs'), bootstrapServers(), applicationId, stateDir, input, output], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void holder.kill('SIGKILL'));
    let holderOutput = '';
    holder.stdout.on('data', (chunk: Buffer) => (holderOutput += chunk.toString()));
    holder.stderr.on('data', (chunk: Buffer) => (holderOutput += chunk.toString()));
    await waitFor(() => holderOutput.includes('RUNNING'), () => `the holder to run: ${holderOutput}`, 60_000);

    const { createTopology } = (await import(fixture('count-topology.mjs'))) as { createTopology: (context: unknown) => Topology };
    const second = await createApp(createTopology({ options: { appConfigs: { inputTopic: input, outputTopic: output } } }), { applicationId, stateDir });
    const error = await second.app.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateDirectoryLockedError);
    const message = (error as Error).message;
    expect(message).toContain(`'${stateDir}/${applicationId}'`);
    expect(message).toContain(`process ${holder.pid}`);
    expect(message).toContain("own 'stateDir'");
    expect(second.state()).toBe('ERROR');

    // kill -9 leaves the lock file behind; the next instance sees its process is gone and takes it over.
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const third = await startApp(createTopology({ options: { appConfigs: { inputTopic: input, outputTopic: output } } }), { applicationId, stateDir });
    expect(third.state()).toBe('RUNNING');
    await produce({ topic: input, records: records(20, 4, 'x') });
    expect(await consumeLatest(output, new Map(Array.from({ length: 4 }, (_, index) => [`x${index}`, 5])), { valueSerde: Serdes.Float64() })).toEqual(
      new Map(Array.from({ length: 4 }, (_, index) => [`x${index}`, 5])),
    );
  });
});
