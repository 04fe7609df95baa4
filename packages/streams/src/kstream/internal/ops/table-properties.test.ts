/**
 * Property tests of the KTable operators against brute-force oracles: after every input record,
 * the latest value per key on each output topic equals what the oracle recomputes from scratch
 * over the current input tables. Inputs mix upserts, tombstones, null keys and out-of-order
 * timestamps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder } from '../../../index.js';
import type { Topology, ValueAndTimestamp } from '../../../index.js';
import type { TopologyTestDriver } from '../../../test-utils/index.js';
import type { TestOutputTopic } from '../../../test-utils/index.js';
import { builderOptions, openQuietDriver, propertyRuns } from '#test-kit';

const runs = { numRuns: propertyRuns(150) };

/** The latest value per key an output topic has shown so far, kept across reads. */
class Latest<V> {
  readonly values = new Map<string, V>();
  constructor(private readonly topic: TestOutputTopic<string, V>) {}

  read(): Map<string, V> {
    for (const { key, value } of this.topic.readKeyValuesToList()) {
      if (key === null) throw new Error('a null key reached an output topic');
      if (value === null) this.values.delete(key);
      else this.values.set(key, value);
    }
    return this.values;
  }
}

async function withDriver(topology: Topology, body: (driver: TopologyTestDriver) => void): Promise<void> {
  const driver = await openQuietDriver(topology, { defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.Json() });
  try {
    body(driver);
  } finally {
    driver.close();
  }
}

/** Applies an upsert or delete to an oracle table; null keys are dropped, as the engine drops them. */
function apply<V>(table: Map<string, V>, key: string | null, value: V | null): void {
  if (key === null) return;
  if (value === null) table.delete(key);
  else table.set(key, value);
}

const key = (prefix: string, count: number) => fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: count - 1 }).map((index) => `${prefix}${index}`) }, { weight: 1, arbitrary: fc.constant(null) });
const timestamp = fc.integer({ min: 0, max: 1_000 });

describe('key joins equal the oracle join of the two current tables', () => {
  const step = fc.record({
    side: fc.constantFrom('left' as const, 'right' as const),
    key: key('k', 4),
    value: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null, freq: 4 }),
    timestamp,
  });

  it.each([true, false])('inner, left and outer (source stores caching: %s)', async (caching) => {
    const builder = new StreamsBuilder(builderOptions());
    const strings = Consumed.with(Serdes.String(), Serdes.String());
    const left = builder.table('left', strings, { cachingEnabled: caching });
    const right = builder.table('right', strings, { cachingEnabled: caching });
    const joiner = (l: string | null, r: string | null) => `${l}|${r}`;
    const written = Produced.with(Serdes.String(), Serdes.String());
    left.join(right, joiner).toStream().to('inner', written);
    left.leftJoin(right, joiner).toStream().to('left-join', written);
    left.outerJoin(right, joiner, undefined, { ...Materialized.as<string, string>('outer-store'), cachingEnabled: caching }).toStream().to('outer', written);
    const topology = builder.build();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        await withDriver(topology, (driver) => {
          const inputs = { left: driver.createInputTopic('left', Serdes.String(), Serdes.String()), right: driver.createInputTopic('right', Serdes.String(), Serdes.String()) };
          const outputs = {
            inner: new Latest(driver.createOutputTopic('inner', Serdes.String(), Serdes.String())),
            left: new Latest(driver.createOutputTopic('left-join', Serdes.String(), Serdes.String())),
            outer: new Latest(driver.createOutputTopic('outer', Serdes.String(), Serdes.String())),
          };
          const tables = { left: new Map<string, string>(), right: new Map<string, string>() };
          for (const { side, key: k, value, timestamp: time } of steps) {
            inputs[side].pipeInput(k, value, time);
            apply(tables[side], k, value);
            const expected = { inner: new Map<string, string>(), left: new Map<string, string>(), outer: new Map<string, string>() };
            for (const candidate of new Set([...tables.left.keys(), ...tables.right.keys()])) {
              const l = tables.left.get(candidate) ?? null;
              const r = tables.right.get(candidate) ?? null;
              if (l !== null && r !== null) expected.inner.set(candidate, joiner(l, r));
              if (l !== null) expected.left.set(candidate, joiner(l, r));
              expected.outer.set(candidate, joiner(l, r));
            }
            expect(outputs.inner.read()).toEqual(expected.inner);
            expect(outputs.left.read()).toEqual(expected.left);
            expect(outputs.outer.read()).toEqual(expected.outer);
            const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('outer-store');
            expect(new Map([...store.all()].map((entry) => [entry.key, entry.value.value]))).toEqual(expected.outer);
          }
        });
      }),
      runs,
    );
  });
});

interface Row {
  readonly fk: string | null;
  readonly n: number;
}

describe('foreign-key joins equal the oracle recomputed from scratch', () => {
  const step = fc.oneof(
    fc.record({
      side: fc.constant('left' as const),
      key: key('o', 5),
      value: fc.option(fc.record({ fk: fc.option(fc.constantFrom('p0', 'p1', 'p2'), { nil: null, freq: 5 }), n: fc.integer({ min: 0, max: 3 }) }), { nil: null, freq: 4 }),
      timestamp,
    }),
    fc.record({ side: fc.constant('right' as const), key: key('p', 3), value: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: null, freq: 3 }), timestamp }),
  );

  it.each([true, false])('inner and left (caching: %s)', async (caching) => {
    const builder = new StreamsBuilder(builderOptions());
    const left = builder.table('left', Consumed.with(Serdes.String(), Serdes.Json<Row>()), { cachingEnabled: caching });
    const right = builder.table('right', Consumed.with(Serdes.String(), Serdes.String()), { cachingEnabled: caching });
    const joiner = (row: Row, name: string | null) => `${row.n}:${name}`;
    const written = Produced.with(Serdes.String(), Serdes.String());
    left.join(right, (row: Row) => row.fk, joiner).toStream().to('inner', written);
    left.leftJoin(right, (row: Row) => row.fk, joiner, { name: 'fk-left' }).toStream().to('left-join', written);
    const topology = builder.build();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        await withDriver(topology, (driver) => {
          const leftInput = driver.createInputTopic('left', Serdes.String(), Serdes.Json<Row>());
          const rightInput = driver.createInputTopic('right', Serdes.String(), Serdes.String());
          const inner = new Latest(driver.createOutputTopic('inner', Serdes.String(), Serdes.String()));
          const leftJoin = new Latest(driver.createOutputTopic('left-join', Serdes.String(), Serdes.String()));
          const rows = new Map<string, Row>();
          const names = new Map<string, string>();
          for (const item of steps) {
            if (item.side === 'left') {
              leftInput.pipeInput(item.key, item.value, item.timestamp);
              apply(rows, item.key, item.value);
            } else {
              rightInput.pipeInput(item.key, item.value, item.timestamp);
              apply(names, item.key, item.value);
            }
            const expectedInner = new Map<string, string>();
            const expectedLeft = new Map<string, string>();
            for (const [orderKey, row] of rows) {
              const name = row.fk === null ? null : (names.get(row.fk) ?? null);
              if (name !== null) expectedInner.set(orderKey, joiner(row, name));
              expectedLeft.set(orderKey, joiner(row, name));
            }
            expect(inner.read()).toEqual(expectedInner);
            expect(leftJoin.read()).toEqual(expectedLeft);
          }
        });
      }),
      runs,
    );
  });
});

interface Member {
  readonly group: string;
  readonly amount: number;
}

describe('KGroupedTable aggregations equal the oracle group sums as rows move between groups', () => {
  const step = fc.record({
    key: key('r', 6),
    value: fc.option(fc.record({ group: fc.constantFrom('g0', 'g1', 'g2'), amount: fc.integer({ min: -5, max: 20 }) }), { nil: null, freq: 4 }),
    timestamp,
  });

  it.each([true, false])('aggregate, reduce and count (caching: %s)', async (caching) => {
    const builder = new StreamsBuilder(builderOptions());
    const grouped = builder
      .table('rows', Consumed.with(Serdes.String(), Serdes.Json<Member>()), { cachingEnabled: caching })
      .groupBy((_key, member) => ({ key: member.group, value: member.amount }), Grouped.with(Serdes.String(), Serdes.Int32()));
    const ints = Produced.with(Serdes.String(), Serdes.Int32());
    grouped
      .aggregate(
        () => 0,
        (_group, amount, sum) => sum + amount,
        (_group, amount, sum) => sum - amount,
        { cachingEnabled: caching },
      )
      .toStream()
      .to('sums', ints);
    grouped.reduce((sum, amount) => sum + amount, (sum, amount) => sum - amount, { cachingEnabled: caching }).toStream().to('reduced', ints);
    grouped.count({ cachingEnabled: caching }).toStream().to('counts', Produced.with(Serdes.String(), Serdes.Float64()));
    const topology = builder.build();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        await withDriver(topology, (driver) => {
          const input = driver.createInputTopic('rows', Serdes.String(), Serdes.Json<Member>());
          const sums = new Latest(driver.createOutputTopic('sums', Serdes.String(), Serdes.Int32()));
          const reduced = new Latest(driver.createOutputTopic('reduced', Serdes.String(), Serdes.Int32()));
          const counts = new Latest(driver.createOutputTopic('counts', Serdes.String(), Serdes.Float64()));
          const rows = new Map<string, Member>();
          // A group, once it has had a row, stays with its aggregate (a count of 0, a sum of 0).
          const seen = new Set<string>();
          for (const { key: k, value, timestamp: time } of steps) {
            input.pipeInput(k, value, time);
            apply(rows, k, value);
            if (k !== null && value !== null) seen.add(value.group);
            const expectedSums = new Map<string, number>([...seen].map((group) => [group, 0]));
            const expectedCounts = new Map<string, number>([...seen].map((group) => [group, 0]));
            for (const member of rows.values()) {
              expectedSums.set(member.group, expectedSums.get(member.group)! + member.amount);
              expectedCounts.set(member.group, expectedCounts.get(member.group)! + 1);
            }
            expect(sums.read()).toEqual(expectedSums);
            expect(reduced.read()).toEqual(expectedSums);
            expect(counts.read()).toEqual(expectedCounts);
          }
        });
      }),
      runs,
    );
  });
});

describe('filter and mapValues tables equal the oracle', () => {
  const step = fc.record({ key: key('k', 5), value: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null, freq: 4 }), timestamp });

  it.each([true, false])('plain and materialized (caching: %s)', async (caching) => {
    const builder = new StreamsBuilder(builderOptions());
    const table = builder.table('in', Consumed.with(Serdes.String(), Serdes.Int32()), { cachingEnabled: caching });
    const ints = Produced.with(Serdes.String(), Serdes.Int32());
    table
      .filter((_key, value) => value > 4)
      .mapValues((value) => value * 2)
      .toStream()
      .to('plain', ints);
    table
      .filterNot((_key, value) => value > 4, undefined, { ...Materialized.as<string, number>('small'), cachingEnabled: caching })
      .mapValues((value, k) => `${k}:${value}`, undefined, { ...Materialized.as<string, string>('small-shown'), cachingEnabled: caching })
      .toStream()
      .to('materialized', Produced.with(Serdes.String(), Serdes.String()));
    const topology = builder.build();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        await withDriver(topology, (driver) => {
          const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
          const plain = new Latest(driver.createOutputTopic('plain', Serdes.String(), Serdes.Int32()));
          const materialized = new Latest(driver.createOutputTopic('materialized', Serdes.String(), Serdes.String()));
          const rows = new Map<string, number>();
          for (const { key: k, value, timestamp: time } of steps) {
            input.pipeInput(k, value, time);
            apply(rows, k, value);
            const big = new Map([...rows].filter(([, v]) => v > 4).map(([rowKey, v]) => [rowKey, v * 2]));
            const small = new Map([...rows].filter(([, v]) => v <= 4).map(([rowKey, v]) => [rowKey, `${rowKey}:${v}`]));
            expect(plain.read()).toEqual(big);
            expect(materialized.read()).toEqual(small);
            const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('small-shown');
            expect(new Map([...store.all()].map((entry) => [entry.key, entry.value.value]))).toEqual(small);
          }
        });
      }),
      runs,
    );
  });
});
