/**
 * The LevelDB key-value backend. Values live in LevelDB and are read with `getSync`; the keys
 * are also held in memory ({@link SortedKeySet}) so that `range` works synchronously and a miss
 * costs no LevelDB read. Writes go to the database's write buffer and reach LevelDB in one batch
 * per flush.
 */
import type { BytesEntry, BytesWrite, ChangelogRecord, KeyValueBytesBackend } from '@tributary/streams';
import type { ResolvedLevelStoreOptions } from '../options.js';
import { keyValueKey } from './key-encoding.js';
import type { LevelDatabase } from './level-database.js';
import { SortedKeySet } from './sorted-key-set.js';
import { LevelBackend, prepareStore, StoreState, type StoreLocation } from './store-state.js';

const dataIdPrefix = '\u0001';

export class KeyValueState extends StoreState {
  readonly keys = new SortedKeySet();

  static async load(database: LevelDatabase): Promise<KeyValueState> {
    const state = new KeyValueState(database);
    for await (const key of database.dataKeys()) state.keys.add(key.toString('latin1', 1));
    return state;
  }

  get(key: Buffer): Buffer | undefined {
    const id = key.toString('latin1');
    if (!this.keys.has(id)) return undefined;
    return this.database.read(keyValueKey(key), dataIdPrefix + id);
  }

  put(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    if (value === null) {
      if (!this.keys.has(id)) return;
      this.keys.delete(id);
    } else {
      this.keys.add(id);
    }
    this.database.write(keyValueKey(key), dataIdPrefix + id, value);
  }

  protected applyChangelog(records: readonly ChangelogRecord[]): void {
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      this.put(record.key, record.value);
    }
  }
}

export function prepareKeyValueStore(context: StoreLocation, store: string, options: ResolvedLevelStoreOptions): Promise<KeyValueState> {
  return prepareStore(context, store, 'key-value:1', options, KeyValueState.load);
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
    return this.state!.keys.size;
  }

  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<BytesEntry> {
    const state = this.state!;
    const ids = state.keys.between(from?.toString('latin1'), to?.toString('latin1'));
    for (const id of ids) {
      const key = Buffer.from(id, 'latin1');
      const value = state.database.read(keyValueKey(key), dataIdPrefix + id);
      if (value !== undefined) yield { key, value };
    }
  }
}
