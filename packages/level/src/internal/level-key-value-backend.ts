/**
 * The LevelDB key-value backend. Values live in LevelDB and are read with `getSync` (LevelDB's
 * bloom filters keep a miss cheap). A bounded in-memory index of the keys ({@link SortedKeySet},
 * at most `indexMaxEntries`) serves `range` synchronously, since classic-level iterators are
 * asynchronous, and answers misses without touching LevelDB while the store is small; a larger
 * store drops it (see index-bound.ts). Writes go to the database's write buffer and reach
 * LevelDB in one batch per flush.
 */
import type { BytesEntry, BytesWrite, ChangelogRecord, KeyValueBytesBackend } from '@tributary/streams';
import type { ResolvedLevelStoreOptions } from '../options.js';
import { indexFullError } from './index-bound.js';
import { keyValueKey } from './key-encoding.js';
import type { LevelDatabase } from './level-database.js';
import { SortedKeySet } from './sorted-key-set.js';
import { LevelBackend, prepareStore, StoreState, type StoreLocation } from './store-state.js';

const dataIdPrefix = '\u0001';

export class KeyValueState extends StoreState {
  /** Every key of the store, or `undefined` once the store outgrew `indexMaxEntries`. */
  keys: SortedKeySet | undefined = new SortedKeySet();
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
      state.keys!.add(key.toString('latin1', 1));
      if (state.keys!.size > indexMaxEntries) {
        state.dropIndex();
        break;
      }
    }
    return state;
  }

  get approximateCount(): number {
    return this.keys === undefined ? this.countEstimate : this.keys.size;
  }

  get(key: Buffer): Buffer | undefined {
    const id = key.toString('latin1');
    if (this.keys !== undefined && !this.keys.has(id)) return undefined;
    return this.database.read(keyValueKey(key), dataIdPrefix + id);
  }

  put(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    const keys = this.keys;
    if (keys === undefined) {
      // Without the index, whether the key exists would cost a read: a delete of a missing key
      // writes a tombstone LevelDB drops at compaction, and the count is an estimate.
      if (value === null) this.countEstimate = Math.max(this.countEstimate - 1, 0);
      else this.countEstimate++;
    } else if (value === null) {
      if (!keys.has(id)) return;
      keys.delete(id);
    } else {
      keys.add(id);
      if (keys.size > this.indexMaxEntries) this.dropIndex();
    }
    this.database.write(keyValueKey(key), dataIdPrefix + id, value);
  }

  /** Keys with `from <= key <= to` in byte order (latin1 strings), from the index. */
  keysBetween(from: Buffer | undefined, to: Buffer | undefined, iteration: string): string[] {
    if (this.keys === undefined) throw indexFullError(this.path, this.indexMaxEntries, iteration);
    return this.keys.between(from?.toString('latin1'), to?.toString('latin1'));
  }

  private dropIndex(): void {
    this.countEstimate = this.keys?.size ?? 0;
    this.keys = undefined;
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
    const value = state.database.read(keyValueKey(key), dataIdPrefix + id);
    if (value !== undefined) yield { key, value };
  }
}
