/**
 * hyperloglog-lite's hash of a value, computed without its allocations. The library hashes the
 * value's UTF-8 bytes with 32-bit MurmurHash2 under seeds 0, 2, 4 and 8, each time into a new
 * Buffer, and returns the four words in a new array; a sketch reads only the register index (word
 * 0) and the rank (the trailing zeros of word 3, then of word 2). Here the value is encoded once
 * into a reused buffer (ASCII directly from its char codes) and only the words needed are hashed,
 * so registers and estimates are hyperloglog-lite's exactly (`value-hash.test.ts` checks it).
 */

const murmurMultiplier = 0x5bd1e995;

/** The UTF-8 bytes of the value being hashed; grown when a value needs more. */
let scratch = Buffer.allocUnsafe(256);

/** Writes `value`'s UTF-8 bytes (lone surrogates as U+FFFD, as `Buffer.from` does) into {@link scratch}; returns their count. */
function encode(value: string): number {
  const length = value.length;
  // At most three bytes per UTF-16 unit.
  if (length * 3 > scratch.length) scratch = Buffer.allocUnsafe(Math.max(length * 3, scratch.length * 2));
  const bytes = scratch;
  for (let index = 0; index < length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 0x80) return bytes.write(value, 0, 'utf8');
    bytes[index] = code;
  }
  return length;
}

/** 32-bit MurmurHash2 of the first `length` bytes of `bytes` (murmurhash32-node's `bit32.v2`). */
function murmur2(bytes: Buffer, length: number, seed: number): number {
  let hash = seed ^ length;
  let index = 0;
  let remaining = length;
  while (remaining >= 4) {
    let word = bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24);
    word = Math.imul(word, murmurMultiplier);
    word ^= word >>> 24;
    word = Math.imul(word, murmurMultiplier);
    hash = Math.imul(hash, murmurMultiplier) ^ word;
    index += 4;
    remaining -= 4;
  }
  if (remaining > 0) {
    if (remaining === 3) hash ^= bytes[index + 2]! << 16;
    if (remaining >= 2) hash ^= bytes[index + 1]! << 8;
    hash ^= bytes[index]!;
    hash = Math.imul(hash, murmurMultiplier);
  }
  hash ^= hash >>> 13;
  hash = Math.imul(hash, murmurMultiplier);
  hash ^= hash >>> 15;
  return hash >>> 0;
}

/** The parts of a value's hash a sketch uses; one object, overwritten by each {@link hashValue}. */
export interface ValueHash {
  /** Word 0 of hyperloglog-lite's hash: its top `precision` bits are the register index. */
  first: number;
  /** The register value: 1 + the trailing zero bits of word 3, then of word 2 (at most 65). */
  rank: number;
}

const lastHash: ValueHash = { first: 0, rank: 0 };

/** Hashes `value` as hyperloglog-lite does. The result is shared: read it before the next call. */
export function hashValue(value: string): ValueHash {
  const length = encode(value);
  lastHash.first = murmur2(scratch, length, 0);
  const low = murmur2(scratch, length, 8) | 0;
  if (low !== 0) {
    lastHash.rank = 32 - Math.clz32(low & -low);
  } else {
    const high = murmur2(scratch, length, 4) | 0;
    lastHash.rank = high !== 0 ? 64 - Math.clz32(high & -high) : 65;
  }
  return lastHash;
}
