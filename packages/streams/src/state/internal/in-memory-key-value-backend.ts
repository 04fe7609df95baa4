/**
 * The in-memory key-value backend: bytes in a Map keyed by the key's latin1 string (whose code
 * units are the bytes, so string order is unsigned byte order), ordered for ranges by a
 * {@link SortedKeyIndex} over the Map's keys. Gets and puts are O(1).
 */
import type { BytesEntry, BytesWrite, KeyValueBytesBackend } from '../store-suppliers.js';
import type { StateStoreContext } from '../state-store.js';
import { SortedKeyIndex } from './sorted-key-index.js';

export class InMemoryKeyValueBackend implements KeyValueBytesBackend {
  readonly persistent = false;
  private readonly entries = new Map<string, BytesEntry>();
  private readonly order = new SortedKeyIndex(this.entries);

  constructor(readonly name: string) {}

  open(_context: StateStoreContext): void {}

  flush(): void {}

  close(): void {
    this.entries.clear();
    this.order.clear();
  }

  get(key: Buffer): Buffer | undefined {
    return this.entries.get(key.toString('latin1'))?.value;
  }

  put(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    if (value === null) {
      if (this.entries.delete(id)) this.order.removed();
      return;
    }
    if (!this.entries.has(id)) this.order.added(id);
    this.entries.set(id, { key, value });
  }

  putBatch(writes: readonly BytesWrite[]): void {
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      this.put(write.key, write.value);
    }
  }

  approximateCount(): number {
    return this.entries.size;
  }

  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<BytesEntry> {
    const lower = from === undefined ? undefined : from.toString('latin1');
    const upper = to === undefined ? undefined : to.toString('latin1');
    if (lower !== undefined && upper !== undefined && lower > upper) return;
    // A snapshot of the order: writes during iteration rebuild a new array, not this one.
    const keys = this.order.sorted();
    let index = lower === undefined ? 0 : SortedKeyIndex.lowerBound(keys, lower);
    for (; index < keys.length; index++) {
      const id = keys[index]!;
      if (upper !== undefined && id > upper) return;
      const entry = this.entries.get(id);
      if (entry !== undefined) yield entry;
    }
  }
}
