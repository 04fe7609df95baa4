/**
 * A key-value backend written by a user (as docs/state-stores.md shows), plugged into the DSL with
 * `Materialized.as(supplier)`: it gets the same three layers as the built-in ones. The caching
 * layer keeps an aggregation's updates until the commit and writes them in one batch, the
 * change-logging layer logs them in Kafka's format, and the metered layer times the store.
 */
import { describe, expect, it } from 'vitest';
import { openQuietDriver, strings } from '#test-kit';
import { Materialized } from '../kstream/materialized.js';
import { Produced } from '../kstream/produced.js';
import { StreamsBuilder } from '../kstream/streams-builder.js';
import { findMetrics } from '../metrics/metrics.js';
import { Serdes } from '../serde/serdes.js';
import type { Topology } from '../processor/topology.js';
import type { StateStoreContext } from './state-store.js';
import type { BytesEntry, BytesWrite, KeyValueBytesBackend, KeyValueBytesStoreSupplier } from './store-suppliers.js';

/** Bytes in a Map, ranges by sorting its keys: all a backend has to do. It records what it is asked. */
class SortedMapBackend implements KeyValueBytesBackend {
  readonly persistent = false;
  readonly calls: string[] = [];
  private readonly entries = new Map<string, Buffer>();

  constructor(readonly name: string) {}

  open(_context: StateStoreContext): void {}

  flush(): void {}

  close(): void {
    this.entries.clear();
  }

  get(key: Buffer): Buffer | undefined {
    return this.entries.get(key.toString('latin1'));
  }

  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<BytesEntry> {
    for (const id of [...this.entries.keys()].sort()) {
      const key = Buffer.from(id, 'latin1');
      if ((from === undefined || Buffer.compare(key, from) >= 0) && (to === undefined || Buffer.compare(key, to) <= 0)) yield { key, value: this.entries.get(id)! };
    }
  }

  put(key: Buffer, value: Buffer | null): void {
    this.calls.push(`put ${key.toString()}`);
    this.write(key, value);
  }

  putBatch(writes: readonly BytesWrite[]): void {
    this.calls.push(`putBatch ${writes.map((write) => write.key.toString()).join(',')}`);
    for (const write of writes) this.write(write.key, write.value);
  }

  approximateCount(): number {
    return this.entries.size;
  }

  private write(key: Buffer, value: Buffer | null): void {
    if (value === null) this.entries.delete(key.toString('latin1'));
    else this.entries.set(key.toString('latin1'), value);
  }
}

function sortedMapSupplier(name: string, made: SortedMapBackend[]): KeyValueBytesStoreSupplier {
  return {
    kind: 'key-value',
    name,
    get: () => {
      // A backend may call itself anything: the store, and so its changelog, is named by the supplier.
      const backend = new SortedMapBackend('sorted-map');
      made.push(backend);
      return backend;
    },
  };
}

describe('a backend of your own', () => {
  const counting = (made: SortedMapBackend[], cachingEnabled: boolean): Topology => {
    const builder = new StreamsBuilder();
    const materialized: Materialized<string, number> = { ...Materialized.as(sortedMapSupplier('counts', made)), cachingEnabled };
    builder.stream('clicks', strings).groupByKey().count(materialized).toStream().mapValues(String).to('counts', Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  };

  it('gets the caching, change-logging and metered layers through the DSL', async () => {
    const made: SortedMapBackend[] = [];
    const driver = await openQuietDriver(counting(made, true), { metricsRecordingLevel: 'DEBUG' });
    const clicks = driver.createInputTopic('clicks', Serdes.String(), Serdes.String());
    clicks.pipeInput('a', 'x', 10);
    clicks.pipeInput('b', 'x', 20);
    clicks.pipeInput('a', 'x', 30);

    // Caching: the count's updates reach the backend only at each commit, in one batch.
    const backend = made[0]!;
    expect(backend.calls).toEqual(['putBatch a', 'putBatch b', 'putBatch a']);
    expect(driver.createOutputTopic('counts', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '1' },
      { key: 'a', value: '2' },
    ]);
    // Change-logging: Kafka's timestamped format, the bare count at its record's timestamp.
    const changelog = driver.createOutputTopic('test-counts-changelog', Serdes.String(), Serdes.Int64()).readRecordsToList();
    expect(changelog.map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['a', 1n, 10],
      ['b', 1n, 20],
      ['a', 2n, 30],
    ]);
    // Metered: the store's operations and its cache, as for the built-in stores.
    const tags = { 'task-id': '0_0', 'in-memory-state-id': 'counts' };
    const metric = (name: string): number | undefined => findMetrics(driver.metrics(), 'stream-state-metrics', name, tags)[0]?.value;
    expect(metric('put-total')).toBe(3);
    expect(metric('get-total')).toBe(3);
    expect(metric('flush-total')).toBeGreaterThanOrEqual(3);
    expect(findMetrics(driver.metrics(), 'stream-record-cache-metrics', 'hit-ratio-avg', { 'task-id': '0_0', 'record-cache-id': 'counts' })).toHaveLength(1);
  });

  it('is written through, write by write, with the cache off', async () => {
    const made: SortedMapBackend[] = [];
    const driver = await openQuietDriver(counting(made, false));
    const clicks = driver.createInputTopic('clicks', Serdes.String(), Serdes.String());
    clicks.pipeInput('a', 'x', 10);
    clicks.pipeInput('a', 'x', 20);
    expect(made[0]!.calls).toEqual(['put a', 'put a']);
    const changelog = driver.createOutputTopic('test-counts-changelog', Serdes.String(), Serdes.Int64()).readRecordsToList();
    expect(changelog.map((record) => [record.key, record.value, record.timestamp])).toEqual([
      ['a', 1n, 10],
      ['a', 2n, 20],
    ]);
  });
});
