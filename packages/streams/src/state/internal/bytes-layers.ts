/**
 * The seam below the typed layers (metered, caching): a bytes backend's interface, except that
 * every write also carries the timestamp of the changelog record it makes. The change-logging
 * layers implement these over a backend; with logging off, the backend itself stands in (it takes
 * the writes and ignores the timestamps, which only the changelog needs). A write goes on to the
 * backend whatever it is: the backend drops what it does not keep (an expired window, a session
 * past retention), and the change-logging layer logs it all the same, as Kafka's does.
 */
import type { BytesWrite, KeyValueBytesBackend, SessionBytesBackend, SessionBytesWrite, WindowBytesBackend, WindowBytesWrite } from '../store-suppliers.js';

/** A key-value backend, or the change-logging layer over one. */
export interface KeyValueBytesLayer extends Omit<KeyValueBytesBackend, 'put' | 'putBatch'> {
  /** Writes one entry (`null` deletes); `timestamp` is its changelog record's. */
  put(key: Buffer, value: Buffer | null, timestamp: number): void;
  /** Writes entries in order; `timestamps[i]` is the changelog record timestamp of `writes[i]`. */
  putBatch(writes: readonly BytesWrite[], timestamps: readonly number[]): void;
}

/** A window backend, or the change-logging layer over one. */
export interface WindowBytesLayer extends Omit<WindowBytesBackend, 'putBatch'> {
  /** Writes windows in order; `timestamps[i]` is the changelog record timestamp of `writes[i]`. */
  putBatch(writes: readonly WindowBytesWrite[], timestamps: readonly number[]): void;
}

/** A session backend, or the change-logging layer over one. */
export interface SessionBytesLayer extends Omit<SessionBytesBackend, 'putBatch'> {
  /** Writes sessions in order; `timestamps[i]` is the changelog record timestamp of `writes[i]`. */
  putBatch(writes: readonly SessionBytesWrite[], timestamps: readonly number[]): void;
}
