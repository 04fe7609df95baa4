/**
 * The change-logging layer of a session store (Kafka's `ChangeLoggingSessionBytesStore`): each
 * write goes to the backend, then to the changelog under Kafka's session key (key bytes, end,
 * start), whatever the backend keeps of it (a session past retention is logged too).
 */
import type { SessionBytesBackend, SessionBytesEntry, SessionBytesWrite } from '../store-suppliers.js';
import type { SessionBytesLayer } from './bytes-layers.js';
import { ChangeLoggingStore } from './change-logging-store.js';
import { sessionKey } from './key-schemas.js';

export class ChangeLoggingSessionStore extends ChangeLoggingStore<SessionBytesBackend> implements SessionBytesLayer {
  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  get observedTime(): number {
    return this.inner.observedTime;
  }

  get(key: Buffer, start: number, end: number): Buffer | undefined {
    return this.inner.get(key, start, end);
  }

  findSessions(key: Buffer, earliestSessionEnd: number, latestSessionStart: number): IterableIterator<SessionBytesEntry> {
    return this.inner.findSessions(key, earliestSessionEnd, latestSessionStart);
  }

  putBatch(writes: readonly SessionBytesWrite[], timestamps: readonly number[]): void {
    this.inner.putBatch(writes);
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      this.log(sessionKey(write.key, write.start, write.end), write.value, timestamps[index]!);
    }
  }
}
