/**
 * `product-analytics run` with no broker: the generator feeds the topology in this process on
 * the `EmbeddedRunner` (the same engine as the Kafka runtime and the test driver) with LevelDB
 * stores, and the dashboard shows the results live.
 */
import { mkdir } from 'node:fs/promises';
import { EmbeddedRunner, StreamsBuilder, type Logger } from '@tributary/streams';
import { RouteTable } from '@tributary/kafka/http';
import type { RunCommand } from './cli-options.js';
import { Dashboard, type Throughput } from './dashboard.js';
import { EventGenerator } from './generator.js';
import type { Alert, CategoryStats, ProductStats } from './model.js';
import { buildTopology, defaultOptions } from './topology.js';
import { levelStoreSuppliers } from './stores.js';
import { RateSampler, serveRoutes, WebDashboard, type ListeningServer } from './web-dashboard.js';
import { embeddedReader, feedAlerts } from './web-dashboard-data.js';

/** Where the CLI writes, so tests can capture it. */
export interface Terminal {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number;
}

/** Errors to stderr; the engine's warnings about single records (late, dropped) are counted in the metrics instead. */
export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message, fields) => console.error(`error: ${message}`, fields ?? ''),
};

const tickMs = 50;
/** The longest the generator sends before it yields, ms. */
const sliceMs = 50;
const commitIntervalMs = 1000;

/** Runs until the duration or event count is reached, or `stop` resolves (a signal); then commits and closes. */
export async function runEmbedded(command: RunCommand, terminal: Terminal, stop: Promise<void>): Promise<void> {
  const topics = defaultOptions.topics;
  const storeSuppliers = levelStoreSuppliers();
  const topology = buildTopology(new StreamsBuilder({ dslStoreSuppliers: storeSuppliers }), { storeSuppliers, emitFinalOnly: command.emitFinalOnly });
  await mkdir(command.stateDir, { recursive: true });
  const runner = await EmbeddedRunner.start(topology, { applicationId: command.applicationId, logger: quietLogger }, { stateDir: command.stateDir, commitIntervalMs });

  let sent = 0;
  let deadLetters = 0;
  let alertCount = 0;
  const recentAlerts: Alert[] = [];
  /** Events the rate asked for by now that are not sent yet: the embedded run's lag. */
  let backlog = 0;
  let web: { readonly dashboard: WebDashboard; readonly server: ListeningServer; readonly sampler: RateSampler } | undefined;
  if (command.http !== undefined) {
    const sampler = new RateSampler(() => runner.metrics().processed);
    const webDashboard = new WebDashboard({
      mode: 'embedded',
      reader: embeddedReader(runner),
      counters: async () => {
        const metrics = runner.metrics();
        let dropped = 0;
        for (const count of metrics.dropped.values()) dropped += count;
        return { instances: 1, answering: 1, recordsPerSecond: sampler.perSecond, processed: metrics.processed, lag: backlog, dropped };
      },
      feed: () => ({ alerts: recentAlerts, alertCount, deadLetters }),
    });
    const routes = new RouteTable();
    webDashboard.addRoutes(routes);
    try {
      web = { dashboard: webDashboard, server: await serveRoutes(routes, command.http), sampler };
    } catch (error) {
      webDashboard.close();
      sampler.close();
      await runner.close();
      throw error;
    }
    terminal.write(`dashboard: ${web.server.url}/\n`);
  }
  const dashboard = new Dashboard(web?.server.url);
  runner.onRecord(topics.productAnalytics, (record) => {
    if (record.value !== null) dashboard.addProductStats(JSON.parse(record.value.toString('utf8')) as ProductStats);
  });
  runner.onRecord(topics.categoryAnalytics, (record) => {
    if (record.value !== null) dashboard.addCategoryStats(JSON.parse(record.value.toString('utf8')) as CategoryStats);
  });
  runner.onRecord(topics.alerts, (record) => {
    if (record.value === null) return;
    const alert = JSON.parse(record.value.toString('utf8')) as Alert;
    dashboard.addAlert(alert);
    alertCount++;
    recentAlerts.push(alert);
    if (recentAlerts.length > feedAlerts) recentAlerts.shift();
  });
  runner.onRecord(topics.deadLetter, () => void deadLetters++);

  // Event time follows the wall clock: the generator's clock advances at the sending rate.
  const generator = new EventGenerator({ seed: command.seed, startTime: Date.now(), eventsPerSecond: command.rate });
  for (const record of generator.catalogSnapshot()) runner.send(topics.catalog, record.key, record.value, { timestamp: record.timestamp });

  const started = performance.now();
  let lastFrameAt = started;
  let sentAtLastFrame = 0;
  let stopping = false;
  void stop.then(() => {
    stopping = true;
  });
  if (terminal.isTTY) terminal.write('\x1b[?25l\x1b[2J'); // hide the cursor, clear once

  const frame = (now: number, final = false): void => {
    // The last frame reports the whole run's rate; the others, the last second's.
    const seconds = final ? (now - started) / 1000 : (now - lastFrameAt) / 1000;
    const metrics = runner.metrics();
    const throughput: Throughput = {
      elapsedSeconds: (now - started) / 1000,
      sent,
      eventsPerSecond: seconds > 0 ? (sent - (final ? 0 : sentAtLastFrame)) / seconds : 0,
      processed: metrics.processed,
      dropped: metrics.dropped,
      deadLetters,
      streamTimeAheadOfWallClockMs: metrics.streamTimeAheadOfWallClockMs,
    };
    lastFrameAt = now;
    sentAtLastFrame = sent;
    if (terminal.isTTY) terminal.write(dashboard.screen(throughput, terminal.columns));
    else terminal.write(`${dashboard.plainLines(throughput).join('\n')}\n`);
  };

  try {
    const limit = command.events ?? Number.POSITIVE_INFINITY;
    const deadline = command.duration === undefined ? Number.POSITIVE_INFINITY : started + command.duration * 1000;
    let committedAt = started;
    while (!stopping && sent < limit) {
      let now = performance.now();
      if (now >= deadline) break;
      // Send what the rate allows by now, but for one slice at most: `send` runs the topology
      // synchronously, so a rate the engine cannot reach would otherwise never yield to the
      // timers, the deadline or a signal. Behind the rate, the measured rate shows the engine's.
      const due = Math.min(limit, Math.floor(((now - started) / 1000) * command.rate) + 1);
      const sliceEnd = Math.min(now + sliceMs, deadline);
      let sentInSlice = 0;
      while (sent < due && !stopping) {
        const record = generator.next();
        runner.send(record.stream === 'events' ? topics.events : topics.catalog, record.key, record.value, { timestamp: record.timestamp });
        if (record.stream === 'events') sent++;
        if (++sentInSlice % 256 === 0 && performance.now() >= sliceEnd) break;
      }
      now = performance.now();
      backlog = due - sent;
      if (now - lastFrameAt >= 1000) frame(now);
      if (now - committedAt >= commitIntervalMs) {
        // Backpressure: wait for the stores to reach disk before generating more.
        await runner.commit();
        committedAt = performance.now();
      }
      // Behind the rate: only let timers and signals in. On time: wait for the next tick.
      await new Promise((resolve) => (sent < due ? setImmediate(resolve) : setTimeout(resolve, tickMs)));
    }
    await runner.commit(); // flush cached updates, so the last frame shows every event sent
    frame(performance.now(), true);
    const seconds = (performance.now() - started) / 1000;
    terminal.write(`${terminal.isTTY ? '\x1b[?25h' : ''}done: ${sent} events in ${seconds.toFixed(1)}s (${Math.round(sent / seconds)} events/s of ${command.rate} asked), peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, state in ${command.stateDir}\n`);
  } finally {
    if (terminal.isTTY) terminal.write('\x1b[?25h');
    if (web !== undefined) {
      web.dashboard.close();
      web.sampler.close();
      await web.server.close();
    }
    await runner.close();
  }
}
