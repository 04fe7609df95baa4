/**
 * The sparse form of a HyperLogLog sketch (as in HyperLogLog++): its non-zero registers as a
 * sorted list of entries, each `index << 7 | rank` in one 32-bit slot of a `Uint32Array`. A rank
 * is at most 65 (seven bits) and an index under 2^18, so an entry fits in 25 bits, and sorting
 * entries sorts them by register index.
 */

/** Bits of an entry that hold the rank. */
const RANK_BITS = 7;
const RANK_MASK = (1 << RANK_BITS) - 1;

/** The largest rank hyperloglog-lite gives: 1 + the 64 zero bits of words 3 and 2. */
export const MAX_RANK = 65;

/** An empty entry list, shared: nothing ever writes into a zero-length array. */
export const NO_ENTRIES = new Uint32Array(0);

/** The entry of register `index` at `rank`. */
export function entryOf(index: number, rank: number): number {
  return (index << RANK_BITS) | rank;
}

/** The register index of an entry. */
export function indexOf(entry: number): number {
  return entry >>> RANK_BITS;
}

/** The rank of an entry. */
export function rankOf(entry: number): number {
  return entry & RANK_MASK;
}

/** Bytes the sparse encoding spends at most on one entry: the index delta as a varint, then the rank byte. */
function maximumEncodedEntryBytes(precision: number): number {
  return Math.ceil(precision / 7) + 1;
}

/**
 * The most non-zero registers a sketch of `precision` keeps sparse; one more and it turns dense.
 * Chosen so that neither form of a sparse sketch is larger than the dense one (2^p register
 * bytes, plus the precision byte when encoded): in memory an entry takes 4 bytes, so at most
 * 2^p / 4 entries; encoded, the 2-byte header plus at most {@link maximumEncodedEntryBytes} per
 * entry stays within 1 + 2^p bytes. At the default precision 12: 1,024 registers.
 */
export function sparseLimit(precision: number): number {
  const registers = 2 ** precision;
  return Math.min(Math.floor(registers / 4), Math.floor((registers - 1) / maximumEncodedEntryBytes(precision)));
}

/** The first position in `entries[0, size)` whose register index is `index` or higher (`size` if none). */
export function positionOf(entries: Uint32Array, size: number, index: number): number {
  let low = 0;
  let high = size;
  const first = entryOf(index, 0);
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle]! < first) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A copy of `entries[0, size)` with `entry` inserted at `position`, exactly `size + 1` long. */
export function withInserted(entries: Uint32Array, size: number, position: number, entry: number): Uint32Array {
  const copy = new Uint32Array(size + 1);
  copy[position] = entry;
  // A plain loop beats the two views `set` needs on short lists; `set` copies long ones faster.
  if (size < 64) {
    for (let at = 0; at < position; at++) copy[at] = entries[at]!;
    for (let at = position; at < size; at++) copy[at + 1] = entries[at]!;
  } else {
    copy.set(entries.subarray(0, position));
    copy.set(entries.subarray(position, size), position + 1);
  }
  return copy;
}

/**
 * The union of two entry lists, the higher rank where both hold a register: a new array exactly
 * as long as the union.
 */
export function unionOf(left: Uint32Array, leftSize: number, right: Uint32Array, rightSize: number): Uint32Array {
  const union = new Uint32Array(leftSize + rightSize);
  let size = 0;
  let l = 0;
  let r = 0;
  while (l < leftSize && r < rightSize) {
    const leftEntry = left[l]!;
    const rightEntry = right[r]!;
    const leftIndex = indexOf(leftEntry);
    const rightIndex = indexOf(rightEntry);
    if (leftIndex < rightIndex) {
      union[size++] = leftEntry;
      l++;
    } else if (rightIndex < leftIndex) {
      union[size++] = rightEntry;
      r++;
    } else {
      union[size++] = Math.max(leftEntry, rightEntry);
      l++;
      r++;
    }
  }
  while (l < leftSize) union[size++] = left[l++]!;
  while (r < rightSize) union[size++] = right[r++]!;
  return size === union.length ? union : union.slice(0, size);
}

/** The dense registers of `entries[0, size)`: 2^precision bytes. */
export function registersOf(entries: Uint32Array, size: number, precision: number): Buffer {
  const registers = Buffer.alloc(2 ** precision);
  for (let position = 0; position < size; position++) {
    const entry = entries[position]!;
    registers[indexOf(entry)] = rankOf(entry);
  }
  return registers;
}

/** The non-zero registers of dense `registers`, as exactly `nonZero` sorted entries. */
export function entriesOf(registers: Buffer, nonZero: number): Uint32Array {
  const entries = new Uint32Array(nonZero);
  let size = 0;
  for (let index = 0; index < registers.length; index++) {
    const register = registers[index]!;
    if (register !== 0) entries[size++] = entryOf(index, register);
  }
  return entries;
}
