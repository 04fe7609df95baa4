/**
 * The writes a LevelDB store buffers for one batch: the last value written to each key, keys in
 * the order they were first written (the order the batch applies them).
 *
 * The bytes are copied into chunks the layer owns, found through an open-addressing table of
 * slots by a hash of the key's bytes; a slot's places are numbers in one typed array. So a write
 * keeps no object of its caller's: the `Buffer`s a store makes for each write (the key with its
 * segment and time, a directory, a small value) die young, instead of living until the batch is
 * written (a commit interval and more), which made them most of what the garbage collector's
 * young generation copied and promoted. Values over {@link copiedValueMaxBytes} are kept as
 * given: few objects for many bytes, which the collector does not copy.
 */

/** Slots in a new table; a power of two. */
const initialCapacity = 64;
/** In the slot table, a slot no key holds. */
const free = -1;
/** The size of a chunk of copied bytes; a key or value larger than a quarter of it gets a chunk of its own. */
const chunkBytes = 32 * 1024;
/** The size of a layer's first chunk, doubled for each next one up to {@link chunkBytes}: most layers of most stores hold a few writes. */
const firstChunkBytes = 4 * 1024;
/** Values up to this many bytes are copied into the chunks; larger ones are kept as the caller's `Buffer`. */
export const copiedValueMaxBytes = 1024;
/** Copied bytes left behind by overwritten values that start a compaction, when they are also more than the live bytes. */
const compactionMinGarbageBytes = 1024 * 1024;
/** Places of overwritten kept values that start a compaction, when they are also more than the keys. */
const compactionMinKeptGarbage = 1024;

/** A slot's places in {@link WriteLayer.places}, six numbers per slot. */
const keyChunk = 0;
const keyOffset = 1;
const keyLength = 2;
/** The value's chunk, or {@link deleted}, or {@link kept} (then its offset indexes `keptValues`). */
const valueChunk = 3;
const valueOffset = 4;
const valueLength = 5;
const placesPerSlot = 6;
const deleted = -1;
const kept = -2;

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

export class WriteLayer {
  /** Each slot's places (see {@link placesPerSlot}), slots in first-write order. */
  private places = new Int32Array(initialCapacity * placesPerSlot);
  /** Each slot's hash: compared before the bytes, and what a grown table re-places keys by. */
  private hashes = new Int32Array(initialCapacity);
  private slots = 0;
  /** The table: at each position a slot, or {@link free}; linear probing from a key's hash. */
  private table = new Int32Array(initialCapacity).fill(free);
  private mask = initialCapacity - 1;
  private chunks: Buffer[] = [];
  /** The chunk being filled, its index in `chunks`, and how much of it is. */
  private chunk: Buffer | undefined = undefined;
  private chunkIndex = 0;
  private chunkUsed = 0;
  /** The index in `chunks` of the bytes {@link copy} copied last. */
  private copiedChunk = 0;
  /** Values larger than {@link copiedValueMaxBytes}, as written; an overwritten one's place is left empty. */
  private keptValues: (Buffer | undefined)[] = [];
  /** Copied bytes of live keys and values, and of values since overwritten. */
  private liveBytes = 0;
  private garbageBytes = 0;
  /** Places in `keptValues` left empty by overwrites. */
  private keptGarbage = 0;

  /** The keys written. */
  get size(): number {
    return this.slots;
  }

  /** The bytes of the chunks the layer holds (copied keys and values, and what overwrites left behind until a compaction). */
  get chunkBytesHeld(): number {
    let total = 0;
    for (const chunk of this.chunks) total += chunk.length;
    return total;
  }

  /** Buffers a write of `key`; a later write of the same bytes replaces its value. Keeps neither `key` nor a small `value`. */
  set(key: Buffer, value: Buffer | null): void {
    const hash = hashOf(key);
    const position = this.find(key, hash);
    let slot = this.table[position]!;
    if (slot === free) {
      slot = this.slots++;
      if (slot === this.hashes.length) this.growSlots();
      this.table[position] = slot;
      this.hashes[slot] = hash;
      const base = slot * placesPerSlot;
      this.places[base + keyOffset] = this.copy(key);
      this.places[base + keyChunk] = this.copiedChunk;
      this.places[base + keyLength] = key.length;
      this.liveBytes += key.length;
      this.placeValue(base, value);
      // At most half full, so a probe stays short.
      if (this.slots * 2 > this.mask) this.growTable();
      return;
    }
    const base = slot * placesPerSlot;
    this.dropValue(base);
    this.placeValue(base, value);
    if ((this.garbageBytes > compactionMinGarbageBytes && this.garbageBytes > this.liveBytes) || (this.keptGarbage > compactionMinKeptGarbage && this.keptGarbage > this.slots)) this.compact();
  }

  /** The value buffered for `key`: its bytes, `null` for a delete, `undefined` when the key was not written. */
  get(key: Buffer): Buffer | null | undefined {
    const slot = this.table[this.find(key, hashOf(key))]!;
    return slot === free ? undefined : this.valueOf(slot * placesPerSlot);
  }

  /** Each key and its last value (`null` deletes it), keys in first-write order, as views of the layer's bytes (which it never rewrites). */
  forEach(visit: (key: Buffer, value: Buffer | null) => void): void {
    const places = this.places;
    for (let slot = 0; slot < this.slots; slot++) {
      const base = slot * placesPerSlot;
      const chunk = this.chunks[places[base + keyChunk]!]!;
      const offset = places[base + keyOffset]!;
      visit(chunk.subarray(offset, offset + places[base + keyLength]!), this.valueOf(base));
    }
  }

  /** Buffers every write of `later` over this layer's, as if each had been `set` here after the writes already here. */
  absorb(later: WriteLayer): void {
    later.forEach((key, value) => this.set(key, value));
  }

  private valueOf(base: number): Buffer | null {
    const places = this.places;
    const chunk = places[base + valueChunk]!;
    if (chunk === deleted) return null;
    if (chunk === kept) return this.keptValues[places[base + valueOffset]!]!;
    const offset = places[base + valueOffset]!;
    return this.chunks[chunk]!.subarray(offset, offset + places[base + valueLength]!);
  }

  private placeValue(base: number, value: Buffer | null): void {
    const places = this.places;
    if (value === null) {
      places[base + valueChunk] = deleted;
    } else if (value.length > copiedValueMaxBytes) {
      places[base + valueChunk] = kept;
      places[base + valueOffset] = this.keptValues.length;
      this.keptValues.push(value);
    } else {
      places[base + valueOffset] = this.copy(value);
      places[base + valueChunk] = this.copiedChunk;
      places[base + valueLength] = value.length;
      this.liveBytes += value.length;
    }
  }

  /** Forgets a slot's value before it is replaced: its copied bytes become garbage, a kept buffer is let go. */
  private dropValue(base: number): void {
    const places = this.places;
    const chunk = places[base + valueChunk]!;
    if (chunk === kept) {
      this.keptValues[places[base + valueOffset]!] = undefined;
      this.keptGarbage++;
    } else if (chunk !== deleted) {
      const length = places[base + valueLength]!;
      this.liveBytes -= length;
      this.garbageBytes += length;
    }
  }

  /** Copies `bytes` into the chunk being filled (a new one if they do not fit), returns their offset there and leaves the chunk's index in {@link copiedChunk}. */
  private copy(bytes: Buffer): number {
    const length = bytes.length;
    if (length > chunkBytes / 4) {
      // A large payload gets a chunk of its own, so the chunk being filled is not given up for it.
      const own = Buffer.allocUnsafeSlow(length);
      own.set(bytes, 0);
      this.copiedChunk = this.chunks.length;
      this.chunks.push(own);
      return 0;
    }
    let chunk = this.chunk;
    if (chunk === undefined || this.chunkUsed + length > chunk.length) {
      // At least the payload: a key of up to a quarter of a chunk can be larger than the first one.
      chunk = Buffer.allocUnsafeSlow(Math.max(length, chunk === undefined ? firstChunkBytes : Math.min(chunk.length * 2, chunkBytes)));
      this.chunk = chunk;
      this.chunkIndex = this.chunks.length;
      this.chunks.push(chunk);
      this.chunkUsed = 0;
    }
    const offset = this.chunkUsed;
    chunk.set(bytes, offset);
    this.chunkUsed = offset + length;
    this.copiedChunk = this.chunkIndex;
    return offset;
  }

  private growSlots(): void {
    const capacity = this.hashes.length * 2;
    const places = new Int32Array(capacity * placesPerSlot);
    places.set(this.places);
    this.places = places;
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  /** The position of `key` in the table, or of the free position where it would go. */
  private find(key: Buffer, hash: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const slot = table[position]!;
      if (slot === free || (this.hashes[slot] === hash && this.keyEquals(slot, key))) return position;
    }
  }

  private keyEquals(slot: number, key: Buffer): boolean {
    const base = slot * placesPerSlot;
    const places = this.places;
    const length = places[base + keyLength]!;
    if (length !== key.length) return false;
    const chunk = this.chunks[places[base + keyChunk]!]!;
    const offset = places[base + keyOffset]!;
    for (let index = 0; index < length; index++) if (chunk[offset + index] !== key[index]) return false;
    return true;
  }

  private growTable(): void {
    const capacity = (this.mask + 1) * 2;
    const table = new Int32Array(capacity).fill(free);
    const mask = capacity - 1;
    const hashes = this.hashes;
    for (let slot = 0; slot < this.slots; slot++) {
      let position = hashes[slot]! & mask;
      while (table[position] !== free) position = (position + 1) & mask;
      table[position] = slot;
    }
    this.table = table;
    this.mask = mask;
  }

  /**
   * Copies the live keys and values into new chunks, leaving the overwritten values' bytes behind
   * (views handed out keep their old chunks), and lists the kept values again without the gaps.
   */
  private compact(): void {
    const oldChunks = this.chunks;
    const oldKept = this.keptValues;
    const places = this.places;
    this.chunks = [];
    this.chunk = undefined;
    this.keptValues = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const base = slot * placesPerSlot;
      const keyStart = places[base + keyOffset]!;
      const keyBytes = oldChunks[places[base + keyChunk]!]!.subarray(keyStart, keyStart + places[base + keyLength]!);
      places[base + keyOffset] = this.copy(keyBytes);
      places[base + keyChunk] = this.copiedChunk;
      const chunk = places[base + valueChunk]!;
      if (chunk === deleted) continue;
      if (chunk === kept) {
        places[base + valueOffset] = this.keptValues.length;
        this.keptValues.push(oldKept[places[base + valueOffset]!]);
        continue;
      }
      const valueStart = places[base + valueOffset]!;
      places[base + valueOffset] = this.copy(oldChunks[chunk]!.subarray(valueStart, valueStart + places[base + valueLength]!));
      places[base + valueChunk] = this.copiedChunk;
    }
    this.garbageBytes = 0;
    this.keptGarbage = 0;
  }
}
