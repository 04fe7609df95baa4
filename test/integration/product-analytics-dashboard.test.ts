/**
 * The flagship's web dashboard on the real broker, without a browser: two instances of the built
 * CLI (`run -b ... --http 127.0.0.1:0`, one application) split the partitions, and the event
 * stream of each, read with plain node, must show the same whole picture (every instance's
 * stores and counters), then follow new input as it is processed; a product's trend is read
 * through the instance holding it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventGenerator, generateDataSet } from '../../examples/product-analytics/src/generator.js';
import { ensureTopics, produceRecords } from '../../examples/product-analytics/src/kafka-commands.js';
import { defaultOptions } from '../../examples/product-analytics/src/topology.js';
import type { DashboardSnapshot } from '../../examples/product-analytics/src/web-dashboard-data.js';
import { clientName } from './helpers/client-option.mjs';
import { bootstrapServers } from './helpers/kafka.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'product-analytics', 'dist', 'cli.js');

interface Instance {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

/** Starts the built CLI on Kafka; resolves once it prints its dashboard's address. Killed when the test ends. */
function startInstance(args: readonly string[]): Promise<Instance> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the example first (pnpm --filter ./examples/product-analytics run build).`);
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard address within 30 s:\n${output}`)), 30_000);
    const look = () => {
      const match = /^dashboard: (http:\/\/\S+)\/$/m.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, url: match[1]!, output: () => output });
    };
    child.stdout!.on('data', look);
    child.on('exit', (code) => reject(new Error(`the CLI exited (${code}) before serving its dashboard:\n${output}`)));
  });
}

/** Follows an instance's event stream, keeping the latest snapshot. */
function follow(url: string): { latest: () => DashboardSnapshot | undefined; count: () => number } {
  let latest: DashboardSnapshot | undefined;
  let count = 0;
  const outgoing = request(url, (response) => {
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    let buffer = '';
    response.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!event.startsWith('data: ')) continue;
        latest = JSON.parse(event.slice(6)) as DashboardSnapshot;
        count++;
      }
    });
  });
  outgoing.on('error', () => {}); // destroyed when the test ends
  outgoing.end();
  onTestFinished(() => void outgoing.destroy());
  return { latest: () => latest, count: () => count };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number, describeState: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; ${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function totalViews(snapshot: DashboardSnapshot): number {
  return snapshot.categories.reduce((sum, stats) => sum + stats.views, 0);
}

describe('the flagship dashboard on Kafka', () => {
  it('shows two instances one whole picture through server-sent events, and follows new input', async () => {
    const topics = defaultOptions.topics;
    await ensureTopics(bootstrapServers(), Object.values(topics), 3);
    // 3,000 events over 30 s, all in one 5-minute window: the page shows the window of the latest
    // event, and input that crossed a boundary would leave it only the few events past it.
    const windowMs = 5 * 60_000;
    const spanMs = 31_000; // 30 s of events, and the generator's jitter of up to 200 ms
    let firstTime = Date.now() - 30_000;
    const windowEnd = (Math.floor(firstTime / windowMs) + 1) * windowMs;
    if (firstTime + spanMs > windowEnd) firstTime = windowEnd - spanMs;
    await produceRecords(bootstrapServers(), generateDataSet(3000, { seed: 23, startTime: firstTime, eventsPerSecond: 100 }));

    const applicationId = `pa-dashboard-${randomUUID().slice(0, 8)}`;
    const instances = await Promise.all(
      ['a', 'b'].map((name) => {
        const stateDir = mkdtempSync(join(tmpdir(), `product-analytics-dashboard-${name}-`));
        onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
        return startInstance(['run', '-b', bootstrapServers(), '--client', clientName, '--http', '127.0.0.1:0', '--application-id', applicationId, '--state-dir', stateDir, '--duration', '50']);
      }),
    );
    const streams = instances.map((instance) => follow(`${instance.url}/dashboard/events`));
    const state = () => `snapshots: ${JSON.stringify(streams.map((stream) => ({ ...stream.latest(), productsByViews: undefined, productsByRevenue: undefined, alerts: undefined })))}\n${instances.map((instance) => instance.output()).join('\n---\n')}`;

    // Settled: both instances RUNNING and known to each other, every input processed; then each
    // page shows the same categories and counters, though each instance holds only some partitions.
    const [a, b] = await until(
      'both pages to show the same settled picture',
      () => {
        const [latestA, latestB] = streams.map((stream) => stream.latest());
        if (latestA === undefined || latestB === undefined) return undefined;
        const settled = (snapshot: DashboardSnapshot) => snapshot.status === null && snapshot.window !== null && snapshot.counters.instances === 2 && snapshot.counters.answering === 2 && snapshot.counters.lag === 0 && snapshot.counters.recordsPerSecond === 0;
        if (!settled(latestA) || !settled(latestB)) return undefined;
        if (JSON.stringify(latestA.categories) !== JSON.stringify(latestB.categories) || latestA.productCount !== latestB.productCount || latestA.counters.processed !== latestB.counters.processed) return undefined;
        return [latestA, latestB] as const;
      },
      45_000,
      state,
    );
    expect(a.mode).toBe('kafka');
    expect(a.productCount).toBeGreaterThan(20);
    expect(a.categories.length).toBeGreaterThan(3);
    expect(a.productsByViews).toEqual(b.productsByViews);
    expect(a.counters.processed).toBeGreaterThanOrEqual(3000);
    expect(totalViews(a)).toBeGreaterThan(0);
    // The dead-letter and alert feeds read their topics whole: the generator's malformed events are there.
    expect(a.deadLetters).toBeGreaterThan(0);
    expect(a.deadLetters).toBe(b.deadLetters);

    // New input flows to both pages. Its event times lie in the window the pages show: stamped
    // with the wall clock, a run that crossed a 5-minute boundary since the first input sent the
    // new events into the next window, whose page holds only them (fewer views than before).
    // At most 30 s behind the pages' stream time (grace is a minute), 600 events within 0.6 s; the
    // generator makes event ids of its seed and start time, so the start varies with the clock, or
    // a second run on the same broker would send the first one's ids, which de-duplication drops.
    const before = totalViews(a);
    const shown = a.window!;
    const startTime = Math.max(shown.start, (a.streamTime ?? shown.start) - 30_000) + (Date.now() % 10_000);
    expect(startTime + 1000).toBeLessThan(shown.end);
    await produceRecords(bootstrapServers(), new EventGenerator({ seed: 29, startTime, eventsPerSecond: 1000 }).take(600));
    await until('the new events on both pages', () => (streams.every((stream) => totalViews(stream.latest()!) > before) ? true : undefined), 30_000, state);

    // A product's trend is read from the instance holding it, through either instance.
    const productId = a.productsByViews[0]!.key;
    const trends = instances.map((instance) => follow(`${instance.url}/dashboard/events?product=${productId}`));
    const [trendA, trendB] = await until(
      'the trend of the top product on both pages',
      () => {
        const found = trends.map((stream) => stream.latest()?.trend);
        return found.every((trend) => trend !== undefined && trend !== null && trend.points.length > 0) ? found : undefined;
      },
      20_000,
      state,
    );
    expect(trendA!.productId).toBe(productId);
    expect(trendA!.points.length).toBe(trendB!.points.length);
    expect(trendA!.points.every((point) => point.views >= 0 && point.windowEnd - point.windowStart === 5 * 60_000)).toBe(true);

    for (const instance of instances) instance.child.kill('SIGTERM');
    const codes = await Promise.all(instances.map((instance) => new Promise((resolve) => (instance.child.exitCode !== null ? resolve(instance.child.exitCode) : instance.child.once('exit', resolve)))));
    expect(codes, instances.map((instance) => instance.output()).join('\n---\n')).toEqual([0, 0]);
  }, 120_000);
});
