/**
 * `new StreamsBuilder({ dslStoreSuppliers })`: every store the DSL creates without a supplier in
 * `Materialized` comes from the builder's suppliers, and a supplier in `Materialized` still wins.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/streams-error.js';
import { BufferConfig, Consumed, JoinWindows, Materialized, Serdes, SessionWindows, StreamsBuilder, Suppressed, TimeWindows } from '../index.js';
import type { DslStoreSuppliers } from './dsl-store-suppliers.js';
import { Stores } from './stores.js';

function recordingSuppliers(): { suppliers: DslStoreSuppliers; made: string[] } {
  const made: string[] = [];
  const memory = Stores.inMemoryDslStoreSuppliers();
  return {
    made,
    suppliers: {
      keyValueStore: (name, params) => (made.push(`key-value ${name}${params?.orderedScans === true ? ' (ordered scans)' : ''}`), memory.keyValueStore(name)),
      windowStore: (name, retentionMs, windowSizeMs, retainDuplicates) => (
        made.push(`window ${name}${retainDuplicates ? ' (duplicates)' : ''}`), memory.windowStore(name, retentionMs, windowSizeMs, retainDuplicates)
      ),
      sessionStore: (name, retentionMs) => (made.push(`session ${name}`), memory.sessionStore(name, retentionMs)),
    },
  };
}

describe('DslStoreSuppliers', () => {
  it('supplies every store the DSL creates, unless Materialized names a supplier', () => {
    const { suppliers, made } = recordingSuppliers();
    const builder = new StreamsBuilder({ dslStoreSuppliers: suppliers });
    const consumed = Consumed.with(Serdes.String(), Serdes.String());
    const clicks = builder.stream('clicks', consumed);
    const grouped = clicks.groupByKey();
    grouped.count(Materialized.as('counts'));
    grouped.count(Materialized.as(Stores.inMemoryKeyValueStore('given')));
    grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count(Materialized.as('windowed'));
    grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count(Materialized.as('sessions'));
    builder.table('users', consumed, Materialized.as('users'));
    clicks.join(builder.stream('views', consumed), (left, right) => left + right, JoinWindows.ofTimeDifferenceWithNoGrace(5));
    builder.build();
    expect(made.filter((entry) => !entry.includes('KSTREAM-JOIN'))).toEqual(['key-value counts', 'window windowed', 'session sessions', 'key-value users']);
    expect(made.filter((entry) => entry.includes('KSTREAM-JOIN'))).toEqual([
      expect.stringMatching(/^window KSTREAM-JOINTHIS-\d{10}-store \(duplicates\)$/),
      expect.stringMatching(/^window KSTREAM-JOINOTHER-\d{10}-store \(duplicates\)$/),
    ]);
  });

  it('tells the supplier which key-value stores the DSL scans in key order as it processes', () => {
    const { suppliers, made } = recordingSuppliers();
    const builder = new StreamsBuilder({ dslStoreSuppliers: suppliers });
    const consumed = Consumed.with(Serdes.String(), Serdes.String());
    const orders = builder.table('orders', consumed, Materialized.as('orders'));
    const customers = builder.table('customers', consumed, Materialized.as('customers'));
    orders.join(customers, (order) => order, (order, customer) => order + customer);
    builder
      .stream('clicks', consumed)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count(Materialized.as('windowed'))
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()));
    builder.stream('left', consumed).outerJoin(builder.stream('right', consumed), (left, right) => `${left}${right}`, JoinWindows.ofTimeDifferenceWithNoGrace(5));
    builder.build();
    const scanned = made.filter((entry) => entry.endsWith('(ordered scans)'));
    expect(scanned).toEqual([
      expect.stringMatching(/subscription/i),
      expect.stringMatching(/^key-value KTABLE-SUPPRESS-STATE-STORE-\d{10} \(ordered scans\)$/),
      expect.stringMatching(/^key-value .*outer.*\(ordered scans\)$/i),
    ]);
    expect(made.filter((entry) => entry.startsWith('key-value') && !entry.endsWith('(ordered scans)'))).toEqual(expect.arrayContaining(['key-value orders', 'key-value customers']));
  });

  it('defaults to in-memory stores and rejects an option without the three methods, naming it', () => {
    expect(Stores.inMemoryDslStoreSuppliers().windowStore('w', 10, 5, true)).toMatchObject({ kind: 'window', name: 'w', retentionMs: 10, windowSizeMs: 5, retainDuplicates: true });
    expect(() => new StreamsBuilder({ dslStoreSuppliers: {} as DslStoreSuppliers })).toThrow(ConfigError);
    expect(() => new StreamsBuilder({ dslStoreSuppliers: {} as DslStoreSuppliers })).toThrow(/'dslStoreSuppliers'/);
  });
});
