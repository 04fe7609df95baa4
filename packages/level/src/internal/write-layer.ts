/**
 * The writes a LevelDB store buffers for one batch: the last value written to each key, keys in
 * the order they were first written (the order the batch applies them). Kept as two arrays
 * indexed through an open-addressing table of slots found by a hash of the key's bytes, rather
 * than an object per write or a `Map` keyed by the key's latin1 string: a store buffers a write
 * or two per record between commits, most to keys never written before, and each such string
 * (made, hashed, then garbage) cost more than the write itself.
 */

/** Slots in a new table; a power of two. */
const initialCapacity = 64;
/** In the slot table, a slot no key holds. */
const free = -1;

/** A hash of `key`'s bytes (FNV-1a, then murmur3's finalizer so the low bits the table masks with mix every byte). */
function hashOf(key: Buffer): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key[index]!, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

function sameBytes(left: Buffer, right: Buffer): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

export class WriteLayer {
  /** Each key's bytes, by slot. */
  readonly keys: Buffer[] = [];
  /** Each key's last value by slot; `null` deletes it. */
  readonly values: (Buffer | null)[] = [];
  /** Each key's hash, by slot: compared before the bytes, and what a grown table re-places keys by. */
  private readonly hashes: number[] = [];
  /** The table: at each position a slot, or {@link free}; linear probing from a key's hash. */
  private table = new Int32Array(initialCapacity).fill(free);
  private mask = initialCapacity - 1;

  /** The keys written. */
  get size(): number {
    return this.keys.length;
  }

  /** Buffers a write of `key`; a later write of the same bytes replaces its value. */
  set(key: Buffer, value: Buffer | null): void {
    const hash = hashOf(key);
    const position = this.find(key, hash);
    const slot = this.table[position]!;
    if (slot !== free) {
      this.values[slot] = value;
      return;
    }
    this.table[position] = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    this.hashes.push(hash);
    // At most half full, so a probe stays short.
    if (this.keys.length * 2 > this.mask) this.grow();
  }

  /** The value buffered for `key`: its bytes, `null` for a delete, `undefined` when the key was not written. */
  get(key: Buffer): Buffer | null | undefined {
    const slot = this.table[this.find(key, hashOf(key))]!;
    return slot === free ? undefined : this.values[slot];
  }

  /** The position of `key` in the table, or of the free position where it would go. */
  private find(key: Buffer, hash: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const slot = table[position]!;
      if (slot === free || (this.hashes[slot] === hash && sameBytes(this.keys[slot]!, key))) return position;
    }
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const table = new Int32Array(capacity).fill(free);
    const mask = capacity - 1;
    const hashes = this.hashes;
    for (let slot = 0; slot < hashes.length; slot++) {
      let position = hashes[slot]! & mask;
      while (table[position] !== free) position = (position + 1) & mask;
      table[position] = slot;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Buffers every write of `later` over this layer's, as if each had been `set` here after the writes already here. */
  absorb(later: WriteLayer): void {
    for (let slot = 0; slot < later.keys.length; slot++) this.set(later.keys[slot]!, later.values[slot]!);
  }
}
