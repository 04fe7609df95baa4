/**
 * The change-logging layer of a key-value store (Kafka's `ChangeLoggingKeyValueBytesStore`):
 * each write goes to the backend, then to the changelog under the same key bytes.
 */
import type { BytesEntry, BytesWrite, KeyValueBytesBackend } from '../store-suppliers.js';
import type { KeyValueBytesLayer } from './bytes-layers.js';
import { ChangeLoggingStore } from './change-logging-store.js';

export class ChangeLoggingKeyValueStore extends ChangeLoggingStore<KeyValueBytesBackend> implements KeyValueBytesLayer {
  get(key: Buffer): Buffer | undefined {
    return this.inner.get(key);
  }

  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<BytesEntry> {
    return this.inner.range(from, to);
  }

  approximateCount(): number {
    return this.inner.approximateCount();
  }

  put(key: Buffer, value: Buffer | null, timestamp: number): void {
    this.inner.put(key, value);
    this.log(key, value, timestamp);
  }

  putBatch(writes: readonly BytesWrite[], timestamps: readonly number[]): void {
    this.inner.putBatch(writes);
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      this.log(write.key, write.value, timestamps[index]!);
    }
  }
}
