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

type Sketch = ReturnType<typeof HyperLogLog>;

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

/**
 * An estimate of the number of distinct values added. Treat it as immutable in aggregations:
 * {@link UniqueCountSketch.with} returns a new sketch when a value changes the estimate and the
 * same sketch when it does not, so table updates keep correct old values without copying 4 KiB
 * for every repeated value.
 */
export class UniqueCountSketch {
  private constructor(
    private readonly sketch: Sketch,
    /** log2 of the number of registers. */
    readonly precision: number,
  ) {}

  /** An empty sketch. */
  static empty(precision = DEFAULT_SKETCH_PRECISION): UniqueCountSketch {
    return new UniqueCountSketch(HyperLogLog(checkPrecision(precision)), precision);
  }

  /** Rebuilds a sketch from {@link toBytes} output. */
  static fromBytes(bytes: Buffer): UniqueCountSketch {
    const precision = bytes[0];
    if (precision === undefined || precision < 4 || precision > 18 || bytes.length !== 1 + 2 ** precision) {
      throw new DeserializationError(`Not a HyperLogLog sketch: ${bytes.length} bytes with precision byte ${String(precision)}.`);
    }
    const sketch = HyperLogLog(precision);
    sketch.merge({ n: precision, buckets: Buffer.from(bytes.subarray(1)) });
    return new UniqueCountSketch(sketch, precision);
  }

  /** The estimated number of distinct values added. */
  count(): number {
    return this.sketch.count();
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
    // Most repeated values leave every register as it is: check before paying for a copy.
    if (rank(hash) <= this.sketch.output().buckets[index]!) return this;
    const copy = this.copy();
    copy.sketch.add(hash);
    return copy;
  }

  /** A new sketch counting the values of both. Precisions must match. */
  merge(other: UniqueCountSketch): UniqueCountSketch {
    if (other.precision !== this.precision) {
      throw new ConfigError(`Cannot merge HyperLogLog sketches of precision ${this.precision} and ${other.precision}; use one precision per aggregate.`);
    }
    const copy = this.copy();
    copy.sketch.merge(other.sketch.output());
    return copy;
  }

  /** One precision byte, then the registers. */
  toBytes(): Buffer {
    const registers = this.sketch.output().buckets;
    const bytes = Buffer.allocUnsafe(1 + registers.length);
    bytes[0] = this.precision;
    registers.copy(bytes, 1);
    return bytes;
  }

  private copy(): UniqueCountSketch {
    const sketch = HyperLogLog(this.precision);
    sketch.merge(this.sketch.output());
    return new UniqueCountSketch(sketch, this.precision);
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
  /** Adds `valueOf(value, key)` to the sketch, returning a new one; `null` and `undefined` leave it unchanged. */
  readonly aggregator: Aggregator<K, V, UniqueCountSketch>;
} {
  checkPrecision(precision);
  return {
    initializer: () => UniqueCountSketch.empty(precision),
    aggregator: (key, value, sketch) => {
      const distinct = valueOf(value, key);
      return distinct === null || distinct === undefined ? sketch : sketch.with(distinct);
    },
  };
}
