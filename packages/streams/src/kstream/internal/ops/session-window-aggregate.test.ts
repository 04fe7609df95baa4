/**
 * Session-window aggregations (Kafka's `KStreamSessionWindowAggregate`): merging sessions, the close
 * time, sessions the store has expired but the cache still holds; a property test compares final
 * sessions, downstream updates and late drops with a brute-force oracle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumed, Materialized, Produced, Serdes, SessionWindows, silentLogger, StreamsBuilder, WindowedSerdes } from '../../../index.js';
import type { KStream, SessionStore } from '../../../index.js';
import { builderOptions, numbers, numberTopology, openDriver, openQuietDriver, propertyRuns } from '#test-kit';
import { pipeNumbers, recordsArbitrary, sortedEntries } from './stateful-test-kit.js';

describe('session-window aggregations', () => {
  it('merges sessions when a record falls within the gap of two (gap 5 minutes: 0, 3, 10, then 7)', async () => {
    const minute = 60_000;
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', numbers) as KStream<string, number>)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(5 * minute, 60 * minute))
      .count(Materialized.as('sessions'))
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    pipeNumbers(driver, [['u', 1, 0], ['u', 1, 3 * minute], ['u', 1, 10 * minute]]);
    const store = driver.getStateStore<SessionStore<string, number>>('sessions');
    const sessions = () => [...store.fetch('u')].map(({ key, value }) => [key.window.start / minute, key.window.end / minute, value]);
    expect(sessions()).toEqual([[0, 3, 2], [10, 10, 1]]);
    pipeNumbers(driver, [['u', 1, 7 * minute]]);
    expect(sessions()).toEqual([[0, 10, 4]]);
    const out = driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()).readKeyValuesToList();
    const shown = out.map(({ key, value }) => `${key!.window.start / minute}-${key!.window.end / minute}:${value}`);
    // The merge deletes both old sessions (tombstones) and writes the merged one.
    expect(shown).toEqual(['0-0:1', '0-0:null', '0-3:2', '10-10:1', '0-3:null', '10-10:null', '0-10:4']);
  });

  it('lets a record inside the session close time start a session beside one its store no longer shows (gap 10, no grace)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    (builder.stream('in', numbers) as KStream<string, number>)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
      .count({ storeName: 'sessions', cachingEnabled: false })
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64()));
    const driver = await openQuietDriver(builder.build());
    const out = driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Float64());
    const read = () => out.readKeyValuesToList().map(({ key, value }) => `${key!.key}@${key!.window.start}-${key!.window.end}=${value}`);
    pipeNumbers(driver, [['u', 1, 80], ['u', 1, 88], ['v', 1, 97]]);
    expect(read()).toEqual(['u@80-80=1', 'u@80-80=null', 'u@80-88=2', 'v@97-97=1']);
    // Close time 97 - 0 - 10 = 87: u at 90 is not late (under stream time - grace, 97, it was),
    // and it merges with [80, 88], which the store still shows (88 > 97 - retention 10).
    pipeNumbers(driver, [['u', 1, 90]]);
    expect(read()).toEqual(['u@80-88=null', 'u@80-90=3']);
    // Stream time 101: the store hides sessions that ended at or before 101 - 10 = 91, so u at
    // 92 (within the gap of [80, 90]) starts a session of its own beside it.
    pipeNumbers(driver, [['w', 1, 101], ['u', 1, 92]]);
    expect(read()).toEqual(['w@101-101=1', 'u@92-92=1']);
    // u at 70 would end before the close time, 91: late.
    pipeNumbers(driver, [['u', 1, 70]]);
    expect(read()).toEqual([]);
    expect(driver.droppedRecords().get('late-record')).toBe(1);
  });

  it('with caching, merges a record with a session its store has expired but its cache still holds, as Kafka does (gap 30, grace 14)', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(30, 14))
      .aggregate(
        () => '',
        (_key, value, aggregate) => `${aggregate}|${value}`,
        (_key, left, right) => `${left}&${right}`,
        { ...Materialized.with(Serdes.String(), Serdes.String()), storeName: 'sessions' },
      )
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.String()));
    const driver = await openQuietDriver(builder.build(), { cacheMaxBytes: 10 * 1024 * 1024 });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.String());
    input.pipeInput('b', '74', 87);
    input.pipeInput('b', '81', 131);
    // Close time 131 - 14 - 30 = 87, retention 44: [87, 87] has expired in the store (87 <= 131 -
    // 44) but is still in the cache, which Kafka's caching session store reads without retention.
    // So b at 106 merges both sessions; the removal of [87, 87] reports nothing, as the store no
    // longer has it. Kafka Streams 3.9's output for this input.
    input.pipeInput('b', null, 106);
    expect(out.readRecordsToList().map(({ key, value, timestamp }) => `${key!.key}@${key!.window.start}/${key!.window.end}=${value}@${timestamp}`)).toEqual([
      'b@87/87=|74@87',
      'b@131/131=|81@131',
      'b@131/131=null@131',
      'b@87/131=&|74&|81|null@131',
    ]);
    const sessions = driver.getStateStore<SessionStore<string, string>>('sessions');
    expect([...sessions.fetch('b')].map(({ key, value }) => `${key.window.start}/${key.window.end}=${value}`)).toEqual(['87/131=&|74&|81|null']);
  });
});

describe.each([true, false])('session-window aggregations match a brute-force oracle (caching: %s)', (caching) => {
  // Kafka's session rules (KStreamSessionWindowAggregate and its session store): a session closes
  // at stream time - grace - gap, not stream time - grace; and the store's look-up skips sessions
  // that ended at or before its observed time - retention, so with the default retention (gap +
  // grace) a record can start a new session beside an expired one instead of merging with it.
  it.each([
    ['kept long', 1_000_000],
    ['kept for gap + grace, the default', undefined],
  ])('session windows: final sessions and late drops (sessions %s)', async (_kept, retentionMs) => {
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 60 }), async (inputs, gap, grace) => {
        const driver = await openDriver(
          numberTopology((stream) =>
            stream
              .groupByKey()
              .windowedBy(SessionWindows.ofInactivityGapAndGrace(gap, grace))
              .aggregate(() => 0, (_key, value, sum) => sum + value, (_key, left, right) => left + right, { storeName: 'sessions', ...(retentionMs === undefined ? {} : { retentionMs }), valueSerde: Serdes.Int32(), cachingEnabled: caching })
              .toStream()
              .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Int32())),
          ),
          { logger: silentLogger },
        );
        try {
          pipeNumbers(driver, inputs);
          // Oracle: sessions as plain lists; a record merges every session within the gap that the
          // store still shows (ended after its observed time, the latest session end, minus retention).
          // With caching, as in Kafka's caching session store, the store shows every session written
          // through its cache, expired or not (nothing is evicted here): retention hides none.
          // Downstream, merged-away sessions are deleted (null) and the rest, expired or not, hold
          // their final value; but a cached session the store had expired is removed silently, as
          // Kafka's cache flush finds no stored session to delete.
          const storeRetention = retentionMs ?? gap + grace;
          const retention = caching ? Number.POSITIVE_INFINITY : storeRetention;
          const sessions = new Map<string, { start: number; end: number; sum: number }[]>();
          const forwarded = new Map<string, number>();
          let streamTime = -1;
          let storeTime = Number.NEGATIVE_INFINITY;
          let late = 0;
          for (const [key, value, timestamp] of inputs) {
            streamTime = Math.max(streamTime, timestamp);
            const list = sessions.get(key!) ?? [];
            const touching = list.filter((session) => session.end > storeTime - retention && session.end >= timestamp - gap && session.start <= timestamp + gap);
            const merged = { start: Math.min(timestamp, ...touching.map((s) => s.start)), end: Math.max(timestamp, ...touching.map((s) => s.end)), sum: value! + touching.reduce((total, s) => total + s.sum, 0) };
            if (merged.end < streamTime - grace - gap) {
              late++;
              continue;
            }
            sessions.set(key!, [...list.filter((session) => !touching.includes(session)), merged]);
            for (const session of touching) if (session.end > storeTime - storeRetention) forwarded.delete(`${key}@${session.start}-${session.end}`);
            forwarded.set(`${key}@${merged.start}-${merged.end}`, merged.sum);
            storeTime = Math.max(storeTime, merged.end);
          }
          const stored = new Map<string, number>();
          for (const [key, list] of sessions) {
            for (const session of list) if (session.end > storeTime - retention) stored.set(`${key}@${session.start}-${session.end}`, session.sum);
          }
          const store = driver.getStateStore<SessionStore<string, number>>('sessions');
          const actual = new Map<string, number>();
          for (const key of ['a', 'b', 'c']) for (const { key: session, value } of store.fetch(key)) actual.set(`${key}@${session.window.start}-${session.window.end}`, value);
          expect(sortedEntries(actual)).toEqual(sortedEntries(stored));
          const downstream = new Map<string, number>();
          for (const { key, value } of driver.createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String()), Serdes.Int32()).readKeyValuesToList()) {
            const id = `${key!.key}@${key!.window.start}-${key!.window.end}`;
            if (value === null) downstream.delete(id);
            else downstream.set(id, value);
          }
          expect(sortedEntries(downstream)).toEqual(sortedEntries(forwarded));
          expect(driver.droppedRecords().get('late-record') ?? 0).toBe(late);
        } finally {
          driver.close();
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});
