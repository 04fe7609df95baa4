/**
 * The byte formats of a HyperLogLog sketch, told apart by their first byte:
 *
 * - 4 to 18, **dense** (the only format before sparse sketches, still read and still written for
 *   dense sketches): that byte is the precision p, then the 2^p registers, one byte each.
 * - 0x81, **sparse, version 1**: the precision byte, then each non-zero register in index order
 *   as the gap from the previous register's index + 1 (from 0 for the first) in a base-128
 *   varint (low groups first, high bit set on every byte but the last), then its rank byte.
 *   At most 3 bytes a register at p = 12: a sketch of 10 users takes about 32 bytes.
 *
 * Other first bytes are left for later formats.
 */
import { DeserializationError } from '../../errors/streams-error.js';
import { entryOf, indexOf, MAX_RANK, rankOf } from './sparse-registers.js';

/** The first byte of the sparse format, version 1. */
export const SPARSE_FORMAT = 0x81;

/** The precisions a sketch may have. */
export const MIN_PRECISION = 4;
export const MAX_PRECISION = 18;

/** Whether `byte`, the first of an encoded sketch, is a precision, so the dense format. */
export function isDenseFormat(byte: number): boolean {
  return byte >= MIN_PRECISION && byte <= MAX_PRECISION;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value >>>= 7;
    length++;
  }
  return length;
}

/** The sparse encoding of `entries[0, size)` at `precision`. */
export function encodeSparse(entries: Uint32Array, size: number, precision: number): Buffer {
  let length = 2;
  let next = 0;
  for (let position = 0; position < size; position++) {
    const index = indexOf(entries[position]!);
    length += varintLength(index - next) + 1;
    next = index + 1;
  }
  const bytes = Buffer.allocUnsafe(length);
  bytes[0] = SPARSE_FORMAT;
  bytes[1] = precision;
  let offset = 2;
  next = 0;
  for (let position = 0; position < size; position++) {
    const entry = entries[position]!;
    const index = indexOf(entry);
    let gap = index - next;
    while (gap >= 0x80) {
      bytes[offset++] = (gap & 0x7f) | 0x80;
      gap >>>= 7;
    }
    bytes[offset++] = gap;
    bytes[offset++] = rankOf(entry);
    next = index + 1;
  }
  return bytes;
}

/**
 * The entries of a sparse encoding (its first byte {@link SPARSE_FORMAT}), exactly as many as it
 * holds. Throws a `DeserializationError` saying what is wrong when the bytes are not a sparse sketch.
 */
export function decodeSparse(bytes: Buffer): Uint32Array {
  const precision = bytes[1];
  if (precision === undefined || !isDenseFormat(precision)) {
    throw new DeserializationError(`Not a sparse HyperLogLog sketch: ${bytes.length} bytes with precision byte ${String(precision)}; the precision must be from ${MIN_PRECISION} to ${MAX_PRECISION}.`);
  }
  const registers = 2 ** precision;
  // Every entry takes at least 2 bytes, so this bounds the list.
  const entries = new Uint32Array(Math.min(registers, (bytes.length - 2) >>> 1));
  let size = 0;
  let next = 0;
  let offset = 2;
  while (offset < bytes.length) {
    let gap = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[offset++]!;
      if (offset > bytes.length || shift > 14) throw new DeserializationError(`Not a sparse HyperLogLog sketch: a register index is cut short or too long at byte ${offset - 1} of ${bytes.length}.`);
      gap += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    const index = next + gap;
    const rank = bytes[offset++];
    if (index >= registers) throw new DeserializationError(`Not a sparse HyperLogLog sketch: register index ${index} is past the ${registers} registers of precision ${precision}.`);
    if (rank === undefined || rank < 1 || rank > MAX_RANK) throw new DeserializationError(`Not a sparse HyperLogLog sketch: register ${index} has rank ${String(rank)}, not 1 to ${MAX_RANK}.`);
    entries[size++] = entryOf(index, rank);
    next = index + 1;
  }
  return size === entries.length ? entries : entries.slice(0, size);
}
