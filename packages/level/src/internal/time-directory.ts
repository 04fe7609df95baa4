/**
 * A directory: which entries one key of a window or session store has in one segment, stored in
 * LevelDB as the value of the key's directory key (key-encoding.ts). It lets a per-key fetch be a
 * few `getSync` reads (one directory per live segment, then each value) with no in-memory index,
 * so memory does not grow with the number of keys.
 *
 * Layout: fixed-width entries `time (int64, sign-flipped) | tiebreak (uint32 or sign-flipped
 * int64)`, sorted by their bytes, which is (time, tiebreak) order.
 */
import { readSortableInt64, writeSortableInt64 } from './key-encoding.js';

/** Reads and writes the directory entries of one store's tiebreak width. */
export class DirectoryLayout {
  readonly width: number;
  /** The entry being looked for, reused: directories are read on the hot path. */
  private readonly probe: Buffer;

  constructor(readonly tiebreakBytes: 4 | 8) {
    this.width = 8 + tiebreakBytes;
    this.probe = Buffer.alloc(this.width);
  }

  count(directory: Buffer): number {
    return directory.length / this.width;
  }

  time(directory: Buffer, index: number): number {
    return readSortableInt64(directory, index * this.width);
  }

  tiebreak(directory: Buffer, index: number): number {
    const offset = index * this.width + 8;
    return this.tiebreakBytes === 4 ? directory.readUInt32BE(offset) : readSortableInt64(directory, offset);
  }

  /** The index of the first entry whose time is at least `time`. */
  firstAtOrAfter(directory: Buffer, time: number): number {
    writeSortableInt64(this.probe, time, 0);
    return this.lowerBound(directory, 8);
  }

  /** Whether the directory holds (time, tiebreak). */
  has(directory: Buffer | undefined, time: number, tiebreak: number): boolean {
    if (directory === undefined) return false;
    this.encode(time, tiebreak);
    const index = this.lowerBound(directory, this.width);
    return index < this.count(directory) && this.equalsProbe(directory, index);
  }

  /** The directory with (time, tiebreak) added, or `undefined` when it already holds it. */
  insert(directory: Buffer | undefined, time: number, tiebreak: number): Buffer | undefined {
    this.encode(time, tiebreak);
    if (directory === undefined) return Buffer.from(this.probe);
    const index = this.lowerBound(directory, this.width);
    if (index < this.count(directory) && this.equalsProbe(directory, index)) return undefined;
    const at = index * this.width;
    const grown = Buffer.allocUnsafe(directory.length + this.width);
    directory.copy(grown, 0, 0, at);
    this.probe.copy(grown, at);
    directory.copy(grown, at + this.width, at);
    return grown;
  }

  /** The directory listing `entries` (sorted by time then tiebreak), or `null` when there are none. */
  of(entries: readonly { readonly time: number; readonly tiebreak: number }[]): Buffer | null {
    if (entries.length === 0) return null;
    const directory = Buffer.allocUnsafe(entries.length * this.width);
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      this.encode(entry.time, entry.tiebreak);
      this.probe.copy(directory, index * this.width);
    }
    return directory;
  }

  /**
   * The directory without (time, tiebreak): `null` when that leaves it empty, `undefined` when it
   * did not hold the entry.
   */
  remove(directory: Buffer | undefined, time: number, tiebreak: number): Buffer | null | undefined {
    if (directory === undefined) return undefined;
    this.encode(time, tiebreak);
    const index = this.lowerBound(directory, this.width);
    if (index >= this.count(directory) || !this.equalsProbe(directory, index)) return undefined;
    if (directory.length === this.width) return null;
    const at = index * this.width;
    const shrunk = Buffer.allocUnsafe(directory.length - this.width);
    directory.copy(shrunk, 0, 0, at);
    directory.copy(shrunk, at, at + this.width);
    return shrunk;
  }

  private encode(time: number, tiebreak: number): void {
    writeSortableInt64(this.probe, time, 0);
    if (this.tiebreakBytes === 4) this.probe.writeUInt32BE(tiebreak >>> 0, 8);
    else writeSortableInt64(this.probe, tiebreak, 8);
  }

  /** The first entry not below the probe's first `bytes` bytes. */
  private lowerBound(directory: Buffer, bytes: number): number {
    let low = 0;
    let high = this.count(directory);
    const width = this.width;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const at = middle * width;
      if (directory.compare(this.probe, 0, bytes, at, at + bytes) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private equalsProbe(directory: Buffer, index: number): boolean {
    const at = index * this.width;
    return directory.compare(this.probe, 0, this.width, at, at + this.width) === 0;
  }
}
