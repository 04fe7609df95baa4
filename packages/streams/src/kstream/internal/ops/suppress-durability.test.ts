/**
 * The suppression buffer survives a restart: a task processes records so that updates are held,
 * commits and "crashes"; a fresh task restores its stores from the changelog records the first
 * one produced and carries on. Every held update must still be held, and each window (or key)
 * emitted exactly once, with what an uninterrupted run emits.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Serdes, StreamsBuilder, silentLogger } from '../../../index.js';
import type { KStream, Topology } from '../../../index.js';
import { Headers } from '../../../processor/headers.js';
import type { LocalRunner } from '../../../processor/internal/local-runner.js';
import type { ProcessorSupplier } from '../../../processor/processor.js';
import { isRestorableStore } from '../../../state/store-suppliers.js';
import type { KTable } from '../../ktable.js';
import { BufferConfig, Suppressed } from '../../suppressed.js';
import type { Windowed } from '../../windowed.js';
import { TimeWindows } from '../../windows.js';
import type { Change } from '../change.js';
import type { KTableImpl } from '../ktable-impl.js';
import { decodeBufferEntry, encodeBufferEntry } from '../suppress-buffer-encoding.js';
import { builderOptions, openRunner } from '#test-kit';

const applicationId = 'suppress-durability';
type Stream = KStream<string, number>;
type Input = readonly [key: string, value: number, timestamp: number];

/** Records every change the suppressed table forwards, old value included, as `key:new/old`. */
function captureChanges<K>(table: KTable<K, number>, show: (key: K) => string): string[] {
  const seen: string[] = [];
  const impl = table as unknown as KTableImpl<K, number>;
  const capture: ProcessorSupplier<K, Change<number>, never, never> = () => ({
    process: (record) => {
      seen.push(`${show(record.key)}:${record.value.newValue}/${record.value.oldValue}`);
    },
  });
  impl.topology.addProcessor('capture', capture as ProcessorSupplier<any, any, any, any>, [impl.nodeName]);
  return seen;
}

interface Scenario {
  readonly topology: Topology;
  readonly seen: string[];
  readonly bufferStore: string;
}

let offset = 0;
/**
 * Feeds each batch to the task reading 'in', processes it, then commits (flushing caches). One
 * commit per batch keeps the test about the restart: within one flush the suppression sees
 * stream time already at the batch's end.
 */
function processAndCommit(local: LocalRunner, batches: readonly (readonly Input[])[]): void {
  for (const batch of batches) processBatch(local, batch);
}

function processBatch(local: LocalRunner, records: readonly Input[]): void {
  const task = local.tasks.find((candidate) => candidate.sourceTopics.includes('in'))!;
  const keys = Serdes.String();
  const values = Serdes.Int32();
  const headers = new Headers();
  for (const [key, value, timestamp] of records) {
    task.addRecord('in', { topic: 'in', partition: 0, offset: offset++, timestamp, key: keys.serialize('in', key, headers), value: values.serialize('in', value, headers), headers });
  }
  task.process();
  local.commit();
}

function changelogOf(local: LocalRunner, storeName: string) {
  return (local.topics.get(`${applicationId}-${storeName}-changelog`) ?? []).map(({ key, value, timestamp }) => ({ key: key!, value, timestamp }));
}

/**
 * Runs `first`, then `second` in one runner, and again across a restart: a fresh runner whose
 * stores (the suppression buffer and the aggregation's) are restored from the changelogs the
 * first runner produced. Returns what each run forwarded out of the suppression.
 */
async function runWithAndWithoutRestart(build: () => Scenario, first: readonly (readonly Input[])[], second: readonly (readonly Input[])[]) {
  const uninterrupted = build();
  const single = await openRunner(uninterrupted.topology, { applicationId, logger: silentLogger });
  processAndCommit(single, first);
  processAndCommit(single, second);

  const before = build();
  const crashed = await openRunner(before.topology, { applicationId, logger: silentLogger });
  processAndCommit(crashed, first);
  const held = changelogOf(crashed, before.bufferStore);

  const after = build();
  const restarted = await openRunner(after.topology, { applicationId, logger: silentLogger });
  for (const task of restarted.tasks) {
    for (const [storeName, store] of task.stores) {
      if (!isRestorableStore(store)) throw new Error(`store '${storeName}' should restore from its changelog`);
      store.restore(changelogOf(crashed, storeName));
    }
  }
  processAndCommit(restarted, second);
  return { uninterrupted: uninterrupted.seen, beforeCrash: before.seen, afterRestart: after.seen, held };
}

describe('a suppression buffer restored from its changelog', () => {
  it('untilWindowCloses: emits each held window exactly once, with its final count', async () => {
    const build = (): Scenario => {
      const builder = new StreamsBuilder(builderOptions());
      const counts = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
        .count({ storeName: 'counts' }) as KTable<Windowed<string>, number>;
      const suppressed = counts.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded(), 'final'));
      const seen = captureChanges(suppressed, (key) => `${key.key}@${key.window.start}`);
      return { topology: builder.build(), seen, bufferStore: 'final-store' };
    };
    // Stream time 16 closes [0,10) (grace 5); a, c and e are held in [10,20).
    const first: Input[][] = [[['a', 1, 1], ['a', 1, 5], ['b', 1, 9], ['a', 1, 12], ['e', 1, 13], ['c', 1, 16]]];
    // a and c get one more each, e nothing; then stream time 26 closes [10,20); b and d stay held in [20,30).
    const second: Input[][] = [[['a', 1, 18], ['c', 1, 19], ['b', 1, 24]], [['d', 1, 26]]];
    const run = await runWithAndWithoutRestart(build, first, second);

    // Windows due together go out in Kafka's buffer order, time then key bytes: c before e, though
    // e arrived first, with or without the restart.
    expect(run.uninterrupted).toEqual(['a@0:2/null', 'b@0:1/null', 'a@10:2/null', 'c@10:2/null', 'e@10:1/null']);
    expect(run.beforeCrash).toEqual(['a@0:2/null', 'b@0:1/null']);
    expect(run.held.length).toBeGreaterThan(0);
    expect(run.afterRestart).toEqual(['a@10:2/null', 'c@10:2/null', 'e@10:1/null']);
    expect([...run.beforeCrash, ...run.afterRestart]).toEqual(run.uninterrupted);
  });

  it('untilTimeLimit: emits each held key exactly once, with its latest value and prior value', async () => {
    const build = (): Scenario => {
      const builder = new StreamsBuilder(builderOptions());
      const sums = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
        .groupByKey()
        .reduce((sum, value) => sum + value, { storeName: 'sums' }) as KTable<string, number>;
      const suppressed = sums.suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded(), 'latest'));
      const seen = captureChanges(suppressed, (key) => key);
      return { topology: builder.build(), seen, bufferStore: 'latest-store' };
    };
    // At stream time 16, 'a' (first held at 5) is released; b (9), c (12) and d (16) stay held;
    // then 'a' is held again, with the prior value 3 that downstream saw.
    const first: Input[][] = [[['a', 1, 0], ['a', 2, 5], ['b', 7, 9], ['c', 1, 12], ['d', 1, 16]], [['a', 4, 17]]];
    // b is updated and released at stream time 20; c, d and a are released at 30; e stays held.
    const second: Input[][] = [[['b', 1, 20]], [['e', 1, 30]]];
    const run = await runWithAndWithoutRestart(build, first, second);

    expect(run.beforeCrash).toEqual(['a:3/null']);
    expect(run.afterRestart).toEqual(['b:8/null', 'c:1/null', 'd:1/null', 'a:7/3']);
    expect([...run.beforeCrash, ...run.afterRestart]).toEqual(run.uninterrupted);
  });

  it('keeps emit-early bounds across a restart, counting the restored entries', async () => {
    const build = (): Scenario => {
      const builder = new StreamsBuilder(builderOptions());
      const sums = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
        .groupByKey()
        .reduce((sum, value) => sum + value, { storeName: 'sums' }) as KTable<string, number>;
      const suppressed = sums.suppress(Suppressed.untilTimeLimit(100, BufferConfig.maxRecords(2), 'bounded'));
      const seen = captureChanges(suppressed, (key) => key);
      return { topology: builder.build(), seen, bufferStore: 'bounded-store' };
    };
    const run = await runWithAndWithoutRestart(build, [[['a', 1, 0], ['b', 1, 1]]], [[['c', 1, 2], ['d', 1, 3]]]);
    expect(run.beforeCrash).toEqual([]);
    expect(run.afterRestart).toEqual(['a:1/null', 'b:1/null']);
    expect(run.afterRestart).toEqual(run.uninterrupted);
  });

  it('counts restored entries in bytes exactly as the failed task counted them', async () => {
    const build = (): Scenario => {
      const builder = new StreamsBuilder(builderOptions());
      const sums = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
        .groupByKey()
        .reduce((sum, value) => sum + value, { storeName: 'sums' }) as KTable<string, number>;
      const suppressed = sums.suppress(Suppressed.untilTimeLimit(100, BufferConfig.maxBytes(73), 'bytes'));
      const seen = captureChanges(suppressed, (key) => key);
      return { topology: builder.build(), seen, bufferStore: 'bytes-store' };
    };
    // a=3 (old value 1, prior null) counts 8 + 1 + 4 + 4 + (20 + 2 for topic 'in') = 39 bytes; b=1
    // then 35: 74 in all, one past the bound. Restored, a must still count its topic and old value.
    const run = await runWithAndWithoutRestart(build, [[['a', 1, 0]], [['a', 2, 1]]], [[['b', 1, 2]]]);
    expect(run.beforeCrash).toEqual([]);
    expect(run.afterRestart).toEqual(['a:3/null']);
    expect(run.afterRestart).toEqual(run.uninterrupted);
  });

  it('fails at start with a clear error when the suppressed table has no value serde and the config no default', async () => {
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
      .groupByKey()
      .count({ storeName: 'counts' })
      .mapValues((count) => count * 2)
      .suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded(), 'doubled'));
    await expect(openRunner(builder.build(), { applicationId, logger: silentLogger })).rejects.toThrow(
      expect.objectContaining({ name: 'TopologyError', message: expect.stringMatching(/'doubled'.*Suppressed.*'doubled-store'.*Materialized\.with/) }),
    );
  });
});

describe('a suppression buffer changelog', () => {
  it("is written at commit, one record per key written since the last, in Kafka's order and format", async () => {
    const builder = new StreamsBuilder(builderOptions());
    const sums = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
      .groupByKey()
      .reduce((sum, value) => sum + value, { storeName: 'sums', cachingEnabled: false }) as KTable<string, number>;
    sums.suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded(), 'latest'));
    const local = await openRunner(builder.build(), { applicationId, logger: silentLogger });
    const topic = `${applicationId}-latest-store-changelog`;
    const logged = () =>
      (local.topics.get(topic) ?? []).splice(0).map((record) => {
        expect(record.stampedBySender).toBe(true);
        const entry = record.value === null ? undefined : decodeBufferEntry('latest-store', record.value);
        return `${record.key!.toString()}=${entry === undefined ? 'null' : `${entry.newBytes!.readInt32BE()}@${entry.time} ${record.headers.toArray().map((header) => `${header.key}:${header.value.toString('hex')}`)}`}`;
      });
    const task = local.tasks.find((candidate) => candidate.sourceTopics.includes('in'))!;
    const pipe = (records: readonly Input[]): void => {
      for (const [key, value, timestamp] of records) {
        task.addRecord('in', { topic: 'in', partition: 0, offset: offset++, timestamp, key: Buffer.from(key), value: Serdes.Int32().serialize('in', value, new Headers()), headers: new Headers() });
      }
      task.process();
    };
    pipe([['q', 1, 0], ['b', 1, 1], ['a', 1, 2], ['a', 2, 3]]);
    expect(logged()).toEqual([]);
    local.commit();
    // A Java HashSet's order: 'q' and 'a' share bucket 0 (q first), 'b' is bucket 1.
    expect(logged()).toEqual(['q=1@0 v:03', 'a=3@2 v:03', 'b=1@1 v:03']);
    // Stream time 20 emits q, b and a; c is held.
    pipe([['c', 5, 20]]);
    local.commit();
    expect(logged()).toEqual(['q=null', 'a=null', 'b=null', 'c=5@20 v:03']);
    // d is held and emitted in one commit interval: only its tombstone is logged.
    pipe([['d', 1, 21], ['e', 1, 40]]);
    local.commit();
    expect(logged()).toEqual(['c=null', 'd=null', 'e=1@40 v:03']);
  });

  it("restores from records in Tributary's earlier layout, emitting what they held", async () => {
    const build = (): Scenario => {
      const builder = new StreamsBuilder(builderOptions());
      const sums = (builder.stream('in', Consumed.with(Serdes.String(), Serdes.Int32())) as Stream)
        .groupByKey()
        .reduce((sum, value) => sum + value, { storeName: 'sums' }) as KTable<string, number>;
      const seen = captureChanges(sums.suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded(), 'latest')), (key) => key);
      return { topology: builder.build(), seen, bufferStore: 'latest-store' };
    };
    const scenario = build();
    const restarted = await openRunner(scenario.topology, { applicationId, logger: silentLogger });
    const int32 = (value: number): Buffer => Serdes.Int32().serialize('t', value, new Headers());
    for (const task of restarted.tasks) {
      const store = task.stores.get('latest-store');
      if (store === undefined || !isRestorableStore(store)) continue;
      store.restore([
        { key: Buffer.from('a'), value: earlierLayout({ time: 5, timestamp: 5, size: 40, headers: new Headers(), priorBytes: int32(3), newBytes: int32(7) }) },
        { key: Buffer.from('b'), value: earlierLayout({ time: 9, timestamp: 9, size: 0, headers: new Headers().add('h', 'x'), priorBytes: null, newBytes: int32(8) }) },
      ]);
    }
    processAndCommit(restarted, [[['c', 1, 30]]]);
    expect(scenario.seen).toEqual(['a:7/3', 'b:8/null']);
  });
});

/** An entry in Tributary's layout before Kafka's (what an older version's store or changelog holds). */
function earlierLayout(entry: { time: number; timestamp: number; size: number; headers: Headers; priorBytes: Buffer | null; newBytes: Buffer | null }): Buffer {
  const optional = (value: Buffer | null): Buffer => {
    const length = Buffer.alloc(4);
    length.writeInt32BE(value === null ? -1 : value.length);
    return value === null ? length : Buffer.concat([length, value]);
  };
  const fixed = Buffer.alloc(28);
  fixed.writeBigInt64BE(BigInt(entry.time), 0);
  fixed.writeBigInt64BE(BigInt(entry.timestamp), 8);
  fixed.writeBigInt64BE(BigInt(entry.size), 16);
  fixed.writeUInt32BE(entry.headers.size, 24);
  const headers = entry.headers.toArray().flatMap((header) => [optional(Buffer.from(header.key)), optional(header.value)]);
  return Buffer.concat([fixed, ...headers, optional(entry.priorBytes), optional(entry.newBytes)]);
}

describe('the suppression buffer encoding', () => {
  it("writes Kafka Streams 3.9's buffer layout (version 3), byte for byte", () => {
    // A tumbling count's window b@0 held at stream time 16 (input offset 1 of topic 'a'), as
    // Kafka's TopologyTestDriver logged it: prior value 0 (the initializer), old value the same, new value 1, due at 20.
    const long = (value: number): Buffer => Serdes.Int64().serialize('t', BigInt(value), new Headers());
    const bytes = encodeBufferEntry({
      time: 20,
      context: { timestamp: 16, offset: 1, topic: 'a', partition: 0, headers: new Headers() },
      priorBytes: long(0),
      oldBytes: long(0),
      newBytes: long(1),
    });
    expect(bytes.toString('hex')).toBe(
      '0000000000000010' + '0000000000000001' + '00000001' + '61' + '00000000' + '00000000' + '00000008' + '0000000000000000' + 'fffffffe' + '00000008' + '0000000000000001' + '0000000000000014',
    );
  });

  it('round-trips record contexts, headers and null, repeated or distinct values', () => {
    const headers = new Headers().add('trace', 'x1').add('trace', Buffer.from([0, 255]));
    const entry = {
      time: 1_700_000_000_123,
      context: { timestamp: 7, offset: 12, topic: 'clicks', partition: 3, headers },
      priorBytes: null,
      oldBytes: Buffer.from('old'),
      newBytes: Buffer.from('abc'),
    };
    const decoded = decodeBufferEntry('s', encodeBufferEntry(entry));
    expect({ ...decoded, context: { ...decoded.context, headers: decoded.context.headers.toArray() } }).toEqual({ ...entry, context: { ...entry.context, headers: headers.toArray() } });
    const deleted = decodeBufferEntry('s', encodeBufferEntry({ ...entry, context: { ...entry.context, topic: '' }, priorBytes: Buffer.alloc(0), oldBytes: null, newBytes: null }));
    expect([deleted.context.topic, deleted.priorBytes, deleted.oldBytes, deleted.newBytes]).toEqual(['', Buffer.alloc(0), null, null]);
    expect(() => decodeBufferEntry('s', Buffer.from('nope'))).toThrow(expect.objectContaining({ code: 'SUPPRESSION_BUFFER_CORRUPT' }));
  });

  it("reads entries of Tributary's earlier layout, with their sizes", () => {
    const headers = new Headers().add('trace', 'x1');
    const bytes = earlierLayout({ time: 30, timestamp: 25, size: 97, headers, priorBytes: Buffer.from('p'), newBytes: Buffer.from('n') });
    const decoded = decodeBufferEntry('s', bytes);
    expect({ ...decoded, context: { ...decoded.context, headers: decoded.context.headers.toArray() } }).toEqual({
      time: 30,
      context: { timestamp: 25, offset: -1, topic: '', partition: -1, headers: headers.toArray() },
      priorBytes: Buffer.from('p'),
      oldBytes: Buffer.from('p'),
      newBytes: Buffer.from('n'),
      legacySize: 97,
    });
  });
});
