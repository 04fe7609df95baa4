/**
 * The change-logging layer of a window store (Kafka's `ChangeLoggingWindowBytesStore`): each
 * write goes to the backend, then to the changelog under Kafka's window key (key bytes, window
 * start, seqnum). Every write is logged, whatever the backend keeps of it: a write to a window
 * its retention already dropped, and, in a store retaining duplicates, a null (which names a
 * seqnum of its own, so deletes nothing).
 */
import type { WindowBytesBackend, WindowBytesEntry, WindowBytesWrite } from '../store-suppliers.js';
import type { WindowBytesLayer } from './bytes-layers.js';
import { ChangeLoggingStore } from './change-logging-store.js';
import { windowKey } from './key-schemas.js';

export class ChangeLoggingWindowStore extends ChangeLoggingStore<WindowBytesBackend> implements WindowBytesLayer {
  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  get observedTime(): number {
    return this.inner.observedTime;
  }

  get(key: Buffer, windowStart: number, seqnum: number): Buffer | undefined {
    return this.inner.get(key, windowStart, seqnum);
  }

  fetch(key: Buffer, timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry> {
    return this.inner.fetch(key, timeFrom, timeTo);
  }

  fetchAll(timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry> {
    return this.inner.fetchAll(timeFrom, timeTo);
  }

  putBatch(writes: readonly WindowBytesWrite[], timestamps: readonly number[]): void {
    this.inner.putBatch(writes);
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      this.log(windowKey(write.key, write.windowStart, write.seqnum), write.value, timestamps[index]!);
    }
  }
}
