/**
 * The in-memory window backend (Kafka's `InMemoryWindowStore`): window bytes in a
 * {@link TimeKeyedEntries} by key, window start and seqnum. Per-key fetches are a contiguous
 * scan of that key's windows; expired windows are dropped a window start at a time after each
 * write.
 */
import type { WindowBytesBackend, WindowBytesEntry, WindowBytesWrite } from '../store-suppliers.js';
import { InMemoryTimedBackend } from './in-memory-timed-backend.js';

export class InMemoryWindowBackend extends InMemoryTimedBackend implements WindowBytesBackend {
  get(key: Buffer, windowStart: number, seqnum: number): Buffer | undefined {
    return this.entries.get(key.toString('latin1'), windowStart, seqnum);
  }

  fetch(key: Buffer, timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry> {
    const found = this.entries.scanKey(key.toString('latin1'), timeFrom, timeTo);
    return found.map((entry) => ({ key, windowStart: entry.time, seqnum: entry.tiebreak, value: entry.value }))[Symbol.iterator]();
  }

  fetchAll(timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry> {
    return this.entries
      .scanAll(timeFrom, timeTo)
      .map((entry) => ({ key: entry.key, windowStart: entry.time, seqnum: entry.tiebreak, value: entry.value }))
      [Symbol.iterator]();
  }

  putBatch(writes: readonly WindowBytesWrite[]): void {
    const retentionMs = this.retentionMs;
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      const windowStart = write.windowStart;
      if (windowStart > this.observed) this.observed = windowStart;
      if (windowStart <= this.observed - retentionMs) continue;
      const keyId = write.key.toString('latin1');
      if (write.value === null) this.entries.delete(keyId, windowStart, write.seqnum);
      else this.entries.set(write.key, keyId, windowStart, write.seqnum, write.value);
    }
    this.entries.removeUpTo(this.observed - retentionMs);
  }
}
