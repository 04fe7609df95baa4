/**
 * Stream-stream joins, tested as a user would: the join-semantics tables of the Kafka Streams
 * docs (3.x behaviour: left/outer results without a partner appear once the window has closed),
 * lateness and grace, topology wiring, and property tests against a brute-force oracle that
 * replays the inputs in arrival order.
 */
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import { Consumed, JoinWindows, Produced, Serdes, StreamJoined, StreamsBuilder, TopologyError, silentLogger } from '../../../index.js';
import type { Topology } from '../../../index.js';
import { TopologyTestDriver } from '../../../test-utils/index.js';
import { builderOptions, openDriver as openStoreDriver, propertyRuns } from '../../../../../../test/support/store-kind.js';

const strings = Consumed.with(Serdes.String(), Serdes.String());
const writeStrings = Produced.with(Serdes.String(), Serdes.String());

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

async function openDriver(topology: Topology): Promise<TopologyTestDriver> {
  const driver = await openStoreDriver(topology, { logger: silentLogger }, { initialWallClockTime: 0 });
  onTestFinished(() => driver.close());
  return driver;
}

interface Arrival {
  readonly side: 'left' | 'right';
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: number;
}

/** Pipes `arrivals` one by one and returns, per arrival, what came out right after it. */
async function runStepwise(topology: Topology, arrivals: readonly Arrival[]): Promise<{ outputs: string[][]; driver: TopologyTestDriver }> {
  const driver = await openDriver(topology);
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

  it('drops and counts a record whose window closed (plus grace) before it arrived', async () => {
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10, 5);
    const { outputs, driver } = await runStepwise(joinTopology('leftJoin', windows), [
      { side: 'left', key: 'x', value: 'X', timestamp: 100 },
      // Window of a left record at 85 ends at 95; plus grace 100: still in time.
      { side: 'right', key: 'k', value: 'r85', timestamp: 85 },
      { side: 'left', key: 'k', value: 'L85', timestamp: 85 },
      // 84 + 10 + 5 < 100: late.
      { side: 'left', key: 'k', value: 'L84', timestamp: 84 },
      { side: 'right', key: 'k', value: 'r84', timestamp: 84 },
    ]);
    expect(outputs).toEqual([[], [], ['L85 - r85@85'], [], []]);
    expect(driver.droppedRecords().get('late-record')).toBe(2);
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

  it('drops and counts records with a null key', async () => {
    const { outputs, driver } = await runStepwise(joinTopology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(10)), [
      { side: 'left', key: null, value: 'A', timestamp: 1 },
      { side: 'right', key: null, value: 'a', timestamp: 1 },
      { side: 'left', key: 'k', value: 'Z', timestamp: 100 },
    ]);
    expect(outputs).toEqual([[], [], []]);
    expect(driver.droppedRecords().get('null-key')).toBe(2);
  });
});

describe('stream-stream join: topology', () => {
  it('names its stores after StreamJoined and records the inputs as a co-partition group', async () => {
    const topology = joinTopology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(10), { ...StreamJoined.as('clicks'), name: 'clicks-join' });
    const internal = topology.internal;
    expect([...internal.stores.keys()].sort()).toEqual(['clicks-other-join-store', 'clicks-outer-shared-join-store', 'clicks-this-join-store']);
    expect(internal.copartitionGroups.map((group) => [...group].sort())).toEqual([['left', 'right']]);
    expect(internal.nodes.has('clicks-join-this-join')).toBe(true);
    expect(internal.nodes.has('clicks-join-other-join')).toBe(true);
    expect(internal.nodes.has('clicks-join-merge')).toBe(true);
  });

  it('uses no shared store for an inner join', async () => {
    const topology = joinTopology('join', JoinWindows.ofTimeDifferenceWithNoGrace(10), StreamJoined.as('views'));
    expect([...topology.internal.stores.keys()].sort()).toEqual(['views-other-join-store', 'views-this-join-store']);
  });

  it('repartitions a side whose key changed, then joins on the new key', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const left = builder.stream('left', strings).selectKey((_key, value) => value.split(':')[0]!);
    const right = builder.stream('right', strings);
    left.join(right, showJoin, JoinWindows.ofTimeDifferenceWithNoGrace(10), { name: 'rekeyed' }).to('out', writeStrings);
    const topology = builder.build();
    expect(topology.internal.internalTopics.has('rekeyed-left-repartition')).toBe(true);
    expect(topology.internal.internalTopics.has('rekeyed-right-repartition')).toBe(false);
    expect(topology.internal.copartitionGroups.map((group) => [...group].sort())).toEqual([['rekeyed-left-repartition', 'right']]);

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

interface Replayed extends Generated {
  readonly value: string;
  late: boolean;
  matched: boolean;
  closed: boolean;
}

/**
 * What a join must emit, worked out plainly: replay the records in arrival order, tracking the
 * largest timestamp seen (stream time). A record is late, and ignored, when its own window ended
 * more than `grace` before stream time (left records look `after` ahead, right records `before`).
 * Every two records of one key that are both in time and at most the window apart make a pair.
 * A record of a side that keeps its unmatched records gets a `null` partner if, when its window
 * closed, no partner had arrived yet.
 */
function oracle(kind: JoinKind, windows: JoinWindows, inputs: readonly Generated[]): string[] {
  const results: string[] = [];
  const replayed: Replayed[] = [];
  const lookAhead = (record: Generated): number => (record.side === 'left' ? windows.afterMs : windows.beforeMs);
  const keepsUnmatched = (record: Generated): boolean => (kind === 'outerJoin' ? true : kind === 'leftJoin' && record.side === 'left');
  let streamTime = Number.NEGATIVE_INFINITY;
  inputs.forEach((input, index) => {
    streamTime = Math.max(streamTime, input.timestamp);
    for (const earlier of replayed) {
      if (earlier.late || earlier.closed || earlier.timestamp + lookAhead(earlier) + windows.graceMs >= streamTime) continue;
      earlier.closed = true;
      if (!earlier.matched && keepsUnmatched(earlier)) results.push(nullResult(earlier));
    }
    const record: Replayed = { ...input, value: `${input.side === 'left' ? 'L' : 'r'}${index}`, late: false, matched: false, closed: false };
    replayed.push(record);
    if (record.timestamp + lookAhead(record) + windows.graceMs < streamTime) {
      record.late = true;
      return;
    }
    for (const earlier of replayed) {
      if (earlier === record || earlier.late || earlier.side === record.side || earlier.key !== record.key) continue;
      const [left, right] = record.side === 'left' ? [record, earlier] : [earlier, record];
      if (right.timestamp < left.timestamp - windows.beforeMs || right.timestamp > left.timestamp + windows.afterMs) continue;
      earlier.matched = true;
      record.matched = true;
      results.push(`${left.key}|${left.value} - ${right.value}@${Math.max(left.timestamp, right.timestamp)}`);
    }
  });
  // The flush record (far in the future) closes every window.
  for (const record of replayed) {
    if (!record.late && !record.closed && !record.matched && keepsUnmatched(record)) results.push(nullResult(record));
  }
  return results.sort();
}

function nullResult(record: Replayed): string {
  return record.side === 'left' ? `${record.key}|${record.value} - null@${record.timestamp}` : `${record.key}|null - ${record.value}@${record.timestamp}`;
}

const flushKey = 'flush';

async function runJoin(kind: JoinKind, windows: JoinWindows, inputs: readonly Generated[], countCaching?: boolean): Promise<string[]> {
  const driver = await openDriver(joinTopology(kind, windows, undefined, countCaching));
  const topics = {
    left: driver.createInputTopic('left', Serdes.String(), Serdes.String()),
    right: driver.createInputTopic('right', Serdes.String(), Serdes.String()),
  };
  const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
  inputs.forEach((input, index) => topics[input.side].pipeInput(input.key, `${input.side === 'left' ? 'L' : 'r'}${index}`, input.timestamp));
  topics.left.pipeInput(flushKey, 'flush', 1_000_000);
  const results = output
    .readRecordsToList()
    .filter((record) => record.key !== flushKey)
    .map((record) => `${record.key}|${record.value}@${record.timestamp}`);
  if (countCaching !== undefined) {
    const counts = driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('joined-counts');
    for (const key of ['a', 'b', 'c']) {
      expect(counts.get(key)?.value ?? 0, `joined records of '${key}'`).toBe(results.filter((result) => result.startsWith(`${key}|`)).length);
    }
  }
  driver.close();
  return results.sort();
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
  it('inner results are all pairs within the window when nothing is late', async () => {
    // In timestamp order with a wide grace nothing is late: the oracle is then the plain definition.
    const windows = JoinWindows.ofTimeDifferenceAndGrace(3, 1000);
    const inputs: Generated[] = [
      { side: 'left', key: 'a', timestamp: 1 },
      { side: 'right', key: 'a', timestamp: 4 },
      { side: 'right', key: 'a', timestamp: 5 },
      { side: 'left', key: 'a', timestamp: 8 },
    ];
    expect(oracle('join', windows, inputs)).toEqual(['a|L0 - r1@4', 'a|L3 - r2@8'].sort());
    expect(await runJoin('join', windows, inputs)).toEqual(oracle('join', windows, inputs));
  });
});
