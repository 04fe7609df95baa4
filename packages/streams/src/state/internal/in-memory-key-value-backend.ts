/**
 * The in-memory key-value backend: bytes in a Map keyed by the key's latin1 string (whose code
 * units are the bytes, so string order is unsigned byte order), with a sorted key array built
 * lazily for ranges. Gets and puts are O(1); a range after writes re-sorts once, and TimSort
 * merges the already-sorted keys with the few new ones in close to linear time.
 */
import type { BytesEntry, BytesWrite, KeyValueBytesBackend } from '../store-suppliers.js';
import type { StateStoreContext } from '../state-store.js';

export class InMemoryKeyValueBackend implements KeyValueBytesBackend {
  readonly persistent = false;
  private entries = new Map<string, BytesEntry>();
  /** Keys in byte order; may hold stale (deleted) keys until the next rebuild. */
  private sortedKeys: string[] = [];
  /** Keys added since the sorted array was last rebuilt. */
  private addedKeys: string[] = [];
  private removedCount = 0;
  /** Set when the incremental bookkeeping outgrew the data (many writes, no range): sort from scratch. */
  private rebuildAll = false;

  constructor(readonly name: string) {}

  open(_context: StateStoreContext): void {}

  flush(): void {}

  close(): void {
    this.entries = new Map();
    this.sortedKeys = [];
    this.addedKeys = [];
    this.removedCount = 0;
    this.rebuildAll = false;
  }

  get(key: Buffer): Buffer | undefined {
    return this.entries.get(key.toString('latin1'))?.value;
  }

  put(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    if (value === null) {
      if (this.entries.delete(id)) this.removedCount++;
      return;
    }
    if (!this.rebuildAll && !this.entries.has(id)) {
      this.addedKeys.push(id);
      // Delete-and-reinsert cycles with no range in between would otherwise grow the list forever.
      if (this.addedKeys.length > 1024 && this.addedKeys.length > this.entries.size) {
        this.rebuildAll = true;
        this.addedKeys = [];
        this.sortedKeys = [];
      }
    }
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
    const keys = this.sorted();
    let index = lower === undefined ? 0 : lowerBound(keys, lower);
    for (; index < keys.length; index++) {
      const id = keys[index]!;
      if (upper !== undefined && id > upper) return;
      const entry = this.entries.get(id);
      if (entry !== undefined) yield entry;
    }
  }

  private sorted(): string[] {
    if (this.rebuildAll) {
      this.sortedKeys = [...this.entries.keys()].sort();
      this.rebuildAll = false;
      this.removedCount = 0;
      return this.sortedKeys;
    }
    if (this.addedKeys.length === 0 && this.removedCount === 0) return this.sortedKeys;
    const merged = this.sortedKeys.concat(this.addedKeys);
    merged.sort();
    // Drop deleted keys and the duplicates a delete-then-reinsert leaves.
    let kept = 0;
    for (let index = 0; index < merged.length; index++) {
      const id = merged[index]!;
      if ((kept > 0 && merged[kept - 1] === id) || !this.entries.has(id)) continue;
      merged[kept++] = id;
    }
    merged.length = kept;
    this.sortedKeys = merged;
    this.addedKeys = [];
    this.removedCount = 0;
    return merged;
  }
}

/** The first index whose key is `>= target`. */
function lowerBound(keys: readonly string[], target: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
