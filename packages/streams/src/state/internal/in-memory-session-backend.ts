/**
 * The in-memory session backend (Kafka's `InMemorySessionStore`): session bytes in a
 * {@link TimeKeyedEntries} by key, end and start, so one key's sessions are kept in Kafka's
 * order (end, then start) and `findSessions` is a binary search and a contiguous scan.
 */
import type { SessionBytesBackend, SessionBytesEntry, SessionBytesWrite } from '../store-suppliers.js';
import { InMemoryTimedBackend } from './in-memory-timed-backend.js';

export class InMemorySessionBackend extends InMemoryTimedBackend implements SessionBytesBackend {
  get(key: Buffer, start: number, end: number): Buffer | undefined {
    return this.entries.get(key.toString('latin1'), end, start);
  }

  findSessions(key: Buffer, earliestSessionEnd: number, latestSessionStart: number): IterableIterator<SessionBytesEntry> {
    const found: SessionBytesEntry[] = [];
    for (const entry of this.entries.scanKey(key.toString('latin1'), earliestSessionEnd, Number.POSITIVE_INFINITY)) {
      if (entry.tiebreak <= latestSessionStart) found.push({ key, start: entry.tiebreak, end: entry.time, value: entry.value });
    }
    return found[Symbol.iterator]();
  }

  putBatch(writes: readonly SessionBytesWrite[]): void {
    const retentionMs = this.retentionMs;
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      const keyId = write.key.toString('latin1');
      // Tombstones advance observed time too (as in Kafka): a cached store may log a session's
      // removal without ever logging the put that first reached that time.
      if (write.end > this.observed) this.observed = write.end;
      if (write.value === null) {
        this.entries.delete(keyId, write.end, write.start);
        continue;
      }
      if (write.end <= this.observed - retentionMs) continue;
      this.entries.set(write.key, keyId, write.end, write.start, write.value);
    }
    this.entries.removeUpTo(this.observed - retentionMs);
  }
}
