/**
 * What a smoke app process needs besides its topology (smoke-app.mjs and flagship-app.mjs use it): its config
 * from the command line, one JSON event per line on stdout, a logger that turns warnings, errors
 * and commits into events, and the life cycle (start, report progress, close on SIGTERM, exit
 * when the application fails). Plain ESM, copied beside the app script by smoke-cluster.ts (with
 * ../helpers/client-option.mjs, which picks the Kafka client).
 *
 * Events on stdout:
 *   {"event":"state","state":"RUNNING","previous":"REBALANCING"}   on every state change,
 *   {"event":"processed","n":1234,"tasks":[...]}                    every second,
 *   {"event":"committed","message":"Committed 3 offset(s) (...)"}  after every commit that committed offsets,
 *   {"event":"log","level":"warn"|"error","message":...,"fields":...} for warnings and errors,
 *   {"event":"fatal","message":...}                                  when start() fails or the app goes to ERROR,
 *   {"event":"closed"}                                               after a clean close on SIGTERM.
 * Exit codes: 0 after SIGTERM, 2 on a bad config, 3 when the application failed (ERROR).
 */

import { clientOption } from '../helpers/client-option.mjs';

/** @param {Record<string, unknown>} event */
export function emit(event) {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), ...event })}\n`);
}

export function describeError(error) {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.name}${'code' in error ? ` [${String(error.code)}]` : ''}: ${error.message}${cause}`;
}

/**
 * The config JSON (first argument, or $SMOKE_APP_CONFIG), with `strings` and `topics.<name>`
 * for each of `topicNames` checked to be strings; throws saying which is wrong.
 */
export function readConfig(scriptName, strings, topicNames) {
  const text = process.argv[2] ?? process.env.SMOKE_APP_CONFIG;
  if (text === undefined) throw new Error(`${scriptName}: pass the config JSON as the first argument or in $SMOKE_APP_CONFIG.`);
  const config = JSON.parse(text);
  for (const name of strings) {
    if (typeof config[name] !== 'string') throw new Error(`${scriptName}: config '${name}' must be a string.`);
  }
  for (const name of topicNames) {
    if (typeof config.topics?.[name] !== 'string') throw new Error(`${scriptName}: config 'topics.${name}' must be a string.`);
  }
  return config;
}

function safeFields(fields) {
  if (fields === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(fields, (_key, value) => (typeof value === 'bigint' ? String(value) : value instanceof Error ? describeError(value) : value)));
  } catch {
    return String(fields);
  }
}

/** Warnings, errors and commits become events; the rest is dropped unless SMOKE_APP_LOG=1. */
const verbose = process.env.SMOKE_APP_LOG === '1';
function logAt(level) {
  return (message, fields) => {
    if (level === 'debug' && typeof message === 'string' && message.startsWith('Committed ')) emit({ event: 'committed', message });
    if (level === 'warn' || level === 'error' || verbose) emit({ event: 'log', level, message, fields: safeFields(fields) });
  };
}
export const logger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };

/** How long after its thaw the produce requests a self-frozen app writes are its own thread's late writes (its replacement is made after 0.5 s, then joins). */
const LATE_PRODUCE_WINDOW_MS = 400;

/**
 * Config `freezeMidProduce` (kafkajs only): once armed by SIGUSR2, the app stops itself (SIGSTOP)
 * in the middle of a burst of produce requests, with all four of the at-least-once producer's
 * requests on the wire and more waiting behind them, as a process frozen or starved during a
 * commit's flush is. Thawed (SIGCONT from the harness), it reports the produce requests its
 * clients put on the wire in the {@link LATE_PRODUCE_WINDOW_MS} after: event
 * `{"event":"late-produce","requests":n}`; each would land after the writes of the member its
 * tasks moved to. kafkajs' debug log names each request as it goes out (the at-least-once
 * producer's lock per broker has been taken by then), which is what this watches; warnings and
 * errors go to the app's logger as usual.
 */
function freezeMidProduceKafka(base) {
  let armed = false;
  let frozen = false;
  let burst = 0;
  let thawedAt;
  let late = 0;
  process.on('SIGUSR2', () => {
    armed = true;
  });
  const freezeAfterBurst = () => {
    const requests = burst;
    burst = 0;
    // Four requests at once means each producer is busy: a commit's flush or a linger send of many partitions, with more waiting.
    if (requests < 4 || frozen) return;
    frozen = true;
    emit({ event: 'freezing', requests });
    process.kill(process.pid, 'SIGSTOP');
    thawedAt = Date.now();
    emit({ event: 'thawed' });
    setTimeout(() => emit({ event: 'late-produce', requests: late }), LATE_PRODUCE_WINDOW_MS);
  };
  return {
    ...base,
    logLevel: 5,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...fields } = log;
        if (level === 1) logger.error(`kafkajs: ${message}`, fields);
        else if (level === 2) logger.warn(`kafkajs: ${message}`, fields);
        if (typeof message !== 'string' || !message.startsWith('Request Produce')) return;
        if (thawedAt !== undefined) {
          if (Date.now() - thawedAt < LATE_PRODUCE_WINDOW_MS) late++;
          return;
        }
        if (!armed || frozen) return;
        if (burst++ === 0) setImmediate(freezeAfterBurst);
      },
  };
}

/**
 * The `KafkaStreams` options every smoke app takes from its config, with this module's logger, on
 * the client `TRIBUTARY_CLIENT` names (helpers/client-option.mjs).
 */
export function streamsOptions(config) {
  return {
    applicationId: config.applicationId,
    bootstrapServers: config.bootstrap,
    ...clientOption(config.bootstrap, config.applicationId),
    stateDir: config.stateDir,
    processingGuarantee: config.processingGuarantee ?? 'at_least_once',
    commitIntervalMs: config.commitIntervalMs ?? 1000,
    consumer: config.consumer,
    kafka: config.freezeMidProduce === true ? freezeMidProduceKafka(config.kafka) : config.kafka,
    logger,
  };
}

/**
 * Runs the KafkaStreams app `makeApp` returns until SIGTERM, reporting its states and progress
 * as events; exits 2 with a fatal event when `makeApp` throws (a bad config).
 */
export function runApp(makeApp) {
  let app;
  try {
    app = makeApp();
  } catch (error) {
    emit({ event: 'fatal', phase: 'config', message: describeError(error) });
    process.exit(2);
  }

  let closing = false;
  async function shutDown(code) {
    if (closing) return;
    closing = true;
    clearInterval(ticker);
    try {
      await app.close({ timeoutMs: 10_000 });
      emit({ event: 'closed' });
    } catch (error) {
      emit({ event: 'log', level: 'error', message: `close() failed: ${describeError(error)}` });
    }
    process.exit(code);
  }

  app.onStateChange((state, previous) => {
    emit({ event: 'state', state, previous });
    // A failed application does not recover by itself; say why and exit, so the harness restarts it.
    if (state === 'ERROR') {
      setImmediate(() => void shutDown(3));
    }
  });

  const ticker = setInterval(() => {
    const metrics = app.metrics();
    emit({ event: 'processed', n: metrics.processed, tasks: metrics.tasks });
  }, 1000);

  process.once('SIGTERM', () => void shutDown(0));
  process.once('SIGINT', () => void shutDown(0));
  process.on('unhandledRejection', (error) => emit({ event: 'log', level: 'error', message: `unhandled rejection: ${describeError(error)}` }));

  app.start().then(
    () => emit({ event: 'started' }),
    (error) => {
      emit({ event: 'fatal', phase: 'start', message: describeError(error) });
      void shutDown(3);
    },
  );
}
