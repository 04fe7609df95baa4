package dev.tributary.bench;

import java.nio.charset.StandardCharsets;

/**
 * HyperLogLog with the same hash, registers, rank and estimate as the TS topology's
 * {@code countDistinct} (packages/streams/src/sketch, which wraps hyperloglog-lite): 2^p one-byte
 * registers, MurmurHash2 (32-bit) of the value's UTF-8 bytes with seeds 0, 2, 4 and 8, the
 * register index from the top p bits of the seed-0 hash, the rank from the trailing zeros of the
 * seed-8 then seed-4 hashes, and linear counting below 2.5 * 2^p. Same inputs, same estimates.
 * Mutable: Kafka Streams hands the aggregator a freshly deserialized aggregate each time.
 */
final class Hll {
  static final int DEFAULT_PRECISION = 12;
  private static final double[] INVERSE_POWERS = new double[256];

  static {
    for (int r = 0; r < 256; r++) INVERSE_POWERS[r] = Math.pow(2, -r);
  }

  final int precision;
  final byte[] registers;
  private double sumOfInverses;
  private int zeroRegisters;

  Hll(int precision) {
    this.precision = precision;
    this.registers = new byte[1 << precision];
    this.sumOfInverses = registers.length;
    this.zeroRegisters = registers.length;
  }

  /** From {@link #writeTo} output: one precision byte, then the registers. */
  static Hll fromBytes(byte[] bytes, int offset, int length) {
    int precision = bytes[offset];
    if (precision < 4 || precision > 18 || length != 1 + (1 << precision)) {
      throw new IllegalArgumentException("Not a HyperLogLog sketch: " + length + " bytes with precision byte " + precision);
    }
    Hll sketch = new Hll(precision);
    System.arraycopy(bytes, offset + 1, sketch.registers, 0, sketch.registers.length);
    // Recomputed in register order, like hyperloglog-lite's merge (which the TS fromBytes uses).
    double sum = 0;
    int zeros = 0;
    for (byte register : sketch.registers) {
      if (register == 0) zeros++;
      sum += INVERSE_POWERS[register & 0xff];
    }
    sketch.sumOfInverses = sum;
    sketch.zeroRegisters = zeros;
    return sketch;
  }

  int byteSize() {
    return 1 + registers.length;
  }

  void writeTo(byte[] out, int offset) {
    out[offset] = (byte) precision;
    System.arraycopy(registers, 0, out, offset + 1, registers.length);
  }

  void add(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    int h0 = murmur2(bytes, 0);
    int h2 = murmur2(bytes, 4);
    int h3 = murmur2(bytes, 8);
    int index = h0 >>> (32 - precision);
    int rank;
    if (h3 != 0) rank = 1 + Integer.numberOfTrailingZeros(h3);
    else if (h2 != 0) rank = 33 + Integer.numberOfTrailingZeros(h2);
    else rank = 65;
    int old = registers[index] & 0xff;
    if (rank <= old) return;
    sumOfInverses += INVERSE_POWERS[rank] - INVERSE_POWERS[old];
    if (old == 0) zeroRegisters--;
    registers[index] = (byte) rank;
  }

  /** The estimate, rounded as hyperloglog-lite rounds it. */
  long count() {
    double m = registers.length;
    double alpha = 0.7213 / (1 + 1.079 / m) * m * m;
    double estimate = alpha / sumOfInverses;
    if (zeroRegisters > 0 && estimate < 5.0 / 2 * m) estimate = m * Math.log(m / zeroRegisters);
    return (long) Math.floor(estimate + 0.5);
  }

  /** MurmurHash2, 32-bit, as murmurhash32-node's bit32.v2. */
  static int murmur2(byte[] key, int seed) {
    final int m = 0x5bd1e995;
    int len = key.length;
    int h = seed ^ len;
    int i = 0;
    while (len >= 4) {
      int k = (key[i] & 0xff) | ((key[i + 1] & 0xff) << 8) | ((key[i + 2] & 0xff) << 16) | ((key[i + 3] & 0xff) << 24);
      i += 4;
      k *= m;
      k ^= k >>> 24;
      k *= m;
      h = (h * m) ^ k;
      len -= 4;
    }
    switch (len) {
      case 3:
        h ^= (key[i + 2] & 0xff) << 16;
      case 2:
        h ^= (key[i + 1] & 0xff) << 8;
      case 1:
        h ^= key[i] & 0xff;
        h *= m;
      default:
    }
    h ^= h >>> 13;
    h *= m;
    h ^= h >>> 15;
    return h;
  }
}
