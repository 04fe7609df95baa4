/**
 * Idle: what an app costs while no record arrives, as an operator who keeps it running sees it.
 * The flagship starts on empty input topics (the mode's partitions each), and once it is RUNNING
 * and has settled for {@link settleMs}, the CPU of its whole process (every thread: the JVM's
 * compiler and collector threads, Node's worker threads and LevelDB's) is read from `/proc` at the
 * start and the end of a window: 20 s in quick mode, 60 s in full. What remains is each
 * implementation's own idle work: fetches that return empty after their wait, heartbeats, commits
 * and timers. Peak RSS is read at the end.
 */
import { sleep } from './child.js';
import { freshStateDirectory, startFlagship, uniqueName, waitForRunning, type Context, type FlagshipApp } from './context.js';

export interface IdleMeasurement {
  /** The window measured, from the end of the settling. */
  readonly seconds: number;
  /** User and system CPU of the process in the window. */
  readonly cpuMs: number;
  /** `cpuMs` as a share of one core over the window, in percent. */
  readonly cpuPercentOfCore: number;
  readonly peakRssBytes: number;
}

/** From RUNNING to the start of the window: the first commits, JIT compilation and the group's settling are not idle. */
const settleMs = 10_000;

export async function runIdle(context: Context, app: Omit<FlagshipApp, 'commitIntervalMs'>): Promise<IdleMeasurement> {
  const applicationId = uniqueName(context, `idle-${app.implementation === 'tributary' ? 'tributary' : 'kstreams'}`);
  const partitions = context.mode.partitions;
  const data = { eventsTopic: `${applicationId}-product-events`, catalogTopic: `${applicationId}-product-catalog`, partitions };
  await context.topics.create([data.eventsTopic, data.catalogTopic], partitions);
  const stateDirectory = await freshStateDirectory(context, applicationId);
  // A metrics line a second, as the Java reference prints: the runner needs none here but the state lines.
  const child = await startFlagship(context, { ...app, commitIntervalMs: context.commitIntervalMs, metricsIntervalMs: 1_000 }, data, applicationId, stateDirectory);
  try {
    await waitForRunning(child, 120_000);
    await sleep(settleMs);
    const before = child.cpuMs();
    const started = Date.now();
    await sleep(context.mode.name === 'quick' ? 20_000 : 60_000);
    const after = child.cpuMs();
    const seconds = (Date.now() - started) / 1000;
    const failure = child.failure();
    if (failure !== undefined) throw new Error(failure);
    if (before === undefined || after === undefined) throw new Error(`${child.label} exited while idle`);
    return { seconds, cpuMs: after - before, cpuPercentOfCore: ((after - before) / (seconds * 1000)) * 100, peakRssBytes: child.peakRss() ?? 0 };
  } finally {
    await child.stop();
  }
}
