/**
 * The change-logging layers alone, over fake backends that record what reaches them: every write
 * goes to the backend and then to the changelog, in Kafka's key and value formats, whatever the
 * backend keeps of it; reads pass straight through.
 */
import { describe, expect, it } from 'vitest';
import type { BytesEntry, BytesWrite, KeyValueBytesBackend, SessionBytesBackend, SessionBytesWrite, WindowBytesBackend, WindowBytesEntry, WindowBytesWrite } from '../store-suppliers.js';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import { ChangeLoggingSessionStore } from './change-logging-session-store.js';
import { ChangeLoggingWindowStore } from './change-logging-window-store.js';
import { sessionKey, windowKey } from './key-schemas.js';
import { recordingTimedLayer, StoreTestContext } from './store-test-context.js';

const bytes = (text: string): Buffer => Buffer.from(text);

/** Timestamped layout: an int64 timestamp, then the value. */
function timestamped(timestamp: number, value: string): Buffer {
  const stored = Buffer.alloc(8 + value.length);
  stored.writeBigInt64BE(BigInt(timestamp), 0);
  stored.write(value, 8);
  return stored;
}

/** Records the calls made to it in `events`, shared with the context, so order shows. */
class FakeKeyValueBackend implements KeyValueBytesBackend {
  readonly name = 'kv';
  readonly persistent = false;
  constructor(private readonly events: string[]) {}
  open(): void {
    this.events.push('open');
  }
  flush(): void {
    this.events.push('flush');
  }
  close(): void {
    this.events.push('close');
  }
  get(key: Buffer): Buffer | undefined {
    return key.toString() === 'held' ? bytes('value') : undefined;
  }
  range(): IterableIterator<BytesEntry> {
    return [{ key: bytes('held'), value: bytes('value') }][Symbol.iterator]();
  }
  put(key: Buffer, value: Buffer | null): void {
    this.events.push(`put ${key.toString()}=${String(value)}`);
  }
  putBatch(writes: readonly BytesWrite[]): void {
    this.events.push(`putBatch ${writes.map((write) => `${write.key.toString()}=${String(write.value)}`).join(',')}`);
  }
  approximateCount(): number {
    return 7;
  }
}

/** A context that also notes each logged change in `events`. */
function recordingContext(events: string[], appConfigs: Record<string, unknown> = {}): StoreTestContext {
  const context = new StoreTestContext(appConfigs);
  const logChange = context.logChange.bind(context);
  context.logChange = (storeName, key, value, timestamp, headers) => {
    events.push(`log ${key.toString('hex')}`);
    logChange(storeName, key, value, timestamp, headers);
  };
  return context;
}

describe('change-logging key-value layer', () => {
  it('writes to the backend, then logs the same key and value at the write timestamp', () => {
    const events: string[] = [];
    const context = recordingContext(events);
    const layer = new ChangeLoggingKeyValueStore(new FakeKeyValueBackend(events), 'kv', false);
    layer.open(context);
    layer.put(bytes('a'), bytes('1'), 10);
    layer.putBatch(
      [
        { key: bytes('b'), value: bytes('2') },
        { key: bytes('a'), value: null },
      ],
      [20, 30],
    );
    layer.flush();
    expect(events).toEqual(['open', 'put a=1', `log ${bytes('a').toString('hex')}`, 'putBatch b=2,a=null', `log ${bytes('b').toString('hex')}`, `log ${bytes('a').toString('hex')}`, 'flush']);
    expect(context.takeChanges().map((change) => [change.storeName, change.key.toString(), change.value?.toString() ?? null, change.timestamp])).toEqual([
      ['kv', 'a', '1', 10],
      ['kv', 'b', '2', 20],
      ['kv', 'a', null, 30],
    ]);
  });

  it('passes reads and counts straight through', () => {
    const layer = new ChangeLoggingKeyValueStore(new FakeKeyValueBackend([]), 'kv', false);
    layer.open(new StoreTestContext());
    expect(layer.get(bytes('held'))?.toString()).toBe('value');
    expect([...layer.range(undefined, undefined)].map((entry) => entry.key.toString())).toEqual(['held']);
    expect(layer.approximateCount()).toBe(7);
    expect(layer.name).toBe('kv');
  });

  it("logs a timestamped store's bare value at the value's own timestamp, and a deletion at the write's", () => {
    const context = new StoreTestContext();
    const layer = new ChangeLoggingKeyValueStore(new FakeKeyValueBackend([]), 'kv', true);
    layer.open(context);
    layer.put(bytes('a'), timestamped(42, 'v'), 99);
    layer.put(bytes('a'), null, 50);
    expect(context.takeChanges().map((change) => [change.value?.toString() ?? null, change.timestamp, change.headers])).toEqual([
      ['v', 42, undefined],
      [null, 50, undefined],
    ]);
  });
});

describe('change-logging window layer', () => {
  it("logs each write under Kafka's window key, whatever the backend keeps of it", () => {
    const handed: WindowBytesWrite[] = [];
    const backend: WindowBytesBackend = {
      name: 'windows',
      persistent: false,
      retentionMs: 100,
      observedTime: 1_000,
      open: () => {},
      flush: () => {},
      close: () => {},
      get: () => undefined,
      fetch: (): IterableIterator<WindowBytesEntry> => [][Symbol.iterator](),
      fetchAll: (): IterableIterator<WindowBytesEntry> => [][Symbol.iterator](),
      // Keeps nothing: as if each window had expired.
      putBatch: (writes) => void handed.push(...writes),
    };
    const context = new StoreTestContext();
    const layer = new ChangeLoggingWindowStore(backend, 'windows', false);
    layer.open(context);
    layer.putBatch(
      [
        { key: bytes('k'), windowStart: 100, seqnum: 0, value: bytes('x') },
        { key: bytes('k'), windowStart: 200, seqnum: 3, value: null },
      ],
      [150, 250],
    );
    expect(handed).toHaveLength(2);
    expect(context.takeChanges().map((change) => [change.key, change.value?.toString() ?? null, change.timestamp])).toEqual([
      [windowKey(bytes('k'), 100, 0), 'x', 150],
      [windowKey(bytes('k'), 200, 3), null, 250],
    ]);
    expect([layer.retentionMs, layer.observedTime]).toEqual([100, 1_000]);
  });
});

describe('change-logging session layer', () => {
  it("logs each write under Kafka's session key (key, end, start)", () => {
    const handed: SessionBytesWrite[] = [];
    const backend: SessionBytesBackend = { ...recordingTimedLayer('sessions', () => {}), putBatch: (writes) => void handed.push(...writes) };
    const context = new StoreTestContext();
    const layer = new ChangeLoggingSessionStore(backend, 'sessions', false);
    layer.open(context);
    layer.putBatch([{ key: bytes('k'), start: 10, end: 20, value: bytes('agg') }], [20]);
    expect(handed).toEqual([{ key: bytes('k'), start: 10, end: 20, value: bytes('agg') }]);
    expect(context.takeChanges().map((change) => [change.key, change.value?.toString(), change.timestamp])).toEqual([[sessionKey(bytes('k'), 10, 20), 'agg', 20]]);
  });
});
