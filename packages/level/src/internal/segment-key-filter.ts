/**
 * Which keys may have entries in one segment of a LevelDB window or session store that has no
 * in-memory index: a Bloom filter per segment, so that reading a key the segment never held (a
 * de-duplication store's new event id, an aggregation's new window) costs a few bit tests instead
 * of a directory lookup and a LevelDB read for each live segment. A false positive costs only the
 * read the store would have made anyway; there are no false negatives, because every key written
 * to a filtered segment is added to its filter (see `TimedState.filteredFrom` for which segments
 * are filtered).
 *
 * A segment's filter grows in layers: when one is full, the next takes twice as many keys, and a
 * look-up tests each layer. The first layer is sized for as many keys as the previous segment
 * ended with, so a steady stream of keys fills one or two layers per segment. About ten bits per
 * key and seven probes: about 1% false positives per layer.
 */

const bitsPerKey = 10;
const probes = 7;
/** The fewest keys a layer is sized for: 16 KiB of bits. */
const minimumKeys = 13_107;

/** A 32-bit hash of the key bytes (FNV-1a), computed once per look-up and used for every segment. */
export function keyHash(key: Buffer): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key[index]!, 0x01000193);
  return hash >>> 0;
}

/** The second hash of double hashing, derived from the first by a bijective mix (MurmurHash3's finalizer), odd so its multiples cycle. */
function secondHash(hash: number): number {
  let mixed = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) | 1;
}

class FilterLayer {
  readonly words: Uint32Array;
  /** Bit positions are hashes masked to the layer's size, a power of two. */
  readonly mask: number;
  count = 0;

  constructor(readonly capacity: number) {
    let bits = 1024;
    while (bits < capacity * bitsPerKey) bits *= 2;
    this.words = new Uint32Array(bits / 32);
    this.mask = bits - 1;
  }

  add(first: number, second: number): void {
    const words = this.words;
    let position = first;
    for (let probe = 0; probe < probes; probe++) {
      const bit = position & this.mask;
      words[bit >>> 5]! |= 1 << (bit & 31);
      position = (position + second) | 0;
    }
    this.count++;
  }

  mightContain(first: number, second: number): boolean {
    const words = this.words;
    let position = first;
    for (let probe = 0; probe < probes; probe++) {
      const bit = position & this.mask;
      if ((words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      position = (position + second) | 0;
    }
    return true;
  }
}

/** The keys written to one segment, as a growing Bloom filter. */
export class SegmentKeyFilter {
  private readonly layers: FilterLayer[];
  /** Keys added, duplicates included: the next segment's first layer is sized by it. */
  count = 0;

  /** @param expectedKeys how many keys the first layer is sized for (at least {@link minimumKeys}) */
  constructor(expectedKeys: number) {
    this.layers = [new FilterLayer(Math.max(minimumKeys, expectedKeys))];
  }

  /** Adds the key whose {@link keyHash} is `hash`. */
  add(hash: number): void {
    let layer = this.layers[this.layers.length - 1]!;
    if (layer.count >= layer.capacity) {
      layer = new FilterLayer(layer.capacity * 2);
      this.layers.push(layer);
    }
    layer.add(hash, secondHash(hash));
    this.count++;
  }

  /** `false` when the key whose {@link keyHash} is `hash` was never added; `true` when it may have been. */
  mightContain(hash: number): boolean {
    const second = secondHash(hash);
    const layers = this.layers;
    for (let index = 0; index < layers.length; index++) if (layers[index]!.mightContain(hash, second)) return true;
    return false;
  }
}
