/**
 * The LevelDB key-value backend. Values live in LevelDB and are read with `getSync` (LevelDB's
 * bloom filters keep a miss cheap). A bounded in-memory index of the keys (a Set, ordered by the
 * engine's `SortedKeyIndex`; at most `indexMaxEntries`) serves `range` synchronously, since classic-level iterators are
 * asynchronous, and answers misses without touching LevelDB while the store is small; a larger
 * store drops it (see index-bound.ts). Writes go to the database's write buffer and reach
 * LevelDB in one batch per flush.
 */
import type { BytesEntry, BytesWrite, ChangelogRecord, KeyValueBytesBackend } from '@tributary/streams';
import type { ResolvedLevelStoreOptions } from '../options.js';
import { indexFullError } from './index-bound.js';
import { keyValueKey } from './key-encoding.js';
import type { LevelDatabase } from './level-database.js';
import { SortedKeyIndex, type StoreLocation } from '@tributary/streams/engine';
import { LevelBackend, prepareStore, StoreState } from './store-state.js';

/** Every key of a store, as latin1 strings, and their byte order. */
class KeyIndex {
  readonly keys = new Set<string>();
  readonly order = new SortedKeyIndex(this.keys);

  add(id: string): void {
    if (this.keys.has(id)) return;
    this.keys.add(id);
    this.order.added(id);
  }

  delete(id: string): void {
    if (this.keys.delete(id)) this.order.removed();
  }
}

export class KeyValueState extends StoreState {
  /** Every key of the store, or `undefined` once the store outgrew `indexMaxEntries`. */
  private index: KeyIndex | undefined = new KeyIndex();
  /** The key count when the index was dropped, then moved by every put and delete: an upper bound. */
  private countEstimate = 0;

  constructor(
    database: LevelDatabase,
    private readonly indexMaxEntries: number,
  ) {
    super(database);
  }

  /** Loads the index from the keys on disk, stopping (and dropping it) at the bound. */
  static async load(database: LevelDatabase, indexMaxEntries: number): Promise<KeyValueState> {
    const state = new KeyValueState(database, indexMaxEntries);
    for await (const key of database.dataKeys(undefined, indexMaxEntries + 1)) {
      state.index!.add(key.toString('latin1', 1));
      if (state.index!.keys.size > indexMaxEntries) {
        state.dropIndex();
        break;
      }
    }
    return state;
  }

  get approximateCount(): number {
    return this.index === undefined ? this.countEstimate : this.index.keys.size;
  }

  get(key: Buffer): Buffer | undefined {
    if (this.index !== undefined && !this.index.keys.has(key.toString('latin1'))) return undefined;
    return this.database.read(keyValueKey(key));
  }

  put(key: Buffer, value: Buffer | null): void {
    const index = this.index;
    if (index === undefined) {
      // Without the index, whether the key exists would cost a read: a delete of a missing key
      // writes a tombstone LevelDB drops at compaction, and the count is an estimate.
      if (value === null) this.countEstimate = Math.max(this.countEstimate - 1, 0);
      else this.countEstimate++;
    } else if (value === null) {
      const id = key.toString('latin1');
      if (!index.keys.has(id)) return;
      index.delete(id);
    } else {
      index.add(key.toString('latin1'));
      if (index.keys.size > this.indexMaxEntries) this.dropIndex();
    }
    this.database.write(keyValueKey(key), value);
  }

  /** Keys with `from <= key <= to` in byte order (latin1 strings), from the index. */
  keysBetween(from: Buffer | undefined, to: Buffer | undefined, iteration: string): string[] {
    if (this.index === undefined) throw indexFullError(this.path, this.indexMaxEntries, iteration);
    return this.index.order.between(from?.toString('latin1'), to?.toString('latin1'));
  }

  private dropIndex(): void {
    this.countEstimate = this.index?.keys.size ?? 0;
    this.index = undefined;
  }

  protected applyChangelog(records: readonly ChangelogRecord[]): void {
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      this.put(record.key, record.value);
    }
  }
}

export function prepareKeyValueStore(context: StoreLocation, store: string, options: ResolvedLevelStoreOptions): Promise<KeyValueState> {
  return prepareStore(context, store, 'key-value:1', options, (database) => KeyValueState.load(database, options.indexMaxEntries));
}

export class LevelKeyValueBackend extends LevelBackend<KeyValueState> implements KeyValueBytesBackend {
  get(key: Buffer): Buffer | undefined {
    return this.state!.get(key);
  }

  put(key: Buffer, value: Buffer | null): void {
    this.state!.put(key, value);
  }

  putBatch(writes: readonly BytesWrite[]): void {
    const state = this.state!;
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      state.put(write.key, write.value);
    }
  }

  approximateCount(): number {
    return this.state!.approximateCount;
  }

  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<BytesEntry> {
    const state = this.state!;
    // Taken before the generator starts, so a dropped index fails the call, not a later `next()`.
    const ids = state.keysBetween(from, to, from === undefined && to === undefined ? 'all()' : 'range()');
    return readEntries(state, ids);
  }
}

function* readEntries(state: KeyValueState, ids: readonly string[]): IterableIterator<BytesEntry> {
  for (const id of ids) {
    const key = Buffer.from(id, 'latin1');
    const value = state.database.read(keyValueKey(key));
    if (value !== undefined) yield { key, value };
  }
}
