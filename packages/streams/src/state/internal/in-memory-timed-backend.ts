/**
 * What the in-memory window and session backends share: entries kept in a
 * {@link TimeKeyedEntries}, the observed time that retention is measured against, and a
 * lifecycle with nothing to open or flush (closing forgets everything).
 */
import type { StateStoreContext } from '../state-store.js';
import { TimeKeyedEntries } from './time-keyed-entries.js';

export abstract class InMemoryTimedBackend {
  readonly persistent = false;
  protected readonly entries = new TimeKeyedEntries();
  protected observed = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    readonly retentionMs: number,
  ) {}

  /** The largest time written so far, or `-Infinity`. */
  get observedTime(): number {
    return this.observed;
  }

  open(_context: StateStoreContext): void {}

  flush(): void {}

  close(): void {
    this.entries.clear();
    this.observed = Number.NEGATIVE_INFINITY;
  }

  /** The number of entries held. */
  get size(): number {
    return this.entries.size;
  }
}
