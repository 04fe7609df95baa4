// Runs the TS flagship (in-process, @tributary/kafka + LevelDB stores) and the Java reference
// jar on the same generated input topics, then compares their output topics.
//   node benchmarks/java/verify/compare.mjs --bootstrap-servers HOST:PORT [--events 20000] [--seed 7]
//        [--guarantee at_least_once|exactly_once_v2] [--partitions 1] [--skip-ts] [--final-only]
// With one partition per topic the input order is the same for both apps, so which late records
// fall outside the grace period is the same too; with more, a backfill (all input already there)
// interleaves the repartition topics differently on every run, in either implementation.
// Needs `pnpm -r run build` (examples/product-analytics/dist) and the jar.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../../../', import.meta.url).pathname;
const example = join(root, 'examples/product-analytics');
const require = createRequire(join(example, 'package.json'));
const { Kafka, logLevel } = require('kafkajs');
const importFrom = (spec) => import(require.resolve(spec));
const { KafkaStreams } = await import(join(example, 'node_modules/@tributary/kafka/dist/index.js'));
const { StreamsBuilder } = await import(join(example, 'node_modules/@tributary/streams/dist/index.js'));
const { LevelStores } = await import(join(example, 'node_modules/@tributary/level/dist/index.js'));
const { buildTopology } = await import(join(example, 'dist/topology.js'));
const { EventGenerator } = await import(join(example, 'dist/generator.js'));
void importFrom;

const { values: args } = parseArgs({
  options: {
    'bootstrap-servers': { type: 'string' },
    events: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '7' },
    partitions: { type: 'string', default: '1' },
    guarantee: { type: 'string', default: 'at_least_once' },
    'final-only': { type: 'boolean', default: false },
    'skip-ts': { type: 'boolean', default: false },
    burst: { type: 'boolean', default: false },
  },
});
const bootstrap = args['bootstrap-servers'];
const eventCount = Number(args.events);
const id = `pa-verify-${Date.now().toString(36)}`;
const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
const kafka = new Kafka({ clientId: id, brokers: [bootstrap], logLevel: logLevel.NOTHING });

const outputs = ['product-events-dlq', 'product-analytics', 'category-analytics', 'product-trends', 'product-alerts'];
const topics = { events: `${id}-events`, catalog: `${id}-catalog` };
const tsTopic = (name) => `${id}-ts-${name}`;
const javaTopic = (name) => `${id}-java-${name}`;

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  waitForLeaders: true,
  topics: [topics.events, topics.catalog, ...outputs.map(tsTopic), ...outputs.map(javaTopic)].map((topic) => ({ topic, numPartitions: Number(args.partitions), replicationFactor: 1 })),
});
await admin.disconnect();

// Input: the catalog snapshot, then events over ~eventCount/10 s of event time ending about now.
const eventsPerSecond = 10;
const generator = new EventGenerator({ seed: Number(args.seed), startTime: Date.now() - (eventCount / eventsPerSecond) * 1000 - 60_000, eventsPerSecond });
const records = [...generator.catalogSnapshot()];
const kinds = new Map();
let events = 0;
while (events < eventCount) {
  const record = generator.next();
  if (record.stream === 'events') events++;
  kinds.set(record.kind, (kinds.get(record.kind) ?? 0) + 1);
  records.push(record);
}
// --burst: a minute of bursts at the end, so both apps fire views_spike, purchase_surge and
// conversion_drop alerts (default thresholds).
if (args.burst) {
  const last = records.filter((record) => record.stream === 'events').at(-1).timestamp;
  const [hot, cold] = records.filter((record) => record.stream === 'catalog' && record.value !== null).slice(0, 2).map((record) => record.key.toString());
  // hot: 1,500 views and 130 purchases (spike and surge); cold: 300 views and 1 purchase (conversion drop).
  for (let i = 0; i < 1930; i++) {
    const productId = i % 6 === 5 && i < 1800 ? cold : hot;
    const purchase = productId === hot ? i % 13 === 0 && i < 1700 : i === 5;
    const event = { eventId: `burst-${i}`, userId: `burst-user-${i % 400}`, productId, eventType: purchase ? 'purchase' : 'view', timestamp: last + Math.floor((i * 60_000) / 1930), ...(purchase ? { quantity: 2 } : {}) };
    records.push({ stream: 'events', kind: 'burst', key: Buffer.from(productId), value: Buffer.from(JSON.stringify(event)), timestamp: event.timestamp });
    events++;
  }
}
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < records.length; i += 500) {
  const byTopic = new Map();
  for (const record of records.slice(i, i + 500)) {
    const topic = record.stream === 'events' ? topics.events : topics.catalog;
    if (!byTopic.has(topic)) byTopic.set(topic, []);
    byTopic.get(topic).push({ key: record.key, value: record.value, timestamp: String(record.timestamp) });
  }
  await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}
await producer.disconnect();
log(`produced ${records.length} records (${events} events) to ${topics.events}, ${topics.catalog}; kinds`, Object.fromEntries(kinds));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function runTs() {
  const storeSuppliers = LevelStores.dslStoreSuppliers();
  const topology = buildTopology(new StreamsBuilder({ dslStoreSuppliers: storeSuppliers }), {
    storeSuppliers,
    emitFinalOnly: args['final-only'],
    topics: {
      events: topics.events, catalog: topics.catalog, deadLetter: tsTopic('product-events-dlq'), productAnalytics: tsTopic('product-analytics'),
      categoryAnalytics: tsTopic('category-analytics'), trends: tsTopic('product-trends'), alerts: tsTopic('product-alerts'),
    },
  });
  const app = new KafkaStreams(topology, { applicationId: `${id}-ts`, bootstrapServers: bootstrap, stateDir: mkdtempSync(join(tmpdir(), 'pa-ts-')), processingGuarantee: args.guarantee === 'exactly_once_v2' ? 'exactly_once' : args.guarantee, commitIntervalMs: 1000 });
  const started = performance.now();
  await app.start();
  let last = -1;
  let stableSince = performance.now();
  for (;;) {
    await sleep(1000);
    const processed = app.metrics().processed;
    if (processed !== last) {
      last = processed;
      stableSince = performance.now();
    } else if (processed > 0 && performance.now() - stableSince > 8000) break;
  }
  log(`TS: processed ${last} records (all sources) in ${((stableSince - started) / 1000).toFixed(1)} s`);
  await app.close({ timeoutMs: 30_000 });
}

async function runJava() {
  const jar = join(root, 'benchmarks/java/target/product-analytics-reference.jar');
  const argv = ['-Xmx1g', '-jar', jar, '--bootstrap-servers', bootstrap, '--application-id', `${id}-java`, '--events-topic', topics.events, '--catalog-topic', topics.catalog,
    '--output-prefix', `${id}-java-`, '--guarantee', args.guarantee, '--threads', '1', '--state-dir', mkdtempSync(join(tmpdir(), 'pa-java-')), '--commit-interval-ms', '1000'];
  if (args['final-only']) argv.push('--emit-final-only');
  const child = spawn('java', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = performance.now();
  let buffered = '';
  let processed = 0;
  let doneAt;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const message = JSON.parse(line);
      if (message.event === 'state') log(`Java: state ${message.state}`);
      if (message.event === 'metrics') {
        processed = message.processed;
        if (processed >= events && doneAt === undefined) doneAt = performance.now();
      }
      if (message.event === 'error' || message.event === 'closed') log('Java:', line);
    }
  });
  while (doneAt === undefined || performance.now() - doneAt < 8000) {
    await sleep(500);
    if (child.exitCode !== null) throw new Error(`java exited early with ${child.exitCode}`);
  }
  log(`Java: processed ${processed} events in ${((doneAt - started) / 1000).toFixed(1)} s (incl. JVM start)`);
  child.kill('SIGTERM');
  log('Java exit:', await exited);
}

async function readAll(topicNames) {
  const consumer = kafka.consumer({ groupId: `${id}-reader-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: topicNames, fromBeginning: true });
  const byTopic = new Map(topicNames.map((topic) => [topic, []]));
  let lastAt = performance.now();
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      lastAt = performance.now();
      byTopic.get(topic).push({ key: message.key?.toString(), value: message.value === null ? null : message.value.toString(), headers: message.headers });
    },
  });
  while (performance.now() - lastAt < 6000) await sleep(500);
  await consumer.disconnect();
  return byTopic;
}

// Java first: the TS runtime has been seen to stop on a retriable NOT_LEADER_FOR_PARTITION right
// after creating its internal topics (see the README).
await runJava();
if (!args['skip-ts']) await runTs();
const read = await readAll([...outputs.map(tsTopic), ...outputs.map(javaTopic)]);

// The last value per key and window (what a compacted reader sees), and the update counts.
function latest(list) {
  const map = new Map();
  for (const { key, value } of list) {
    const parsed = JSON.parse(value);
    map.set(`${key}|${parsed.windowStart}`, parsed);
  }
  return map;
}
const summary = {};
for (const name of ['product-analytics', 'category-analytics', 'product-trends']) {
  const ts = latest(read.get(tsTopic(name)));
  const java = latest(read.get(javaTopic(name)));
  const fields = name === 'product-trends' ? ['views', 'purchases', 'viewsPerMinute', 'purchasesPerMinute', 'name', 'category', 'updatedAt']
    : ['views', 'clicks', 'addToCarts', 'purchases', 'revenue', 'conversionRate', 'uniqueUsers', 'updatedAt', ...(name === 'product-analytics' ? ['name', 'category'] : [])];
  const mismatched = Object.fromEntries(fields.map((field) => [field, 0]));
  const examples = [];
  let both = 0;
  for (const [key, value] of ts) {
    const other = java.get(key);
    if (other === undefined) continue;
    both++;
    for (const field of fields) {
      if (value[field] !== other[field]) {
        mismatched[field]++;
        if (examples.length < 5) examples.push({ key, field, ts: value[field], java: other[field] });
      }
    }
  }
  const sum = (map, field) => [...map.values()].reduce((total, value) => total + value[field], 0);
  summary[name] = {
    updates: { ts: read.get(tsTopic(name)).length, java: read.get(javaTopic(name)).length },
    windows: { ts: ts.size, java: java.size, both, onlyTs: [...ts.keys()].filter((key) => !java.has(key)).length, onlyJava: [...java.keys()].filter((key) => !ts.has(key)).length },
    totalViews: { ts: sum(ts, 'views'), java: sum(java, 'views') },
    totalPurchases: { ts: sum(ts, 'purchases'), java: sum(java, 'purchases') },
    mismatchedFields: mismatched,
    examples,
  };
}
const alertKeys = (list) => list.map(({ key, value }) => { const a = JSON.parse(value); return `${a.alertType}|${key}|${a.windowStart}`; }).sort();
const tsAlerts = alertKeys(read.get(tsTopic('product-alerts')));
const javaAlerts = alertKeys(read.get(javaTopic('product-alerts')));
const alertValues = (list) => list.map(({ value }) => value).sort();
summary['product-alerts'] = { ts: tsAlerts.length, java: javaAlerts.length, same: JSON.stringify(tsAlerts) === JSON.stringify(javaAlerts), sameBytes: JSON.stringify(alertValues(read.get(tsTopic('product-alerts')))) === JSON.stringify(alertValues(read.get(javaTopic('product-alerts')))) };
// Byte-identical output values per window, where both apps wrote the window.
for (const name of ['product-analytics', 'category-analytics', 'product-trends']) {
  const raw = (topic) => new Map(read.get(topic).map(({ key, value }) => [`${key}|${JSON.parse(value).windowStart}`, value]));
  const ts = raw(tsTopic(name));
  const java = raw(javaTopic(name));
  let identical = 0;
  let both = 0;
  for (const [key, value] of ts) if (java.has(key)) { both++; if (java.get(key) === value) identical++; }
  summary[name].identicalBytes = `${identical}/${both}`;
}
const dlq = (topic) => read.get(topic).map(({ value }) => value ?? '<null>').sort();
const tsDlq = dlq(tsTopic('product-events-dlq'));
const javaDlq = dlq(javaTopic('product-events-dlq'));
summary['product-events-dlq'] = { ts: tsDlq.length, java: javaDlq.length, sameOriginalBytes: JSON.stringify(tsDlq) === JSON.stringify(javaDlq) };
const reasons = (topic) => read.get(topic).slice(0, 3).map(({ headers }) => headers['__streams.errors.message']?.toString());
summary.dlqReasonSamples = { ts: reasons(tsTopic('product-events-dlq')), java: reasons(javaTopic('product-events-dlq')) };
const sample = (topic) => read.get(topic).at(-1)?.value;
summary.samples = { ts: sample(tsTopic('product-analytics')), java: sample(javaTopic('product-analytics')), tsAlert: sample(tsTopic('product-alerts')), javaAlert: sample(javaTopic('product-alerts')) };
console.log(JSON.stringify({ id, events, records: records.length, summary }, null, 2));
process.exit(0);
