/**
 * The entry of a worker thread of `numStreamThreads` (see `thread-pool.ts`): imports the thread
 * module, builds the topology and the options there (functions cannot be sent here), and runs an
 * ordinary single-thread `KafkaStreams`, reporting its states, metrics, log lines and failure to
 * the supervisor and closing it when asked (the messages are in `worker-messages.ts`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, type Logger, type Topology } from '@tributary/streams';
import { answerEncodedQuery, fatalErrorOf, joinProcess, KafkaStreams, onGroupSnapshot } from '../kafka-streams.js';
import { StoreUnavailableError } from '../errors.js';
import type { KafkaStreamsOptions, StreamThreadContext, StreamThreadModule } from '../options.js';
import { snapshotError, type CloseMessage, type MetricsSnapshot, type QueryMessage, type SupervisorMessage, type StreamThreadWorkerData, type WorkerMessage } from './worker-messages.js';

const port = parentPort;
if (port === null) throw new Error('stream-thread-worker runs in a worker thread started by KafkaStreams with numStreamThreads above 1.');
const data = workerData as StreamThreadWorkerData;

let app: KafkaStreams | undefined;
let closing: Promise<void> | undefined;
let failed = false;
let metricsTimer: NodeJS.Timeout | undefined;

function post(message: WorkerMessage): void {
  port!.postMessage(message);
}

function snapshot(): MetricsSnapshot {
  if (app === undefined) return { processed: 0, dropped: [], tasks: [], restored: 0 };
  const metrics = app.metrics();
  return { processed: metrics.processed, dropped: [...metrics.dropped], tasks: metrics.tasks, restored: metrics.restored, standbyTasks: metrics.standbyTasks, standbyRecords: metrics.standbyRecords, streamTimeAheadOfWallClockMs: metrics.streamTimeAheadOfWallClockMs, all: metrics.all.filter((metric) => metric.group !== 'stream-metrics') };
}

function reportFailure(error: unknown): void {
  if (failed || closing !== undefined) return;
  failed = true;
  post({ type: 'failed', error: snapshotError(error) });
}

/** Sends log lines to the supervisor's logger; fields that cannot be cloned go as text. */
const forwardingLogger: Logger = {
  debug: (message, fields) => forwardLog('debug', message, fields),
  info: (message, fields) => forwardLog('info', message, fields),
  warn: (message, fields) => forwardLog('warn', message, fields),
  error: (message, fields) => forwardLog('error', message, fields),
};

function forwardLog(level: keyof Logger, message: string, fields: Record<string, unknown> | undefined): void {
  try {
    post({ type: 'log', level, message, fields });
  } catch {
    post({ type: 'log', level, message, fields: { fields: String(fields) } });
  }
}

function valueAt(options: Record<string, unknown>, path: string): unknown {
  let value: unknown = options;
  for (const part of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

/** The cloneable options, the module's overrides over them, and this thread's own settings. */
async function threadOptions(module: StreamThreadModule, context: StreamThreadContext): Promise<KafkaStreamsOptions> {
  const overrides = (await module.createOptions?.(context)) ?? {};
  const base = data.options as unknown as KafkaStreamsOptions;
  const kafka = { ...base.kafka, ...overrides.kafka };
  const merged: Record<string, unknown> = { ...base, ...overrides, kafka };
  const missing = data.omitted.filter((path) => path !== 'logger' && valueAt(merged, path) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `The thread module ${data.threadModule} must return ${missing.map((path) => `'${path}'`).join(', ')} from createOptions(): they are set on the main thread's options, and cannot be sent to a worker thread.`,
    );
  }
  return {
    ...merged,
    logger: overrides.logger ?? forwardingLogger,
    numStreamThreads: 1,
    threadModule: undefined,
    kafka: { ...kafka, clientId: `${kafka.clientId ?? base.applicationId}-${data.threadName}` },
  } as KafkaStreamsOptions;
}

async function close(message: CloseMessage): Promise<void> {
  clearInterval(metricsTimer);
  await app?.close({ timeoutMs: message.timeoutMs }).catch(() => {});
  post({ type: 'closed', metrics: snapshot() });
}

async function run(): Promise<void> {
  const module = (await import(data.threadModule)) as StreamThreadModule;
  const context: StreamThreadContext = { threadIndex: data.threadIndex, options: data.options as unknown as KafkaStreamsOptions };
  const options = await threadOptions(module, context);
  const topology = (await module.createTopology(context)) as Topology;
  if (closing !== undefined) return;
  const streams = new KafkaStreams(topology, options);
  joinProcess(streams, data.processId, data.threadIndex);
  onGroupSnapshot(streams, (groupSnapshot) => post({ type: 'group', snapshot: groupSnapshot }));
  app = streams;
  streams.onStateChange((state) => {
    post({ type: 'state', state, metrics: snapshot() });
    if (state === 'ERROR') reportFailure(fatalErrorOf(streams));
  });
  metricsTimer = setInterval(() => post({ type: 'metrics', metrics: snapshot() }), data.metricsIntervalMs);
  await streams.start();
}

/** Answers the supervisor's store query from this thread's stores. */
function answer(message: QueryMessage): void {
  try {
    if (app === undefined) throw new StoreUnavailableError(`${data.threadName} has not started its application yet.`);
    post({ type: 'query-answer', id: message.id, answer: answerEncodedQuery(app, message.query) });
  } catch (error) {
    post({ type: 'query-answer', id: message.id, error: snapshotError(error) });
  }
}

port.on('message', (message: SupervisorMessage) => {
  if (message.type === 'close') closing ??= close(message);
  else if (message.type === 'query') answer(message);
});
run().catch(reportFailure);
