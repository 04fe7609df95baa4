/**
 * The smoke-test application, run as its own process by smoke-cluster.ts so that a test can
 * kill it with SIGKILL or freeze it with SIGSTOP (as Apache Kafka's SmokeTestClient and the EOS
 * system tests do). Plain ESM so it runs with `node` on the built packages, no TypeScript step.
 *
 * Usage: node smoke-app.mjs '<config JSON>' (or the JSON in $SMOKE_APP_CONFIG). The config:
 *   { bootstrap, applicationId, topics: { data, echo, agg, cnt }, processingGuarantee, topology,
 *     commitIntervalMs, stateDir, consumer: { sessionTimeoutMs, heartbeatIntervalMs, ... },
 *     kafka: { retry, ... } }
 *
 * Known-answer topology over `data` (key "i-j", Int32 value v with i <= v <= j):
 *   echo  every record unchanged (stateless: per-record exactly-once is visible here),
 *   agg   groupByKey → aggregate {min, max, sum, count} on LevelDB, as JSON,
 *   cnt   groupBy(i % 5) → count (through a repartition topic), as JSON numbers.
 * With `topology: "dedupe"`, the de-duplicating topology of `buildDedupeTopology` instead, on
 * LevelDB stores, or in-memory ones with `stores: "memory"`.
 *
 * It speaks JSON event lines on stdout and exits as app-process.mjs describes.
 */
import { KafkaStreams } from '@tributary/kafka';
import { LevelStores } from '@tributary/level';
import { Consumed, Grouped, Named, Produced, Serdes, Stores, StreamsBuilder } from '@tributary/streams';
import { readConfig, runApp, streamsOptions } from './app-process.mjs';

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

/**
 * Lets an event id through once: the first record with a value (its id) not seen before. The
 * store has no cache, so each put is logged (and sent early) as it happens, well before the
 * count's cached writes reach their changelog at the commit: a kill between the two leaves one
 * store's changelog ahead of the other's.
 */
class FirstSeen {
  init(context) {
    this.context = context;
    this.seen = context.getStateStore('smoke-seen-ids');
  }

  process(record) {
    if (this.seen.get(record.value) !== undefined) return;
    this.seen.put(record.value, 1);
    this.context.forward(record);
  }
}

/**
 * The de-duplicating topology of issue #12, two stores in one sub-topology: `data` (key: a
 * product, value: an event id, sent once or more) → first sighting of each id (`smoke-seen-ids`)
 * → `echo`, and → groupByKey → count (`smoke-distinct`) → `cnt`. Each product's final count is
 * the number of distinct ids sent for it, under either guarantee. `stores`: "level" (default) or
 * "memory".
 */
function buildDedupeTopology(topics, stores) {
  const inMemory = stores === 'memory';
  const builder = new StreamsBuilder(inMemory ? {} : { dslStoreSuppliers: LevelStores.dslStoreSuppliers() });
  const seen = inMemory ? Stores.inMemoryKeyValueStore('smoke-seen-ids') : LevelStores.persistentKeyValueStore('smoke-seen-ids');
  builder.addStateStore(Stores.keyValueStoreBuilder(seen, Serdes.String(), Serdes.Int32()));
  const firstSeen = builder
    .stream(topics.data, Consumed.with(Serdes.String(), Serdes.String()))
    .processValues(() => new FirstSeen(), Named.as('first-seen'), 'smoke-seen-ids');
  firstSeen.to(topics.echo, Produced.with(Serdes.String(), Serdes.String()));
  firstSeen
    .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
    .count({ storeName: 'smoke-distinct', keySerde: Serdes.String() })
    .toStream()
    .to(topics.cnt, Produced.with(Serdes.String(), Serdes.Json()));
  return builder.build();
}

runApp(() => {
  const config = readConfig('smoke-app', ['bootstrap', 'applicationId', 'stateDir'], ['data', 'echo', 'agg', 'cnt']);
  return new KafkaStreams(config.topology === 'dedupe' ? buildDedupeTopology(config.topics, config.stores) : buildTopology(config.topics), streamsOptions(config));
});
