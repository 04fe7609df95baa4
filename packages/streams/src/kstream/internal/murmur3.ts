/**
 * MurmurHash3, x64 128-bit variant, as Kafka Streams' `Murmur3.hash128(byte[])` computes it (seed
 * 104729): the hash a foreign-key join puts on its subscriptions, so that Tributary's internal
 * topics carry the bytes Kafka's do. Written from the published algorithm; the 64-bit lanes are
 * kept as 32-bit halves so that a hash allocates nothing but its 16-byte result.
 */

const seed = 104729;
const c1High = 0x87c37b91;
const c1Low = 0x114253d5;
const c2High = 0x4cf5ad43;
const c2Low = 0x2745937f;
const n1 = 0x52dce729;
const n2 = 0x38495ab5;
const finalMix1High = 0xff51afd7;
const finalMix1Low = 0xed558ccd;
const finalMix2High = 0xc4ceb9fe;
const finalMix2Low = 0x1a85ec53;

// The result of the last 64-bit operation below, as unsigned 32-bit halves: no object per step.
let high = 0;
let low = 0;

/** `a * b` modulo 2^64, in 16-bit pieces so that every partial product is exact in a double. */
function multiply(aHigh: number, aLow: number, bHigh: number, bLow: number): void {
  const a48 = aHigh >>> 16;
  const a32 = aHigh & 0xffff;
  const a16 = aLow >>> 16;
  const a00 = aLow & 0xffff;
  const b48 = bHigh >>> 16;
  const b32 = bHigh & 0xffff;
  const b16 = bLow >>> 16;
  const b00 = bLow & 0xffff;
  let c00 = a00 * b00;
  let c16 = c00 >>> 16;
  c00 &= 0xffff;
  c16 += a16 * b00;
  let c32 = c16 >>> 16;
  c16 &= 0xffff;
  c16 += a00 * b16;
  c32 += c16 >>> 16;
  c16 &= 0xffff;
  c32 += a32 * b00;
  let c48 = c32 >>> 16;
  c32 &= 0xffff;
  c32 += a16 * b16;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c32 += a00 * b32;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c48 += a48 * b00 + a32 * b16 + a16 * b32 + a00 * b48;
  c48 &= 0xffff;
  high = ((c48 << 16) | c32) >>> 0;
  low = ((c16 << 16) | c00) >>> 0;
}

function add(aHigh: number, aLow: number, bHigh: number, bLow: number): void {
  const sum = (aLow >>> 0) + (bLow >>> 0);
  low = sum >>> 0;
  high = ((aHigh >>> 0) + (bHigh >>> 0) + (sum > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotates left by 1 to 63 bits. */
function rotateLeft(aHigh: number, aLow: number, bits: number): void {
  if (bits >= 32) {
    const swapped = aHigh;
    aHigh = aLow;
    aLow = swapped;
    bits -= 32;
  }
  if (bits === 0) {
    high = aHigh >>> 0;
    low = aLow >>> 0;
    return;
  }
  high = ((aHigh << bits) | (aLow >>> (32 - bits))) >>> 0;
  low = ((aLow << bits) | (aHigh >>> (32 - bits))) >>> 0;
}

/** The finalization mix: h ^= h >>> 33; h *= m1; h ^= h >>> 33; h *= m2; h ^= h >>> 33. */
function finalMix(hHigh: number, hLow: number): void {
  hLow = (hLow ^ (hHigh >>> 1)) >>> 0;
  multiply(hHigh, hLow, finalMix1High, finalMix1Low);
  multiply(high, (low ^ (high >>> 1)) >>> 0, finalMix2High, finalMix2Low);
  low = (low ^ (high >>> 1)) >>> 0;
}

/** Mixes a key lane: `k *= first; k = rotl(k, bits); k *= second`. */
function mixKey(kHigh: number, kLow: number, firstHigh: number, firstLow: number, bits: number, secondHigh: number, secondLow: number): void {
  multiply(kHigh, kLow, firstHigh, firstLow);
  rotateLeft(high, low, bits);
  multiply(high, low, secondHigh, secondLow);
}

/**
 * Kafka's `Murmur3.hash128(data)`: the two 64-bit halves, each big-endian as Kafka writes them
 * with `ByteBuffer.putLong`, in 16 bytes.
 */
export function murmur3Hash128(data: Uint8Array): Buffer {
  const length = data.length;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let h1High = 0;
  let h1Low = seed;
  let h2High = 0;
  let h2Low = seed;
  const blocks = length >>> 4;
  for (let block = 0; block < blocks; block++) {
    const offset = block << 4;
    mixKey(view.getUint32(offset + 4, true), view.getUint32(offset, true), c1High, c1Low, 31, c2High, c2Low);
    h1High ^= high;
    h1Low ^= low;
    rotateLeft(h1High, h1Low, 27);
    add(high, low, h2High, h2Low);
    multiply(high, low, 0, 5);
    add(high, low, 0, n1);
    h1High = high;
    h1Low = low;

    mixKey(view.getUint32(offset + 12, true), view.getUint32(offset + 8, true), c2High, c2Low, 33, c1High, c1Low);
    h2High ^= high;
    h2Low ^= low;
    rotateLeft(h2High, h2Low, 31);
    add(high, low, h1High, h1Low);
    multiply(high, low, 0, 5);
    add(high, low, 0, n2);
    h2High = high;
    h2Low = low;
  }

  // The tail: bytes 8 to 14 make the second lane, bytes 0 to 7 the first, little-endian.
  const tailStart = blocks << 4;
  const tailLength = length - tailStart;
  if (tailLength > 8) {
    let kHigh = 0;
    let kLow = 0;
    for (let index = tailLength - 1; index >= 8; index--) {
      const shift = (index - 8) * 8;
      if (shift >= 32) kHigh |= data[tailStart + index]! << (shift - 32);
      else kLow |= data[tailStart + index]! << shift;
    }
    mixKey(kHigh >>> 0, kLow >>> 0, c2High, c2Low, 33, c1High, c1Low);
    h2High ^= high;
    h2Low ^= low;
  }
  if (tailLength > 0) {
    let kHigh = 0;
    let kLow = 0;
    for (let index = Math.min(tailLength, 8) - 1; index >= 0; index--) {
      const shift = index * 8;
      if (shift >= 32) kHigh |= data[tailStart + index]! << (shift - 32);
      else kLow |= data[tailStart + index]! << shift;
    }
    mixKey(kHigh >>> 0, kLow >>> 0, c1High, c1Low, 31, c2High, c2Low);
    h1High ^= high;
    h1Low ^= low;
  }

  // Finalization. Kafka's length is an int: it only ever reaches the low half.
  h1Low ^= length;
  h2Low ^= length;
  add(h1High, h1Low, h2High, h2Low);
  h1High = high;
  h1Low = low;
  add(h2High, h2Low, h1High, h1Low);
  h2High = high;
  h2Low = low;
  finalMix(h1High, h1Low);
  h1High = high;
  h1Low = low;
  finalMix(h2High, h2Low);
  h2High = high;
  h2Low = low;
  add(h1High, h1Low, h2High, h2Low);
  h1High = high;
  h1Low = low;
  add(h2High, h2Low, h1High, h1Low);
  h2High = high;
  h2Low = low;

  const hash = Buffer.allocUnsafe(16);
  hash.writeUInt32BE(h1High >>> 0, 0);
  hash.writeUInt32BE(h1Low >>> 0, 4);
  hash.writeUInt32BE(h2High >>> 0, 8);
  hash.writeUInt32BE(h2Low >>> 0, 12);
  return hash;
}
