/**
 * The catalogue of conformance topologies, by name. Each entry has a twin of the same name in
 * `conformance/java/src/main/java/dev/tributary/conformance/Catalogue.java`, built with Kafka
 * Streams' DSL: the two must stay operator for operator and function for function the same, so
 * that only the engines differ. Every value is a string (a decimal number as the generator
 * writes them, or what the functions below make of it); counts are written as decimal strings
 * too, so both sides write the same UTF-8 bytes. An entry also says which topics it reads (and
 * whether as a stream or a table, which shapes its input) and draws its own parameters.
 */
import {
  Branched,
  BufferConfig,
  JoinWindows,
  Materialized,
  Named,
  PunctuationType,
  SessionWindows,
  SlidingWindows,
  Serdes,
  Stores,
  StreamJoined,
  StreamRecord,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  pair,
  type KTable,
  type KeyValue,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  type Topology,
  type Windowed,
} from '@tributary/streams';
import type { Random } from './random.js';
import type { ScenarioParams } from './scenario.js';

/** A value or key as both sides see it: a string, or null. */
type Text = string | null;

/** How the generator fills an input topic: a stream gets any records, a table rows and tombstones. */
type InputKind = 'stream' | 'table';

/** One topology of the catalogue. */
export interface CatalogueEntry {
  readonly name: string;
  /** The operators it covers, for reports. */
  readonly covers: string;
  /** The topics it reads, and how each is read. */
  readonly inputs: Readonly<Record<string, InputKind>>;
  /** The topics it writes, read in this order. */
  readonly outputs: readonly string[];
  /** Draws its parameters. */
  params(random: Random): ScenarioParams;
  /** Builds it with Tributary's DSL. */
  build(params: ScenarioParams): Topology;
}

/** The keys the generator draws from; foreign keys and global-table keys are picked among them. */
export const KEYS = ['a', 'b', 'c', 'd', 'e'] as const;

/** Parses a generated value; like Java's `Integer.parseInt`, fails on null. */
function n(value: Text): number {
  if (value === null) throw new TypeError('n(null): a catalogue function was given a null value');
  const parsed = Number.parseInt(value, 10);
  if (Number.isNaN(parsed)) throw new TypeError(`n(${JSON.stringify(value)}): not a number`);
  return parsed;
}

function str(value: unknown): Text {
  return value === null || value === undefined ? null : String(value);
}

/** The foreign key of a row: none for multiples of 7, else one of the keys. */
function foreignKey(value: Text): Text {
  const parsed = n(value);
  return parsed % 7 === 0 ? null : KEYS[parsed % KEYS.length]!;
}

function join<Left, Right>(left: Left, right: Right): string {
  return `${left}/${right}`;
}

function windowedKey(key: Windowed<Text>): string {
  return `${key.key}@${key.window.start}/${key.window.end}`;
}

function toOut<V>(windowedTable: KTable<Windowed<Text>, V>): void {
  windowedTable
    .toStream()
    .map((key, value) => pair(windowedKey(key), str(value)))
    .to('out');
}

/** The suppression buffer of `time-limit-suppress`: bounded in records or bytes, emitting early or shutting down. */
function buffer(params: ScenarioParams): BufferConfig {
  switch (params.buffer) {
    case 'records-emit-early':
      return BufferConfig.maxRecords(number(params, 'maxRecords'), 'emit-early');
    case 'records-shut-down':
      return BufferConfig.maxRecords(number(params, 'maxRecords'), 'shut-down');
    case 'bytes-emit-early':
      return BufferConfig.maxBytes(number(params, 'maxBytes'), 'emit-early');
    default:
      throw new TypeError(`unknown buffer '${String(params.buffer)}'`);
  }
}

function number(params: ScenarioParams, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new TypeError(`missing parameter '${name}'`);
  return value;
}

function stream(builder: StreamsBuilder, topic: string) {
  return builder.stream<Text, Text>(topic);
}

function table(builder: StreamsBuilder, topic: string, materialized?: string): KTable<Text, Text> {
  return materialized === undefined ? builder.table<Text, Text>(topic) : builder.table<Text, Text>(topic, {}, Materialized.as(materialized));
}

/** Window sizes and the like: small, so that a few dozen records span several windows. */
function duration(random: Random, min: number, max: number): number {
  return random.int(min, max);
}

function joinKind(random: Random, kinds: readonly string[]): string {
  return random.pick(kinds);
}

/**
 * Counts records per key in a store; forwards each record with its key's count, every count at
 * each stream-time punctuation, and the number of keys at each wall-clock punctuation.
 */
class Punctuating implements Processor<Text, Text, Text, Text> {
  private context!: ProcessorContext<Text, Text>;
  private counts!: KeyValueStore<string, bigint>;

  constructor(
    private readonly streamInterval: number,
    private readonly wallInterval: number,
  ) {}

  init(context: ProcessorContext<Text, Text>): void {
    this.context = context;
    this.counts = context.getStateStore<KeyValueStore<string, bigint>>('counts');
    context.schedule(this.streamInterval, PunctuationType.STREAM_TIME, (timestamp) => {
      for (const entry of this.counts.all()) {
        context.forward(this.record(entry.key, `stream:${entry.value}`, timestamp));
      }
    });
    context.schedule(this.wallInterval, PunctuationType.WALL_CLOCK_TIME, (timestamp) => {
      let keys = 0;
      for (const _entry of this.counts.all()) keys++;
      context.forward(this.record('wall', `keys:${keys}`, timestamp));
    });
  }

  private record(key: Text, value: Text, timestamp: number): StreamRecord<Text, Text> {
    return new StreamRecord<Text, Text>(key, value, timestamp);
  }

  process(record: StreamRecord<Text, Text>): void {
    if (record.key === null) {
      this.context.forward(record.withValue(`nokey:${record.value}`));
      return;
    }
    const previous = this.counts.get(record.key);
    const count = previous === undefined ? 1n : previous + 1n;
    this.counts.put(record.key, count);
    this.context.forward(record.withValue(`seen:${count}`));
  }
}

const out = ['out'] as const;

/** Every catalogue topology, in report order. */
export const catalogue: readonly CatalogueEntry[] = [
  {
    name: 'filter-map-values',
    covers: 'filter, mapValues',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .filter((_key, value) => value === null || n(value) % 3 !== 0)
        .mapValues((value) => (value === null ? null : `${value}!`))
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'map-flat-map',
    covers: 'map, flatMap, flatMapValues',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .map((key, value) => pair(value, key))
        .flatMap((key, value): KeyValue<Text, Text>[] => (key === null ? [] : [pair(key, value), pair(`${key}#`, value)]))
        .flatMapValues((value): Text[] => (value === null ? ['none'] : [value, value + value]))
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'select-key-peek',
    covers: 'peek, selectKey, filterNot',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .peek(() => {})
        .selectKey((_key, value): Text => (value === null ? null : `g${n(value) % 3}`))
        .filterNot((key, value) => key === null && value === null)
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'split-merge',
    covers: 'split, branch, defaultBranch, merge',
    inputs: { a: 'stream' },
    outputs: ['out', 'out-null'],
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      const branches = stream(builder, 'a')
        .split(Named.as('s-'))
        .branch((_key, value) => value === null, Branched.as('null'))
        .branch((_key, value) => n(value) % 2 === 0, Branched.as('even'))
        .defaultBranch(Branched.as('odd'));
      branches['s-null'].to('out-null');
      branches['s-even']
        .mapValues((value) => `${value}e`)
        .merge(branches['s-odd'].mapValues((value) => `${value}o`))
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'group-by-count',
    covers: 'groupBy (repartition), count',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .groupBy((_key, value): Text => (value === null ? null : `g${n(value) % 3}`))
        .count()
        .toStream()
        .mapValues((count) => str(count))
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'select-key-reduce',
    covers: 'selectKey, groupByKey (repartition), reduce',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .selectKey((key, value): Text => (value === null ? key : `g${n(value) % 3}`))
        .groupByKey()
        .reduce((left, right) => `${left}+${right}`)
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'group-by-key-aggregate',
    covers: 'groupByKey, aggregate',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .groupByKey()
        .aggregate<Text>(() => '', (_key, value, aggregate) => `${aggregate}|${value}`)
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'cogroup',
    covers: 'cogroup, aggregate',
    inputs: { a: 'stream', b: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      const b = stream(builder, 'b').groupByKey();
      stream(builder, 'a')
        .groupByKey()
        .cogroup<Text>((_key, value, aggregate) => `${aggregate}a${value}`)
        .cogroup(b, (_key, value, aggregate) => `${aggregate}b${value}`)
        .aggregate(() => '')
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'tumbling-count',
    covers: 'tumbling windows with grace, count',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({ size: duration(random, 5, 40), grace: duration(random, 0, 30) }),
    build(params) {
      const builder = new StreamsBuilder();
      toOut(
        stream(builder, 'a')
          .groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(number(params, 'size'), number(params, 'grace')))
          .count(),
      );
      return builder.build();
    },
  },
  {
    name: 'hopping-aggregate',
    covers: 'hopping windows with grace, aggregate (null values reach the aggregator)',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => {
      const size = duration(random, 5, 40);
      return { size, advance: duration(random, 1, size), grace: duration(random, 0, 30) };
    },
    build(params) {
      const builder = new StreamsBuilder();
      toOut(
        stream(builder, 'a')
          .groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(number(params, 'size'), number(params, 'grace')).advanceBy(number(params, 'advance')))
          .aggregate<Text>(() => '', (_key, value, aggregate) => `${aggregate}|${value}`),
      );
      return builder.build();
    },
  },
  {
    name: 'sliding-reduce',
    covers: 'sliding windows with grace, reduce',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({ difference: duration(random, 1, 30), grace: duration(random, 0, 30) }),
    build(params) {
      const builder = new StreamsBuilder();
      toOut(
        stream(builder, 'a')
          .groupByKey()
          .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(number(params, 'difference'), number(params, 'grace')))
          .reduce((left, right) => `${left}+${right}`),
      );
      return builder.build();
    },
  },
  {
    name: 'session-aggregate',
    covers: 'session windows with grace, aggregate with merger',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({ gap: duration(random, 1, 30), grace: duration(random, 0, 30) }),
    build(params) {
      const builder = new StreamsBuilder();
      toOut(
        stream(builder, 'a')
          .groupByKey()
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(number(params, 'gap'), number(params, 'grace')))
          .aggregate<Text>(
            () => '',
            (_key, value, aggregate) => `${aggregate}|${value}`,
            (_key, left, right) => `${left}&${right}`,
          ),
      );
      return builder.build();
    },
  },
  {
    name: 'tumbling-suppress',
    covers: 'tumbling windows, count, suppress(untilWindowCloses)',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({ size: duration(random, 5, 40), grace: duration(random, 0, 30) }),
    build(params) {
      const builder = new StreamsBuilder();
      toOut(
        stream(builder, 'a')
          .groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(number(params, 'size'), number(params, 'grace')))
          .count({ keySerde: Serdes.String() })
          .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())),
      );
      return builder.build();
    },
  },
  {
    name: 'session-suppress',
    covers: 'session windows, count, suppress(untilWindowCloses)',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({ gap: duration(random, 1, 30), grace: duration(random, 0, 30) }),
    build(params) {
      const builder = new StreamsBuilder();
      toOut(
        stream(builder, 'a')
          .groupByKey()
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(number(params, 'gap'), number(params, 'grace')))
          .count({ keySerde: Serdes.String() })
          .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())),
      );
      return builder.build();
    },
  },
  {
    name: 'time-limit-suppress',
    covers: 'reduce, suppress(untilTimeLimit) with buffers bounded in records or bytes, emitting early or shutting down',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({
      limit: duration(random, 0, 40),
      buffer: random.pick(['records-emit-early', 'records-emit-early', 'records-shut-down', 'bytes-emit-early']),
      maxRecords: random.int(1, 4),
      maxBytes: random.int(20, 300),
    }),
    build(params) {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .groupByKey()
        .reduce((left, right) => `${left}+${right}`)
        .suppress(Suppressed.untilTimeLimit(number(params, 'limit'), buffer(params)))
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'table-filter-map-values',
    covers: 'KTable filter and mapValues, with and without materialization (old values)',
    inputs: { t: 'table' },
    outputs: out,
    params: (random) => ({ materialized: random.bool() }),
    build(params) {
      const builder = new StreamsBuilder();
      const source = table(builder, 't');
      const materialized = params.materialized === true;
      const filtered = materialized
        ? source.filter((_key, value) => n(value) % 2 === 0, undefined, Materialized.as('filtered'))
        : source.filter((_key, value) => n(value) % 2 === 0);
      const mapped = materialized
        ? filtered.mapValues((value): Text => `${value}m`, undefined, Materialized.as('mapped'))
        : filtered.mapValues((value): Text => `${value}m`);
      mapped.toStream().to('out');
      return builder.build();
    },
  },
  {
    name: 'table-old-values',
    covers: 'old values on request: a filter below a table that a groupBy subtractor also reads, and a filter below a stream aggregation that nothing asks',
    inputs: { t: 'table', a: 'stream' },
    outputs: ['out', 'sums', 'evens'],
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      const filtered = table(builder, 't').filter((_key, value) => n(value) % 2 === 0);
      filtered.toStream().to('out');
      filtered
        .groupBy((_key, value) => pair<Text, Text>(`g${n(value) % 3}`, value))
        .aggregate<Text>(
          () => '0',
          (_key, value, aggregate) => String(n(aggregate) + n(value)),
          (_key, value, aggregate) => String(n(aggregate) - n(value)),
        )
        .toStream()
        .to('sums');
      stream(builder, 'a')
        .groupByKey()
        .reduce((left, right) => String(n(left) + n(right)))
        .filter((_key, value) => n(value) % 2 === 0)
        .toStream()
        .to('evens');
      return builder.build();
    },
  },
  {
    name: 'table-group-by-aggregate',
    covers: 'KTable groupBy (repartition), aggregate with adder and subtractor',
    inputs: { t: 'table' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      table(builder, 't')
        .groupBy((_key, value) => pair<Text, Text>(`g${n(value) % 3}`, value))
        .aggregate<Text>(
          () => '0',
          (_key, value, aggregate) => String(n(aggregate) + n(value)),
          (_key, value, aggregate) => String(n(aggregate) - n(value)),
        )
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'table-group-by-reduce',
    covers: 'KTable groupBy (key change), reduce with adder and subtractor',
    inputs: { t: 'table' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      table(builder, 't')
        .groupBy((key, value) => pair<Text, Text>(`g${n(value) % 2}`, key))
        .reduce(
          (left, right) => `${left}+${right}`,
          (left, right) => `${left}-${right}`,
        )
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'table-table-join',
    covers: 'KTable-KTable inner, left and outer joins',
    inputs: { t: 'table', u: 'table' },
    outputs: out,
    params: (random) => ({ kind: joinKind(random, ['inner', 'left', 'outer']) }),
    build(params) {
      const builder = new StreamsBuilder();
      const left = table(builder, 't');
      const right = table(builder, 'u');
      const joined =
        params.kind === 'inner' ? left.join(right, join) : params.kind === 'left' ? left.leftJoin(right, join) : left.outerJoin(right, join);
      joined.toStream().to('out');
      return builder.build();
    },
  },
  {
    name: 'foreign-key-join',
    covers: 'foreign-key inner and left joins, foreign-key changes, null foreign keys and tombstones',
    inputs: { t: 'table', u: 'table' },
    outputs: out,
    params: (random) => ({ kind: joinKind(random, ['inner', 'left']) }),
    build(params) {
      const builder = new StreamsBuilder();
      const left = table(builder, 't');
      const right = table(builder, 'u');
      const joined = params.kind === 'inner' ? left.join(right, foreignKey, join) : left.leftJoin(right, foreignKey, join);
      joined.toStream().to('out');
      return builder.build();
    },
  },
  {
    name: 'to-table',
    covers: 'KStream toTable, KTable mapValues',
    inputs: { a: 'stream' },
    outputs: out,
    params: () => ({}),
    build() {
      const builder = new StreamsBuilder();
      stream(builder, 'a')
        .toTable()
        .mapValues((value): Text => `${value}t`)
        .toStream()
        .to('out');
      return builder.build();
    },
  },
  {
    name: 'stream-stream-join',
    covers: 'KStream-KStream inner, left and outer joins, symmetric and asymmetric windows with grace',
    inputs: { a: 'stream', b: 'stream' },
    outputs: out,
    params: (random) => {
      const before = duration(random, 0, 20);
      return { kind: joinKind(random, ['inner', 'left', 'outer']), before, after: random.bool() ? before : duration(random, 0, 20), grace: duration(random, 0, 20) };
    },
    build(params) {
      const builder = new StreamsBuilder();
      const left = stream(builder, 'a');
      const right = stream(builder, 'b');
      const windows = JoinWindows.ofTimeDifferenceAndGrace(number(params, 'before'), number(params, 'grace')).after(number(params, 'after'));
      // Serdes given explicitly on both sides: Tributary's join stores do not fall back to the
      // default serdes as Kafka's do (a difference this suite found; see DEVELOPERS.md).
      const serdes = StreamJoined.with<Text, Text, Text>(Serdes.String(), Serdes.String(), Serdes.String());
      const joined =
        params.kind === 'inner'
          ? left.join(right, join, windows, serdes)
          : params.kind === 'left'
            ? left.leftJoin(right, join, windows, serdes)
            : left.outerJoin(right, join, windows, serdes);
      joined.to('out');
      return builder.build();
    },
  },
  {
    name: 'rekeyed-join',
    covers: "selectKey to a null key, then a join's own repartition or repartition() (also counted), before stream-stream and stream-table joins: null keys kept above left and outer joins, dropped above inner ones",
    inputs: { a: 'stream', b: 'stream', t: 'table' },
    outputs: ['out', 'counts'],
    params: (random) => ({ kind: joinKind(random, ['inner', 'left', 'outer', 'table-inner', 'table-left']), via: random.pick(['join', 'repartition']), before: duration(random, 0, 20), grace: duration(random, 0, 20) }),
    build(params) {
      const builder = new StreamsBuilder();
      const rekeyed = stream(builder, 'a').selectKey((key, value): Text => (value === null ? key : n(value) % 4 === 0 ? null : KEYS[n(value) % KEYS.length]!));
      const left = params.via === 'repartition' ? rekeyed.repartition() : rekeyed;
      if (params.via === 'repartition') {
        left
          .groupByKey()
          .count()
          .toStream()
          .mapValues((count) => str(count))
          .to('counts');
      }
      const windows = JoinWindows.ofTimeDifferenceAndGrace(number(params, 'before'), number(params, 'grace'));
      const serdes = StreamJoined.with<Text, Text, Text>(Serdes.String(), Serdes.String(), Serdes.String());
      // Both right sides exist whatever the kind, so that every input topic has a source.
      const right = stream(builder, 'b');
      const rows = table(builder, 't');
      const joined =
        params.kind === 'inner'
          ? left.join(right, join, windows, serdes)
          : params.kind === 'left'
            ? left.leftJoin(right, join, windows, serdes)
            : params.kind === 'outer'
              ? left.outerJoin(right, join, windows, serdes)
              : params.kind === 'table-inner'
                ? left.join(rows, join)
                : left.leftJoin(rows, join);
      joined.to('out');
      return builder.build();
    },
  },
  {
    name: 'stream-table-join',
    covers: 'KStream-KTable inner and left joins',
    inputs: { a: 'stream', t: 'table' },
    outputs: out,
    params: (random) => ({ kind: joinKind(random, ['inner', 'left']) }),
    build(params) {
      const builder = new StreamsBuilder();
      const left = stream(builder, 'a');
      const right = table(builder, 't');
      (params.kind === 'inner' ? left.join(right, join) : left.leftJoin(right, join)).to('out');
      return builder.build();
    },
  },
  {
    name: 'stream-global-join',
    covers: 'KStream-GlobalKTable inner and left joins, null lookup keys',
    inputs: { a: 'stream', g: 'table' },
    outputs: out,
    params: (random) => ({ kind: joinKind(random, ['inner', 'left']) }),
    build(params) {
      const builder = new StreamsBuilder();
      const left = stream(builder, 'a');
      const right = builder.globalTable<Text, Text>('g');
      const lookup = (_key: Text, value: Text): Text => (value === null ? null : KEYS[n(value) % KEYS.length]!);
      (params.kind === 'inner' ? left.join(right, lookup, join) : left.leftJoin(right, lookup, join)).to('out');
      return builder.build();
    },
  },
  {
    name: 'punctuators',
    covers: 'Processor API: a store, stream-time and wall-clock punctuators',
    inputs: { a: 'stream' },
    outputs: out,
    params: (random) => ({ streamInterval: duration(random, 1, 30), wallInterval: duration(random, 10, 100) }),
    build(params) {
      const builder = new StreamsBuilder();
      const streamInterval = number(params, 'streamInterval');
      const wallInterval = number(params, 'wallInterval');
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.Int64()).withCachingEnabled());
      stream(builder, 'a')
        .process(() => new Punctuating(streamInterval, wallInterval), 'counts')
        .to('out');
      return builder.build();
    },
  },
];

/** The catalogue entry by name; throws naming the known ones. */
export function catalogueEntry(name: string): CatalogueEntry {
  const entry = catalogue.find((candidate) => candidate.name === name);
  if (entry === undefined) throw new Error(`No catalogue topology named '${name}'; known: ${catalogue.map((known) => known.name).join(', ')}.`);
  return entry;
}
