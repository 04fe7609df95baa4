/**
 * Unique counts in constant memory: a HyperLogLog sketch (hyperloglog-lite) for counting
 * distinct users, sessions or any other values per key or window.
 *
 * Error bound: with precision p the sketch has 2^p one-byte registers and a relative standard
 * error of 1.04 / sqrt(2^p): 1.63% at the default p = 12 (4 KiB per sketch), 0.81% at p = 14
 * (16 KiB). About 95% of estimates fall within twice that. Small counts (below about
 * 2.5 * 2^p) use linear counting and are near exact.
 */
import HyperLogLog from 'hyperloglog-lite';
import { ConfigError, DeserializationError } from '../errors/streams-error.js';
import type { Headers } from '../processor/headers.js';
import type { Serde } from '../serde/serde.js';
import type { Aggregator, Initializer } from '../kstream/functions.js';
import { withInPlaceParts } from '../kstream/in-place-aggregator.js';

/** The default precision: 4096 registers, 1.63% relative standard error. */
export const DEFAULT_SKETCH_PRECISION = 12;

function checkPrecision(precision: number): number {
  if (!Number.isInteger(precision) || precision < 4 || precision > 18) {
    throw new ConfigError(`HyperLogLog option 'precision' must be an integer from 4 to 18, got ${precision}.`);
  }
  return precision;
}

/** The register value hyperloglog-lite gives a hash: 1 + trailing zero bits of words 3, then 2. */
function rank(hash: readonly number[]): number {
  let zeros = 1;
  for (let word = 3; word >= 2; word--) {
    let bits = hash[word]!;
    for (let bit = 0; bit < 32; bit++) {
      if (bits & 1) return zeros;
      zeros++;
      bits >>>= 1;
    }
  }
  return zeros;
}

/** 2^-r for every register value r (at most 65). */
const INVERSE_POWERS = Float64Array.from({ length: 66 }, (_, register) => 2 ** -register);

/**
 * An estimate of the number of distinct values added. Treat it as immutable in aggregations:
 * {@link UniqueCountSketch.with} returns a new sketch when a value changes the estimate and the
 * same sketch when it does not, so table updates keep correct old values.
 *
 * Values are hashed with hyperloglog-lite's hash and placed in its registers, and the estimate is
 * its formula, so sketches and counts are the library's. The registers are held here rather than
 * in a hyperloglog-lite counter, because the library has no copy: copying through its `merge`
 * zero-fills a new buffer, takes a maximum per register and recomputes every register's weight,
 * which made copying half of the flagship's processing time. Here a copy is one `memcpy`, and the
 * running sums that make `count()` cheap are carried over.
 */
export class UniqueCountSketch {
  private constructor(
    private readonly registers: Buffer,
    /** log2 of the number of registers. */
    readonly precision: number,
    /** The sum of 2^-register over the registers. */
    private sumOfInverses: number,
    /** Registers still 0. */
    private zeroRegisters: number,
  ) {}

  /** An empty sketch. */
  static empty(precision = DEFAULT_SKETCH_PRECISION): UniqueCountSketch {
    const registers = 2 ** checkPrecision(precision);
    return new UniqueCountSketch(Buffer.alloc(registers), precision, registers, registers);
  }

  /** Rebuilds a sketch from {@link toBytes} output. */
  static fromBytes(bytes: Buffer): UniqueCountSketch {
    const precision = bytes[0];
    if (precision === undefined || precision < 4 || precision > 18 || bytes.length !== 1 + 2 ** precision) {
      throw new DeserializationError(`Not a HyperLogLog sketch: ${bytes.length} bytes with precision byte ${String(precision)}.`);
    }
    const registers = Buffer.from(bytes.subarray(1));
    let sum = 0;
    let zeros = 0;
    for (let index = 0; index < registers.length; index++) {
      const register = registers[index]!;
      if (register === 0) zeros++;
      sum += INVERSE_POWERS[register] ?? 2 ** -register;
    }
    return new UniqueCountSketch(registers, precision, sum, zeros);
  }

  /** The estimated number of distinct values added (hyperloglog-lite's estimate). */
  count(): number {
    const registers = this.registers.length;
    let estimate = ((0.7213 / (1 + 1.079 / registers)) * registers * registers) / this.sumOfInverses;
    // Small cardinalities: linear counting.
    if (this.zeroRegisters > 0 && estimate < 2.5 * registers) estimate = registers * Math.log(registers / this.zeroRegisters);
    return Math.floor(estimate + 0.5);
  }

  /** The relative standard error of {@link count}, `1.04 / sqrt(2^precision)`. */
  get relativeError(): number {
    return 1.04 / Math.sqrt(2 ** this.precision);
  }

  /**
   * This sketch with `value` added: a new sketch if a register changed, else this one. Values
   * are hashed by their string form, so `1` and `'1'` count as one value.
   */
  with(value: string | number | bigint): UniqueCountSketch {
    const hash = HyperLogLog.hash(String(value));
    const index = hash[0]! >>> (32 - this.precision);
    const next = rank(hash);
    const previous = this.registers[index]!;
    // Most repeated values leave every register as it is: no copy then.
    if (next <= previous) return this;
    const copy = new UniqueCountSketch(Buffer.from(this.registers), this.precision, this.sumOfInverses, this.zeroRegisters);
    copy.registers[index] = next;
    copy.sumOfInverses += INVERSE_POWERS[next]! - INVERSE_POWERS[previous]!;
    if (previous === 0) copy.zeroRegisters--;
    return copy;
  }

  /**
   * Adds `value` to this sketch, changing it: only for a sketch the caller owns (one it made, or
   * a {@link UniqueCountSketch.copy}); otherwise use {@link UniqueCountSketch.with}. Returns
   * whether a register changed.
   */
  addInPlace(value: string | number | bigint): boolean {
    const hash = HyperLogLog.hash(String(value));
    const index = hash[0]! >>> (32 - this.precision);
    const next = rank(hash);
    const previous = this.registers[index]!;
    if (next <= previous) return false;
    this.registers[index] = next;
    this.sumOfInverses += INVERSE_POWERS[next]! - INVERSE_POWERS[previous]!;
    if (previous === 0) this.zeroRegisters--;
    return true;
  }

  /** A copy of this sketch that the caller owns, for {@link UniqueCountSketch.addInPlace}. */
  copy(): UniqueCountSketch {
    return new UniqueCountSketch(Buffer.from(this.registers), this.precision, this.sumOfInverses, this.zeroRegisters);
  }

  /** A new sketch counting the values of both. Precisions must match. */
  merge(other: UniqueCountSketch): UniqueCountSketch {
    if (other.precision !== this.precision) {
      throw new ConfigError(`Cannot merge HyperLogLog sketches of precision ${this.precision} and ${other.precision}; use one precision per aggregate.`);
    }
    const registers = Buffer.from(this.registers);
    let sum = 0;
    let zeros = 0;
    for (let index = 0; index < registers.length; index++) {
      const register = Math.max(registers[index]!, other.registers[index]!);
      registers[index] = register;
      if (register === 0) zeros++;
      sum += INVERSE_POWERS[register]!;
    }
    return new UniqueCountSketch(registers, this.precision, sum, zeros);
  }

  /** One precision byte, then the registers. */
  toBytes(): Buffer {
    const bytes = Buffer.allocUnsafe(1 + this.registers.length);
    bytes[0] = this.precision;
    this.registers.copy(bytes, 1);
    return bytes;
  }
}

class UniqueCountSketchSerde implements Serde<UniqueCountSketch> {
  serialize(_topic: string, data: UniqueCountSketch, _headers: Headers): Buffer {
    return data.toBytes();
  }

  deserialize(topic: string, data: Buffer, _headers: Headers): UniqueCountSketch {
    try {
      return UniqueCountSketch.fromBytes(data);
    } catch (error) {
      throw new DeserializationError(`HyperLogLog deserializer on topic '${topic}': ${(error as Error).message}`, { cause: error });
    }
  }
}

/** The serde of {@link UniqueCountSketch}, for stores and topics. */
export function uniqueCountSketchSerde(): Serde<UniqueCountSketch> {
  return new UniqueCountSketchSerde();
}

/**
 * An initializer and aggregator that count distinct values per key (or window), for
 * `aggregate(initializer, aggregator, Materialized.with(keySerde, uniqueCountSketchSerde()))`.
 * Records whose value yields `null` or `undefined` are not counted.
 */
export function countDistinct<K, V>(
  valueOf: (value: V, key: K) => string | number | bigint | null | undefined,
  precision = DEFAULT_SKETCH_PRECISION,
): {
  /** Starts each key's (or window's) count from an empty sketch of `precision`. */
  readonly initializer: Initializer<UniqueCountSketch>;
  /**
   * Adds `valueOf(value, key)` to the sketch, returning a new one when a register changed;
   * `null` and `undefined` leave it unchanged. The aggregations that can (see
   * `updateInPlace`) add to the sketch in place while their store holds it for them alone.
   */
  readonly aggregator: Aggregator<K, V, UniqueCountSketch>;
} {
  checkPrecision(precision);
  const aggregator: Aggregator<K, V, UniqueCountSketch> = (key, value, sketch) => {
    const distinct = valueOf(value, key);
    return distinct === null || distinct === undefined ? sketch : sketch.with(distinct);
  };
  return {
    initializer: () => UniqueCountSketch.empty(precision),
    aggregator: withInPlaceParts(aggregator, {
      update: (key, value, sketch) => {
        const distinct = valueOf(value, key);
        if (distinct !== null && distinct !== undefined) sketch.addInPlace(distinct);
        return sketch;
      },
      copy: (sketch) => sketch.copy(),
    }),
  };
}
