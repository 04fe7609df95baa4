/**
 * A `StateStoreContext` for store unit tests: records changelog writes and dropped records, and
 * lets a test set the stream time. Not exported from the package.
 */
import { silentLogger } from '../../logger.js';
import type { StateStoreContext } from '../state-store.js';
import { Headers, type Header } from '../../processor/headers.js';
import type { ChangelogRecord, SessionBytesEntry, SessionBytesWrite, WindowBytesEntry, WindowBytesWrite } from '../store-suppliers.js';
import type { SessionBytesLayer, WindowBytesLayer } from './bytes-layers.js';
import { BARE_VALUE_HEADER } from './timestamped-changelog.js';

/** A logged change: a changelog record (restorable as it is) with its store and headers. */
export interface LoggedChange extends ChangelogRecord {
  readonly storeName: string;
  /** `undefined` for a record logged without a timestamp (a suppression buffer's). */
  readonly timestamp: number | undefined;
  /** Present only when the store gave the record headers. */
  readonly headers?: Headers;
}

export class StoreTestContext implements StateStoreContext {
  readonly applicationId = 'app';
  readonly taskId = { subtopology: 0, partition: 0 };
  readonly stateDir = undefined;
  readonly logger = silentLogger;
  readonly changes: LoggedChange[] = [];
  dropped = 0;
  streamTimeMs = 0;

  constructor(readonly appConfigs: Readonly<Record<string, unknown>> = {}) {}

  currentStreamTimeMs(): number {
    return this.streamTimeMs;
  }

  changelogTopic(storeName: string): string {
    return `${this.applicationId}-${storeName}-changelog`;
  }

  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number | undefined, headers?: Iterable<Header>): void {
    if (headers === undefined) {
      this.changes.push({ storeName, key, value, timestamp });
      return;
    }
    const logged = new Headers(headers);
    this.changes.push({ storeName, key, value, timestamp, headers: logged, bareValue: logged.lastHeader(BARE_VALUE_HEADER) !== undefined });
  }

  recordDropped(_reason: 'expired-window'): void {
    this.dropped++;
  }

  /** The changes logged so far, removed from the list. */
  takeChanges(): LoggedChange[] {
    return this.changes.splice(0);
  }
}

/**
 * A window and session layer (or backend) for layer tests that holds nothing and hands each
 * batch to `onBatch`: what the layer above wrote, with the changelog timestamps it gave.
 */
export function recordingTimedLayer(name: string, onBatch: (writes: readonly (WindowBytesWrite & SessionBytesWrite)[], timestamps: readonly number[]) => void): WindowBytesLayer & SessionBytesLayer {
  return {
    name,
    persistent: false,
    retentionMs: 100,
    observedTime: Number.NEGATIVE_INFINITY,
    open: () => {},
    flush: () => {},
    close: () => {},
    get: () => undefined,
    fetch: (): IterableIterator<WindowBytesEntry> => [][Symbol.iterator](),
    fetchAll: (): IterableIterator<WindowBytesEntry> => [][Symbol.iterator](),
    findSessions: (): IterableIterator<SessionBytesEntry> => [][Symbol.iterator](),
    putBatch: (writes: readonly unknown[], timestamps: readonly number[]) => onBatch(writes as (WindowBytesWrite & SessionBytesWrite)[], timestamps),
  };
}
