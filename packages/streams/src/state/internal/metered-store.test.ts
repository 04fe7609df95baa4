/**
 * The metered layers alone, over fake layers below: they serialize, give each write its
 * timestamp, time each operation under Kafka's metric names once asked to, and restore straight
 * into the backend (past the change-logging layer) in batches.
 */
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../serde/serdes.js';
import type { BytesEntry, BytesWrite, ChangelogRecord, KeyValueBytesBackend, WindowBytesWrite } from '../store-suppliers.js';
import type { KeyValueBytesLayer, WindowBytesLayer } from './bytes-layers.js';
import { windowKey } from './key-schemas.js';
import { MeteredKeyValueStore } from './metered-key-value-store.js';
import { MeteredWindowStore } from './metered-window-store.js';
import { ObservedTime } from './observed-time.js';
import { recordingTimedLayer, StoreTestContext } from './store-test-context.js';

const bytes = (text: string): Buffer => Buffer.from(text);

/** A key-value layer over a Map (shared, as a change-logging layer reads its backend's) that records every write with its timestamp. */
class RecordingKeyValueLayer implements KeyValueBytesLayer, KeyValueBytesBackend {
  readonly persistent = false;
  readonly writes: string[] = [];
  readonly batchSizes: number[] = [];
  constructor(
    readonly name: string,
    readonly entries = new Map<string, Buffer>(),
  ) {}
  open(): void {}
  flush(): void {
    this.writes.push('flush');
  }
  close(): void {}
  get(key: Buffer): Buffer | undefined {
    return this.entries.get(key.toString());
  }
  *range(): IterableIterator<BytesEntry> {
    for (const id of [...this.entries.keys()].sort()) yield { key: bytes(id), value: this.entries.get(id)! };
  }
  put(key: Buffer, value: Buffer | null, timestamp?: number): void {
    this.writes.push(`${key.toString()}=${value?.toString() ?? 'null'}@${String(timestamp)}`);
    if (value === null) this.entries.delete(key.toString());
    else this.entries.set(key.toString(), value);
  }
  putBatch(writes: readonly BytesWrite[]): void {
    this.batchSizes.push(writes.length);
    for (const write of writes) this.put(write.key, write.value);
  }
  approximateCount(): number {
    return this.entries.size;
  }
}

function openKeyValueStore(): { store: MeteredKeyValueStore<string, string>; backend: RecordingKeyValueLayer; below: RecordingKeyValueLayer; context: StoreTestContext } {
  const backend = new RecordingKeyValueLayer('kv');
  const below = new RecordingKeyValueLayer('kv', backend.entries);
  const store = new MeteredKeyValueStore<string, string>(backend, below, undefined, { name: 'kv', keySerde: Serdes.String(), valueSerde: Serdes.String(), timestamped: false });
  const context = new StoreTestContext();
  return { store, backend, below, context };
}

describe('metered key-value layer', () => {
  it("serializes each write for the layer below, at the record's timestamp (the stream time outside a record)", () => {
    const { store, below, context } = openKeyValueStore();
    store.init(context);
    context.streamTimeMs = 40;
    store.put('a', '1');
    let recordTimestamp: number | undefined = 25;
    Object.assign(context, { currentRecordTimestampMs: () => recordTimestamp });
    store.put('b', '2');
    recordTimestamp = undefined;
    expect(store.delete('a')).toBe('1');
    expect(below.writes).toEqual(['a=1@40', 'b=2@25', 'a=null@40']);
    expect(store.get('b')).toBe('2');
    expect([...store.all()]).toEqual([{ key: 'b', value: '2' }]);
  });

  it("times each operation under Kafka's metric name once its metrics are recorded, each call once", () => {
    const { store, context } = openKeyValueStore();
    const sensors = store.recordMetrics();
    store.init(context);
    store.put('a', '1');
    store.get('a');
    store.delete('a');
    store.putIfAbsent('b', '2');
    store.putAll([{ key: 'c', value: '3' }]);
    store.range('a', 'z');
    store.all();
    store.flush();
    store.restore([{ key: bytes('d'), value: bytes('4') }]);
    const counts = Object.fromEntries([...sensors.operations].map(([operation, stat]) => [operation, stat.total]));
    expect(counts).toEqual({ put: 1, get: 1, delete: 1, 'put-if-absent': 1, 'put-all': 1, range: 1, all: 1, flush: 1, restore: 1 });
    expect(sensors.storeType).toBe('in-memory');
    expect(sensors.hitRatio).toBeUndefined();
  });

  it('restores into the backend directly, past the layer below (nothing is logged again), in batches of 4096', () => {
    const { store, backend, below, context } = openKeyValueStore();
    store.init(context);
    const records: ChangelogRecord[] = Array.from({ length: 5000 }, (_unused, index) => ({ key: bytes(`k${index}`), value: bytes(String(index)) }));
    store.restore(records);
    expect(backend.batchSizes).toEqual([4096, 904]);
    expect(below.writes).toEqual([]);
    expect(store.changelogValue(bytes('k7'))).toEqual({ value: bytes('7'), timestamp: undefined, bareValue: false });
  });
});

describe('metered window layer', () => {
  it('counts a put to an expired window as dropped and still hands it down, to be logged', () => {
    const handed: { writes: readonly WindowBytesWrite[]; timestamps: readonly number[] }[] = [];
    const below: WindowBytesLayer = recordingTimedLayer('windows', (writes, timestamps) => void handed.push({ writes, timestamps: [...timestamps] }));
    const backend = { ...below, putBatch: () => {} };
    const store = new MeteredWindowStore<string, string>(backend, below, undefined, new ObservedTime(100), {
      name: 'windows',
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      timestamped: false,
      windowSizeMs: 10,
      retainDuplicates: false,
    });
    const context = new StoreTestContext();
    store.init(context);
    context.streamTimeMs = 500;
    store.put('k', 'new', 500);
    store.put('k', 'old', 300);
    expect(context.dropped).toBe(1);
    expect(handed.map((batch) => [batch.writes[0]!.windowStart, batch.timestamps])).toEqual([
      [500, [500]],
      [300, [500]],
    ]);
    expect(store.fetch('k', 300)).toBeUndefined();
    expect(store.changelogValue(windowKey(bytes('k'), 500, 0))).toBeUndefined();
  });
});
