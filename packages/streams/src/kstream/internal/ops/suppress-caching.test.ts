/**
 * Suppression behind a caching aggregation, where the test driver cannot look: a task processes
 * several records before one commit, and the cache hands suppress its updates at the commit.
 * One final result per window must still come out, whatever the cache held.
 */
import { describe, expect, it } from 'vitest';
import { Consumed, Serdes, StreamsBuilder, Suppressed, TimeWindows, WindowedSerdes, silentLogger } from '../../../index.js';
import { Headers } from '../../../processor/headers.js';
import type { LocalRunner } from '../../../processor/internal/local-runner.js';
import { builderOptions, openRunner } from '#test-kit';

const windowedKeys = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 10);

function process(runner: LocalRunner, records: ReadonlyArray<readonly [string, number]>, offsets: { next: number }): void {
  const task = runner.tasks.find((candidate) => candidate.sourceTopics.includes('clicks'))!;
  const headers = new Headers();
  for (const [key, timestamp] of records) {
    task.addRecord('clicks', { topic: 'clicks', partition: 0, offset: offsets.next++, timestamp, key: Buffer.from(key), value: Buffer.from('x'), headers });
  }
  task.process();
}

describe('suppress(untilWindowCloses) behind a cached windowed count', () => {
  it('emits one final result per window when a later update of another window flushes in the same commit', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder
      .stream('clicks', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
      .count({ storeName: 'counts', cachingEnabled: true })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('finals', { keySerde: windowedKeys, valueSerde: Serdes.Float64() });
    const runner = await openRunner(builder.build(), { applicationId: 'suppress-caching', logger: silentLogger });
    const offsets = { next: 0 };

    process(runner, [['c', 1]], offsets);
    runner.commit(); // suppress now holds c@[0,10) = 1
    // d@[10,20) becomes dirty first; c@[0,10) is updated (still within grace); then d's window is
    // written again by the record that closes c's window. Flushed in first-dirty order, or judged
    // by the task's stream time, suppress would emit c's held 1 and then c's 2.
    process(runner, [['d', 11], ['c', 3], ['d', 16]], offsets);
    runner.commit();

    const finals = (runner.topics.get('finals') ?? []).map((record) => {
      const key = windowedKeys.deserialize('finals', record.key!, record.headers);
      return [key.key, key.window.start, Serdes.Float64().deserialize('finals', record.value!, record.headers)];
    });
    expect(finals).toEqual([['c', 0, 2]]);
    expect(runner.droppedRecords().get('production-error')).toBeUndefined();
  });
});
