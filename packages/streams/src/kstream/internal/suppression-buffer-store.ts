/**
 * The store behind `KTable.suppress`: encoded buffer entries (`suppress-buffer-encoding.ts`) by
 * serialized table key, over a key-value store from the builder's DSL store suppliers (in memory,
 * or LevelDB). It logs as Kafka Streams' `InMemoryTimeOrderedKeyValueChangeBuffer` does: nothing
 * as writes happen, and at each flush (commit) one record per key written since the last flush,
 * in the order Kafka's `HashSet` of dirty keys iterates (`java-hash-set-order.ts`): the entry, with
 * the header `v` = 3 and no timestamp, or a tombstone for a key no longer buffered. A restore
 * (and a persistent store's handle) takes the changelog's values as they are.
 */
import type { KeyValue, KeyValueStore } from '../../state/key-value-store.js';
import type { StateStore, StateStoreContext, StoreBuilder } from '../../state/state-store.js';
import type { ChangelogRecord, ChangelogValue, RestorableStateStore } from '../../state/store-suppliers.js';
import { JavaHashSetOrder } from './java-hash-set-order.js';
import { bufferChangelogHeaders } from './suppress-buffer-encoding.js';

type InnerStore = KeyValueStore<Buffer, Buffer> & RestorableStateStore;

export class SuppressionBufferStore implements StateStore, RestorableStateStore {
  private context: StateStoreContext | undefined;
  private readonly dirty = new JavaHashSetOrder();

  constructor(private readonly inner: InnerStore) {}

  get name(): string {
    return this.inner.name;
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  init(context: StateStoreContext): void {
    // The inner store logs nothing itself: this store logs at flush, in Kafka's order and format.
    const quiet: StateStoreContext = Object.create(context, { logChange: { value: () => {} } });
    this.inner.init(quiet);
    this.context = context;
    this.dirty.clear();
  }

  /** Buffers (or replaces) the entry of serialized key `key`. */
  put(key: Buffer, entry: Buffer): void {
    this.inner.put(key, entry);
    this.dirty.add(key.toString('latin1'), key);
  }

  /** Drops the entry of `key` (emitted or evicted). */
  delete(key: Buffer): void {
    this.inner.delete(key);
    this.dirty.add(key.toString('latin1'), key);
  }

  all(): IterableIterator<KeyValue<Buffer, Buffer>> {
    return this.inner.all();
  }

  flush(): void {
    this.inner.flush();
    if (this.dirty.size === 0) return;
    const context = this.context!;
    for (const key of this.dirty.ordered()) {
      const entry = this.inner.get(key);
      if (entry === undefined) context.logChange(this.name, key, null, undefined);
      else context.logChange(this.name, key, entry, undefined, bufferChangelogHeaders);
    }
    this.dirty.clear();
  }

  close(): void {
    this.dirty.clear();
    this.inner.close();
  }

  restore(records: Iterable<ChangelogRecord>): void {
    this.inner.restore(records);
  }

  changelogValue(changelogKey: Buffer): ChangelogValue | undefined {
    return this.inner.changelogValue(changelogKey);
  }
}

/** Builds a {@link SuppressionBufferStore} over the stores `inner` builds (uncached, its changelog settings the buffer's). */
export function suppressionBufferStoreBuilder(inner: StoreBuilder<KeyValueStore<Buffer, Buffer>>): StoreBuilder<SuppressionBufferStore> {
  return {
    get name() {
      return inner.name;
    },
    get changelog() {
      return inner.changelog;
    },
    // Drivers find stores that open asynchronously (LevelDB) by their supplier.
    get supplier() {
      return inner.supplier;
    },
    build(): SuppressionBufferStore {
      return new SuppressionBufferStore(inner.build() as InnerStore);
    },
  };
}
