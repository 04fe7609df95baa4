/**
 * The smoke-test application, run as its own process by smoke-cluster.ts so that a test can
 * kill it with SIGKILL or freeze it with SIGSTOP (as Apache Kafka's SmokeTestClient and the EOS
 * system tests do). Plain ESM so it runs with `node` on the built packages, no TypeScript step.
 *
 * Usage: node smoke-app.mjs '<config JSON>' (or the JSON in $SMOKE_APP_CONFIG). The config:
 *   { bootstrap, applicationId, topics: { data, echo, agg, cnt }, processingGuarantee,
 *     commitIntervalMs, stateDir, consumer: { sessionTimeoutMs, heartbeatIntervalMs, ... },
 *     kafka: { retry, ... } }
 *
 * Known-answer topology over `data` (key "i-j", Int32 value v with i <= v <= j):
 *   echo  every record unchanged (stateless: per-record exactly-once is visible here),
 *   agg   groupByKey → aggregate {min, max, sum, count} on LevelDB, as JSON,
 *   cnt   groupBy(i % 5) → count (through a repartition topic), as JSON numbers.
 *
 * It speaks one JSON object per line on stdout:
 *   {"event":"state","state":"RUNNING","previous":"REBALANCING"}   on every state change,
 *   {"event":"processed","n":1234,"tasks":[...]}                    every second,
 *   {"event":"log","level":"warn"|"error","message":...,"fields":...} for warnings and errors,
 *   {"event":"fatal","message":...}                                  when start() fails or the app goes to ERROR,
 *   {"event":"closed"}                                               after a clean close on SIGTERM.
 * It exits 0 after SIGTERM, 2 on a bad config, 3 when the application failed (ERROR).
 */
import { KafkaStreams } from '@tributary/kafka';
import { LevelStores } from '@tributary/level';
import { Consumed, Grouped, Produced, Serdes, StreamsBuilder } from '@tributary/streams';

/** @param {Record<string, unknown>} event */
function emit(event) {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), ...event })}\n`);
}

function describeError(error) {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.name}${'code' in error ? ` [${String(error.code)}]` : ''}: ${error.message}${cause}`;
}

function readConfig() {
  const text = process.argv[2] ?? process.env.SMOKE_APP_CONFIG;
  if (text === undefined) throw new Error('smoke-app: pass the config JSON as the first argument or in $SMOKE_APP_CONFIG.');
  const config = JSON.parse(text);
  for (const name of ['bootstrap', 'applicationId', 'stateDir']) {
    if (typeof config[name] !== 'string') throw new Error(`smoke-app: config '${name}' must be a string.`);
  }
  for (const name of ['data', 'echo', 'agg', 'cnt']) {
    if (typeof config.topics?.[name] !== 'string') throw new Error(`smoke-app: config 'topics.${name}' must be a string.`);
  }
  return config;
}

/** The bucket of key "i-j" for the repartitioned count. */
function bucketOf(key) {
  return String(Number.parseInt(key, 10) % 5);
}

function buildTopology(topics) {
  const builder = new StreamsBuilder({ dslStoreSuppliers: LevelStores.dslStoreSuppliers() });
  const data = builder.stream(topics.data, Consumed.with(Serdes.String(), Serdes.Int32()));
  data.to(topics.echo, Produced.with(Serdes.String(), Serdes.Int32()));
  data
    .groupByKey(Grouped.with(Serdes.String(), Serdes.Int32()))
    .aggregate(
      () => ({ min: null, max: null, sum: 0, count: 0 }),
      (_key, value, aggregate) => ({
        min: aggregate.min === null ? value : Math.min(aggregate.min, value),
        max: aggregate.max === null ? value : Math.max(aggregate.max, value),
        sum: aggregate.sum + value,
        count: aggregate.count + 1,
      }),
      { storeName: 'smoke-agg', keySerde: Serdes.String(), valueSerde: Serdes.Json() },
    )
    .toStream()
    .to(topics.agg, Produced.with(Serdes.String(), Serdes.Json()));
  data
    .groupBy((key) => bucketOf(key), { name: 'smoke-bucket', keySerde: Serdes.String(), valueSerde: Serdes.Int32() })
    .count({ storeName: 'smoke-cnt', keySerde: Serdes.String() })
    .toStream()
    .to(topics.cnt, Produced.with(Serdes.String(), Serdes.Json()));
  return builder.build();
}

/** Warnings and errors become events; the rest is dropped unless SMOKE_APP_LOG=1. */
const verbose = process.env.SMOKE_APP_LOG === '1';
function logAt(level) {
  return (message, fields) => {
    if (level === 'warn' || level === 'error' || verbose) emit({ event: 'log', level, message, fields: safeFields(fields) });
  };
}
function safeFields(fields) {
  if (fields === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(fields, (_key, value) => (typeof value === 'bigint' ? String(value) : value instanceof Error ? describeError(value) : value)));
  } catch {
    return String(fields);
  }
}
const logger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };

let config;
let app;
try {
  config = readConfig();
  app = new KafkaStreams(buildTopology(config.topics), {
    applicationId: config.applicationId,
    bootstrapServers: config.bootstrap,
    stateDir: config.stateDir,
    processingGuarantee: config.processingGuarantee ?? 'at_least_once',
    commitIntervalMs: config.commitIntervalMs ?? 1000,
    consumer: config.consumer,
    kafka: config.kafka,
    logger,
  });
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
