/**
 * Stream-stream joins, tested as a user would: the join-semantics tables of the Kafka Streams
 * docs (3.x behaviour: left/outer results without a partner appear once the window has closed),
 * lateness and grace, null keys, when results without a partner come out, topology wiring, and
 * property tests against an oracle that replays the inputs in arrival order.
 *
 * Every expected output in the example tests below is what Kafka Streams 3.9.2's own
 * TopologyTestDriver printed for the same input (a small Java program, run once by hand).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../../engine.js';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import { JoinWindows, Serdes, StreamJoined, StreamsBuilder, TopologyError } from '../../../index.js';
import type { Topology } from '../../../index.js';
import type { TopologyTestDriver } from '../../../test-utils/index.js';
import { outerJoinEmitIntervalConfig } from './stream-stream-join.js';
import { builderOptions, openQuietDriver, propertyRuns, strings, writeStrings } from '#test-kit';

type JoinKind = 'join' | 'leftJoin' | 'outerJoin';

const showJoin = (left: string | null, right: string | null): string => `${left ?? 'null'} - ${right ?? 'null'}`;

/** `left` and `right` (string → string) joined by `kind` into `out`, values shown as "left - right". */
function joinTopology(kind: JoinKind, windows: JoinWindows, streamJoined?: StreamJoined<string, string, string>, countCaching?: boolean): Topology {
  const builder = new StreamsBuilder(builderOptions());
  const left = builder.stream('left', strings);
  const right = builder.stream('right', strings);
  const joined =
    kind === 'join'
      ? left.join(right, showJoin, windows, streamJoined)
      : kind === 'leftJoin'
        ? left.leftJoin(right, showJoin, windows, streamJoined)
        : left.outerJoin(right, showJoin, windows, streamJoined);
  joined.to('out', writeStrings);
  // Downstream state: the joined records counted per key, in a store cached or not.
  if (countCaching !== undefined) joined.groupByKey().count({ storeName: 'joined-counts', cachingEnabled: countCaching });
  return builder.build();
}

interface Arrival {
  readonly side: 'left' | 'right';
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: number;
}

/** Pipes `arrivals` one by one and returns, per arrival, what came out right after it. */
async function runStepwise(topology: Topology, arrivals: readonly Arrival[]): Promise<{ outputs: string[][]; driver: TopologyTestDriver }> {
  const driver = await openQuietDriver(topology);
  const inputs = {
    left: driver.createInputTopic('left', Serdes.String(), Serdes.String()),
    right: driver.createInputTopic('right', Serdes.String(), Serdes.String()),
  };
  const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
  const outputs = arrivals.map((arrival) => {
    inputs[arrival.side].pipeInput(arrival.key, arrival.value, arrival.timestamp);
    return output.readRecordsToList().map((record) => `${record.value}@${record.timestamp}`);
  });
  return { outputs, driver };
}

// The docs' table: one key, records arriving in timestamp order, a 10 ms join window, no grace.
// Records E..G come later to show when results without a partner appear (3.x: once the window closed).
const docsArrivals: Arrival[] = [
  { side: 'left', key: 'k', value: null, timestamp: 1 },
  { side: 'right', key: 'k', value: null, timestamp: 2 },
  { side: 'left', key: 'k', value: 'A', timestamp: 3 },
  { side: 'right', key: 'k', value: 'a', timestamp: 4 },
  { side: 'left', key: 'k', value: 'B', timestamp: 5 },
  { side: 'right', key: 'k', value: 'b', timestamp: 6 },
  { side: 'left', key: 'k', value: null, timestamp: 7 },
  { side: 'right', key: 'k', value: null, timestamp: 8 },
  { side: 'left', key: 'k', value: 'C', timestamp: 9 },
  { side: 'right', key: 'k', value: 'c', timestamp: 10 },
  { side: 'right', key: 'k', value: null, timestamp: 11 },
  { side: 'left', key: 'k', value: null, timestamp: 12 },
  { side: 'right', key: 'k', value: null, timestamp: 13 },
  { side: 'right', key: 'k', value: 'd', timestamp: 14 },
  { side: 'left', key: 'k', value: 'D', timestamp: 15 },
  { side: 'left', key: 'k', value: 'E', timestamp: 30 },
  { side: 'left', key: 'k', value: 'F', timestamp: 45 },
  { side: 'right', key: 'k', value: 'f', timestamp: 60 },
  { side: 'left', key: 'k', value: 'G', timestamp: 75 },
];

/** Rows of the docs' table shared by all three joins (timestamps 1 to 15). */
const docsJoinedRows: string[][] = [
  [],
  [],
  [],
  ['A - a@4'],
  ['B - a@5'],
  ['A - b@6', 'B - b@6'],
  [],
  [],
  ['C - a@9', 'C - b@9'],
  ['A - c@10', 'B - c@10', 'C - c@10'],
  [],
  [],
  [],
  // A (3) is 11 ms before d (14): outside the window.
  ['B - d@14', 'C - d@14'],
  ['D - b@15', 'D - c@15', 'D - d@15'],
];

describe('stream-stream join: the Kafka Streams docs table', () => {
  const windows = JoinWindows.ofTimeDifferenceWithNoGrace(10);

  it('inner join emits each pair within the window as the later record arrives', async () => {
    const { outputs, driver } = await runStepwise(joinTopology('join', windows), docsArrivals);
    expect(outputs).toEqual([...docsJoinedRows, [], [], [], []]);
    // Seven null values: dropped and counted, never joined.
    expect(driver.droppedRecords().get('null-value')).toBe(7);
  });

  it('left join emits a left record without a partner once stream time passes its window', async () => {
    const { outputs } = await runStepwise(joinTopology('leftJoin', windows), docsArrivals);
    // E (30) waits until F (45) closes its window; F waits until f (60); G is still waiting.
    expect(outputs).toEqual([...docsJoinedRows, [], ['E - null@30'], ['F - null@45'], []]);
  });

  it('outer join emits records of either side without a partner once their window closes', async () => {
    const { outputs } = await runStepwise(joinTopology('outerJoin', windows), docsArrivals);
    expect(outputs).toEqual([...docsJoinedRows, [], ['E - null@30'], ['F - null@45'], ['null - f@60']]);
  });
});

describe('stream-stream join: windows, grace and lateness', () => {
  it('joins other-side records from `before` earlier to `after` later, mirrored for the right side', async () => {
    const windows = JoinWindows.ofTimeDifferenceWithNoGrace(0).before(5).after(2);
    const { outputs } = await runStepwise(joinTopology('join', windows), [
      { side: 'right', key: 'k', value: 'r95', timestamp: 95 },
      { side: 'right', key: 'k', value: 'r94', timestamp: 94 },
      { side: 'left', key: 'k', value: 'L100', timestamp: 100 },
      { side: 'right', key: 'k', value: 'r102', timestamp: 102 },
      { side: 'right', key: 'k', value: 'r103', timestamp: 103 },
    ]);
    // L100 joins right records in [95, 102]: r95 now, r102 when it arrives; r94 and r103 are outside.
    // r94 arrives after r95 and is 1 ms behind stream time, within its own window (94 + 5): not late.
    expect(outputs).toEqual([[], [], ['L100 - r95@100'], ['L100 - r102@102'], []]);
  });

  it('drops nothing as late: a record out of order joins what the other store retains, and one with no partner left is emitted with null at once', async () => {
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10, 5);
    const { outputs, driver } = await runStepwise(joinTopology('leftJoin', windows), [
      { side: 'left', key: 'x', value: 'X', timestamp: 100 },
      { side: 'right', key: 'k', value: 'r85', timestamp: 85 },
      { side: 'left', key: 'k', value: 'L85', timestamp: 85 },
      // 84 + 10 + 5 < 100: once dropped as late; Kafka joins it with r85, which the right store still holds.
      { side: 'left', key: 'k', value: 'L84', timestamp: 84 },
      { side: 'right', key: 'k', value: 'r84', timestamp: 84 },
      // Its window [60, 80] holds nothing the right store keeps (retention 25: newer than 85 - 25), and it
      // ended before stream time: emitted with null at once, not parked.
      { side: 'left', key: 'k', value: 'L70', timestamp: 70 },
      // At the right store's retention edge (85 - 25), and it finds no left record the left store keeps
      // (newer than 100 - 25).
      { side: 'right', key: 'k', value: 'r60', timestamp: 60 },
    ]);
    expect(outputs).toEqual([[], [], ['L85 - r85@85'], ['L84 - r85@85'], ['L84 - r84@84', 'L85 - r84@85'], ['L70 - null@70'], []]);
    expect(driver.droppedRecords().get('late-record')).toBeUndefined();
    // L70 (at or below 100 - 25) and r60 are dropped by their stores on the way in, and counted, as Kafka's
    // in-memory window store counts them (its RocksDB store keeps them in a live segment, never to be fetched).
    expect(driver.droppedRecords().get('expired-window')).toBe(2);
  });

  it('moves a side\'s store time with a null-value record it drops, so its older records leave retention, as Kafka\'s join-window store does', async () => {
    const windows = JoinWindows.ofTimeDifferenceAndGrace(2, 2);
    const left: Arrival = { side: 'left', key: 'a', value: '43', timestamp: 9 };
    const right: Arrival = { side: 'right', key: 'a', value: '6', timestamp: 9 };
    // Without the null the two join.
    expect((await runStepwise(joinTopology('join', windows), [left, right])).outputs).toEqual([[], ['43 - 6@9']]);
    // Kafka Streams 3.9.2: the null value at 37 moves the left store to 37, so a@9 (retention 6) is
    // gone when the right record comes, and nothing is joined.
    const { outputs, driver } = await runStepwise(joinTopology('join', windows), [left, { side: 'left', key: 'e', value: null, timestamp: 37 }, right]);
    expect(outputs).toEqual([[], [], []]);
    expect(driver.droppedRecords().get('null-value')).toBe(1);
  });

  it('keeps records for before + after + grace exactly, as Kafka does: a zero window with no grace joins nothing', async () => {
    // Kafka's window stores return records newer than their largest timestamp minus retention (here 0).
    const { outputs } = await runStepwise(joinTopology('join', JoinWindows.ofTimeDifferenceWithNoGrace(0)), [
      { side: 'left', key: 'k', value: 'A', timestamp: 10 },
      { side: 'right', key: 'k', value: 'a', timestamp: 10 },
    ]);
    expect(outputs).toEqual([[], []]);
  });

  it('emits a record whose join window (not grace) has passed with null at once, and it still joins a partner that comes within grace', async () => {
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10, 20);
    const { outputs } = await runStepwise(joinTopology('leftJoin', windows), [
      { side: 'left', key: 'x', value: 'X', timestamp: 100 },
      // 85 + 10 < 100: its window is behind stream time, so Kafka emits it with null now, grace or not.
      { side: 'left', key: 'k', value: 'L85', timestamp: 85 },
      { side: 'right', key: 'k', value: 'r90', timestamp: 90 },
    ]);
    expect(outputs).toEqual([[], ['L85 - null@85'], ['L85 - r90@90']]);
  });

  it('waits for the grace period before emitting a left record without a partner, and a partner within grace still joins', async () => {
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10, 20);
    const { outputs } = await runStepwise(joinTopology('leftJoin', windows), [
      { side: 'left', key: 'k', value: 'A', timestamp: 0 },
      { side: 'left', key: 'k', value: 'B', timestamp: 25 },
      // Out of order, 25 ms behind, but within A's window plus grace: joins A, so A never appears with null.
      { side: 'right', key: 'k', value: 'a', timestamp: 5 },
      // 0 + 10 + 20 < 31: A's window has closed; B (25) is still open.
      { side: 'left', key: 'x', value: 'X', timestamp: 31 },
      // 25 + 30 < 62 and 31 + 30 < 62: both windows have closed.
      { side: 'left', key: 'x', value: 'Y', timestamp: 62 },
    ]);
    expect(outputs).toEqual([[], [], ['A - a@5'], [], ['B - null@25', 'X - null@31']]);
  });

  it('keeps each of several records with the same key and timestamp, and emits each without a partner once', async () => {
    const windows = JoinWindows.ofTimeDifferenceWithNoGrace(1);
    const { outputs } = await runStepwise(joinTopology('outerJoin', windows), [
      { side: 'left', key: 'k', value: 'A1', timestamp: 10 },
      { side: 'left', key: 'k', value: 'A2', timestamp: 10 },
      { side: 'right', key: 'k', value: 'b1', timestamp: 10 },
      { side: 'right', key: 'k', value: 'b2', timestamp: 10 },
      { side: 'right', key: 'j', value: 'c1', timestamp: 20 },
      { side: 'right', key: 'j', value: 'c2', timestamp: 20 },
      { side: 'left', key: 'z', value: 'Z', timestamp: 40 },
    ]);
    expect(outputs).toEqual([[], [], ['A1 - b1@10', 'A2 - b1@10'], ['A1 - b2@10', 'A2 - b2@10'], [], [], ['null - c1@20', 'null - c2@20']]);
  });

  it('outer join emits a record with a null key joined with null at once, from either side (KIP-962), and drops a null key with a null value', async () => {
    const { outputs, driver } = await runStepwise(joinTopology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(10)), [
      { side: 'left', key: null, value: 'A', timestamp: 1 },
      { side: 'right', key: null, value: 'a', timestamp: 1 },
      { side: 'left', key: null, value: null, timestamp: 2 },
      { side: 'left', key: 'k', value: 'Z', timestamp: 100 },
    ]);
    expect(outputs).toEqual([['A - null@1'], ['null - a@1'], [], []]);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('left join emits a left record with a null key joined with null, and drops a right one', async () => {
    const driver = await openQuietDriver(joinTopology('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(10)));
    driver.createInputTopic('left', Serdes.String(), Serdes.String()).pipeInput(null, 'A', 1);
    driver.createInputTopic('right', Serdes.String(), Serdes.String()).pipeInput(null, 'a', 1);
    const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(output.map((record) => [record.key, record.value, record.timestamp])).toEqual([[null, 'A - null', 1]]);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('inner join drops and counts records with a null key', async () => {
    const { outputs, driver } = await runStepwise(joinTopology('join', JoinWindows.ofTimeDifferenceWithNoGrace(10)), [
      { side: 'left', key: null, value: 'A', timestamp: 1 },
      { side: 'right', key: null, value: 'a', timestamp: 1 },
      { side: 'left', key: 'k', value: 'Z', timestamp: 100 },
    ]);
    expect(outputs).toEqual([[], [], []]);
    expect(driver.droppedRecords().get('null-key')).toBe(2);
  });
});

describe('stream-stream join: when results without a partner come out', () => {
  it('leaves the shared minimum time where the last scan stopped, so a closed window can wait for a later scan (as Kafka does)', async () => {
    const { outputs } = await runStepwise(joinTopology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(5)), [
      { side: 'right', key: 'a', value: 'r10', timestamp: 10 },
      { side: 'left', key: 'b', value: 'l12', timestamp: 12 },
      { side: 'left', key: 'c', value: 'l15', timestamp: 15 },
      // 10 + 5 < 16: the scan emits r10, passes the open l12 and l15, and stops at the end with minimum time 15.
      { side: 'left', key: 'd', value: 'x16', timestamp: 16 },
      // l12's window closed at 17, but 15 + 5 >= 18: no scan.
      { side: 'left', key: 'e', value: 'y18', timestamp: 18 },
      { side: 'left', key: 'f', value: 'z21', timestamp: 21 },
    ]);
    expect(outputs).toEqual([[], [], [], ['null - r10@10'], [], ['l12 - null@12', 'l15 - null@15']]);
  });

  it('counts each parked value of a key and timestamp as one record when a scan stops, as Kafka\'s list-value store does', async () => {
    // Kafka Streams 3.9.2's output for this input (before 10, after 10, grace 11).
    const { outputs } = await runStepwise(joinTopology('outerJoin', JoinWindows.ofTimeDifferenceAndGrace(10, 11).after(10)), [
      { side: 'left', key: 'e', value: '25', timestamp: 33 },
      { side: 'right', key: 'a', value: '48', timestamp: 35 },
      { side: 'left', key: 'c', value: '1', timestamp: 40 },
      { side: 'left', key: 'c', value: '83', timestamp: 40 },
      { side: 'right', key: 'a', value: '77', timestamp: 48 },
      // The scan emits e (33 + 21 < 55), passes the open a@35 (right) and c@40 (left): both sides
      // open, the second value of c@40 stops it with minimum time 40 (not 48, the next key's).
      { side: 'right', key: 'a', value: '79', timestamp: 55 },
      // 40 + 21 < 68: a scan, which emits a@35 and both values of c@40.
      { side: 'right', key: 'c', value: '49', timestamp: 68 },
    ]);
    expect(outputs).toEqual([[], [], [], [], [], ['25 - null@33'], ['null - 48@35', '1 - null@40', '83 - null@40']]);
  });

  it('scans at most once per emit interval of wall-clock time, as KafkaStreams does (the test driver sets it to 0, as Kafka\'s does)', async () => {
    const topology = joinTopology('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(5));
    const driver = await openQuietDriver(topology, { appConfigs: { [outerJoinEmitIntervalConfig]: 1000 } });
    const left = driver.createInputTopic('left', Serdes.String(), Serdes.String());
    const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
    const read = () => output.readRecordsToList().map((record) => `${record.value}@${record.timestamp}`);
    // The first record scans (an empty store) and sets the next scan to wall-clock 1000.
    left.pipeInput('a', 'A', 0);
    left.pipeInput('b', 'B', 10);
    left.pipeInput('c', 'C', 20);
    expect(read()).toEqual([]);
    driver.advanceWallClockTime(1000);
    left.pipeInput('d', 'D', 21);
    expect(read()).toEqual(['A - null@0', 'B - null@10']);
  });

  it('rejects an emit interval that is not a number', async () => {
    const topology = joinTopology('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(5));
    await expect(async () => {
      const driver = await openQuietDriver(topology, { appConfigs: { [outerJoinEmitIntervalConfig]: 'soon' } });
      driver.createInputTopic('left', Serdes.String(), Serdes.String()).pipeInput('a', 'A', 0);
    }).rejects.toThrow(`Option '${outerJoinEmitIntervalConfig}' must be a whole number of milliseconds`);
  });
});

describe('stream-stream join: topology', () => {
  it('names its stores after StreamJoined and records the inputs as a co-partition group', async () => {
    const topology = joinTopology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(10), { ...StreamJoined.as('clicks'), name: 'clicks-join' });
    const internal = topologyBuilder(topology)!;
    // Kafka Streams' names for an outer join: the sides carry `-outer-` in their store and node names.
    expect([...internal.stores.keys()].sort()).toEqual(['clicks-outer-other-join-store', 'clicks-outer-shared-join-store', 'clicks-outer-this-join-store']);
    expect(internal.copartitionGroups.map((group) => [...group].sort())).toEqual([['left', 'right']]);
    expect(internal.nodes.has('clicks-join-this-windowed')).toBe(true);
    expect(internal.nodes.has('clicks-join-other-windowed')).toBe(true);
    expect(internal.nodes.has('clicks-join-outer-this-join')).toBe(true);
    expect(internal.nodes.has('clicks-join-outer-other-join')).toBe(true);
    expect(internal.nodes.has('clicks-join-merge')).toBe(true);
  });

  it('uses no shared store for an inner join', async () => {
    const topology = joinTopology('join', JoinWindows.ofTimeDifferenceWithNoGrace(10), StreamJoined.as('views'));
    expect([...topologyBuilder(topology)!.stores.keys()].sort()).toEqual(['views-other-join-store', 'views-this-join-store']);
  });

  it('repartitions a side whose key changed, then joins on the new key', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const left = builder.stream('left', strings).selectKey((_key, value) => value.split(':')[0]!);
    const right = builder.stream('right', strings);
    left.join(right, showJoin, JoinWindows.ofTimeDifferenceWithNoGrace(10), { name: 'rekeyed' }).to('out', writeStrings);
    const topology = builder.build();
    expect(topologyBuilder(topology)!.internalTopics.has('rekeyed-left-repartition')).toBe(true);
    expect(topologyBuilder(topology)!.internalTopics.has('rekeyed-right-repartition')).toBe(false);
    expect(topologyBuilder(topology)!.copartitionGroups.map((group) => [...group].sort())).toEqual([['rekeyed-left-repartition', 'right']]);

    const { outputs } = await runStepwise(topology, [
      { side: 'left', key: 'ignored', value: 'u1:click', timestamp: 5 },
      { side: 'right', key: 'u1', value: 'view', timestamp: 6 },
    ]);
    expect(outputs).toEqual([[], ['u1:click - view@6']]);
  });

  it('rejects a join without JoinWindows or without a joiner function', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const left = builder.stream('left', strings);
    const right = builder.stream('right', strings);
    expect(() => left.join(right, showJoin, undefined as never)).toThrow(TopologyError);
    expect(() => left.join(right, null as never, JoinWindows.ofTimeDifferenceWithNoGrace(1))).toThrow('join() takes a ValueJoiner function');
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against a brute-force oracle
// ---------------------------------------------------------------------------------------------

interface Generated {
  readonly side: 'left' | 'right';
  readonly key: string;
  readonly timestamp: number;
}

interface Stored {
  readonly key: string;
  readonly value: string;
  readonly timestamp: number;
}

interface Parked {
  readonly timestamp: number;
  readonly side: 'left' | 'right';
  readonly key: string;
  readonly values: string[];
}

/**
 * What a join must emit, record for record, worked out plainly over arrays: replay the records in
 * arrival order with Kafka Streams 3.9's rules (KStreamKStreamJoin). This oracle used to drop a
 * record whose window had closed as late and emit each unmatched record the moment its window
 * closed; Kafka does neither, so it now states Kafka's rules:
 * - each side's store keeps every record, and a lookup sees only records newer than that store's
 *   largest timestamp minus its retention (`before + after + grace`); nothing is late;
 * - a record joins the other side's records of its key in `[t - lookBehind, t + lookAhead]`
 *   (both bounds at least 0), each result at the later timestamp, in store order;
 * - an unmatched record of a side that keeps them is emitted with null at once if
 *   `t + lookAhead` is already below stream time, and parked otherwise;
 * - a record at stream time first scans the parked records, ordered by timestamp, right before
 *   left, key, when the shared minimum time says a window may have closed; the scan emits those
 *   whose `t + lookAhead + grace` is below stream time, stops once it has seen an open record of
 *   each side, and leaves the minimum time at the timestamp where it stopped.
 * The flush record (far in the future) closes every window at the end.
 */
function oracle(kind: JoinKind, windows: JoinWindows, inputs: readonly Generated[]): string[][] {
  const retentionMs = windows.beforeMs + windows.afterMs + windows.graceMs;
  const lookAhead = (side: 'left' | 'right'): number => (side === 'left' ? windows.afterMs : windows.beforeMs);
  const lookBehind = (side: 'left' | 'right'): number => (side === 'left' ? windows.beforeMs : windows.afterMs);
  const keepsUnmatched = (side: 'left' | 'right'): boolean => kind === 'outerJoin' || (kind === 'leftJoin' && side === 'left');
  const stores = { left: { records: [] as Stored[], observed: Number.NEGATIVE_INFINITY }, right: { records: [] as Stored[], observed: Number.NEGATIVE_INFINITY } };
  let parked: Parked[] = [];
  let streamTime = -1;
  let minTime = Number.POSITIVE_INFINITY;
  const show = (key: string, left: string | null, right: string | null, timestamp: number): string => `${key}|${left ?? 'null'} - ${right ?? 'null'}@${timestamp}`;
  const steps = [...inputs, { side: 'left' as const, key: flushKey, timestamp: 1_000_000 }];
  return steps.map((input, index) => {
    const results: string[] = [];
    const side = input.side;
    const other = side === 'left' ? 'right' : 'left';
    const value = input.key === flushKey ? 'flush' : `${side === 'left' ? 'L' : 'r'}${index}`;
    const timestamp = input.timestamp;
    streamTime = Math.max(streamTime, timestamp);
    const span = lookAhead(side) + windows.graceMs;
    const mayHaveClosed = minTime === Number.POSITIVE_INFINITY ? span > 0 : minTime + span < streamTime;
    if (kind !== 'join' && timestamp === streamTime && mayHaveClosed) {
      parked.sort((a, b) => a.timestamp - b.timestamp || (a.side === b.side ? 0 : a.side === 'right' ? -1 : 1) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      minTime = Number.POSITIVE_INFINITY;
      const open = { left: false, right: false };
      const emitted = new Set<Parked>();
      // Kafka's list-value store yields each parked value as an entry of its own.
      scan: for (const entry of parked) {
        for (const parkedValue of entry.values) {
          minTime = entry.timestamp;
          if (open.left && open.right) break scan;
          if (entry.timestamp + lookAhead(entry.side) + windows.graceMs >= streamTime) {
            open[entry.side] = true;
            continue;
          }
          results.push(entry.side === 'left' ? show(entry.key, parkedValue, null, entry.timestamp) : show(entry.key, null, parkedValue, entry.timestamp));
          emitted.add(entry);
        }
      }
      parked = parked.filter((entry) => !emitted.has(entry));
    }
    const own = stores[side];
    own.observed = Math.max(own.observed, timestamp);
    own.records.push({ key: input.key, value, timestamp });
    const from = Math.max(0, timestamp - lookBehind(side));
    const to = Math.max(0, timestamp + lookAhead(side));
    const otherStore = stores[other];
    const partners = otherStore.records
      .filter((record) => record.key === input.key && record.timestamp >= from && record.timestamp <= to && record.timestamp > otherStore.observed - retentionMs)
      .sort((a, b) => a.timestamp - b.timestamp);
    for (const partner of partners) {
      parked = parked.filter((entry) => !(entry.side === other && entry.key === input.key && entry.timestamp === partner.timestamp));
      const joinedAt = Math.max(timestamp, partner.timestamp);
      results.push(side === 'left' ? show(input.key, value, partner.value, joinedAt) : show(input.key, partner.value, value, joinedAt));
    }
    if (partners.length === 0 && keepsUnmatched(side)) {
      if (to < streamTime) {
        results.push(side === 'left' ? show(input.key, value, null, timestamp) : show(input.key, null, value, timestamp));
      } else {
        minTime = Math.min(minTime, timestamp);
        const entry = parked.find((candidate) => candidate.side === side && candidate.key === input.key && candidate.timestamp === timestamp);
        if (entry === undefined) parked.push({ timestamp, side, key: input.key, values: [value] });
        else entry.values.push(value);
      }
    }
    return results;
  });
}

const flushKey = 'flush';

/** Pipes the inputs and then the flush record, and returns what came out after each, as the oracle shows it. */
async function runJoin(kind: JoinKind, windows: JoinWindows, inputs: readonly Generated[], countCaching?: boolean): Promise<string[][]> {
  const driver = await openQuietDriver(joinTopology(kind, windows, undefined, countCaching));
  const topics = {
    left: driver.createInputTopic('left', Serdes.String(), Serdes.String()),
    right: driver.createInputTopic('right', Serdes.String(), Serdes.String()),
  };
  const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
  const read = () => output.readRecordsToList().map((record) => `${record.key}|${record.value}@${record.timestamp}`);
  const steps = inputs.map((input, index) => {
    topics[input.side].pipeInput(input.key, `${input.side === 'left' ? 'L' : 'r'}${index}`, input.timestamp);
    return read();
  });
  topics.left.pipeInput(flushKey, 'flush', 1_000_000);
  steps.push(read());
  if (countCaching !== undefined) {
    const counts = driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('joined-counts');
    const results = steps.flat();
    for (const key of ['a', 'b', 'c']) {
      expect(counts.get(key)?.value ?? 0, `joined records of '${key}'`).toBe(results.filter((result) => result.startsWith(`${key}|`)).length);
    }
  }
  driver.close();
  return steps;
}

const generatedInputs = fc.array(
  fc.record({
    side: fc.constantFrom('left' as const, 'right' as const),
    key: fc.constantFrom('a', 'b', 'c'),
    timestamp: fc.integer({ min: 0, max: 60 }),
  }),
  { maxLength: 30 },
);

const generatedWindows = fc
  .record({ before: fc.integer({ min: 0, max: 12 }), after: fc.integer({ min: 0, max: 12 }), grace: fc.integer({ min: 0, max: 12 }) })
  .map(({ before, after, grace }) => JoinWindows.ofTimeDifferenceAndGrace(0, grace).before(before).after(after));

describe.each(['join', 'leftJoin', 'outerJoin'] as const)('stream-stream %s: property tests', (kind) => {
  it.each([true, false])('emits exactly the oracle’s results for random out-of-order inputs (downstream count caching: %s)', async (caching) => {
    await fc.assert(
      fc.asyncProperty(generatedWindows, generatedInputs, async (windows, inputs) => {
        expect(await runJoin(kind, windows, inputs, caching)).toEqual(oracle(kind, windows, inputs));
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});

describe('stream-stream join: oracle sanity', () => {
  it('inner results are all pairs within the window when nothing is out of order', async () => {
    // In timestamp order with a wide grace the oracle is the plain definition.
    const windows = JoinWindows.ofTimeDifferenceAndGrace(3, 1000);
    const inputs: Generated[] = [
      { side: 'left', key: 'a', timestamp: 1 },
      { side: 'right', key: 'a', timestamp: 4 },
      { side: 'right', key: 'a', timestamp: 5 },
      { side: 'left', key: 'a', timestamp: 8 },
    ];
    expect(oracle('join', windows, inputs)).toEqual([[], ['a|L0 - r1@4'], [], ['a|L3 - r2@8'], []]);
    expect(await runJoin('join', windows, inputs)).toEqual(oracle('join', windows, inputs));
  });

  it('agrees with Kafka on the timing example: a closed window waits for a later scan', () => {
    const windows = JoinWindows.ofTimeDifferenceWithNoGrace(5);
    const inputs: Generated[] = [
      { side: 'right', key: 'a', timestamp: 10 },
      { side: 'left', key: 'b', timestamp: 12 },
      { side: 'left', key: 'c', timestamp: 15 },
      { side: 'left', key: 'a', timestamp: 16 },
      { side: 'left', key: 'b', timestamp: 18 },
      { side: 'left', key: 'c', timestamp: 21 },
    ];
    expect(oracle('outerJoin', windows, inputs).slice(0, 6)).toEqual([[], [], [], ['a|null - r0@10'], [], ['b|L1 - null@12', 'c|L2 - null@15']]);
  });
});
