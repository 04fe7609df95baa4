/**
 * Unique counts in little memory: a HyperLogLog sketch (hyperloglog-lite's hash, registers and
 * estimate) for counting distinct users, sessions or any other values per key or window.
 *
 * Error bound: with precision p the sketch has 2^p registers and a relative standard error of
 * 1.04 / sqrt(2^p): 1.63% at the default p = 12, 0.81% at p = 14. About 95% of estimates fall
 * within twice that. Small counts (below about 2.5 * 2^p) use linear counting and are near exact.
 *
 * Size: a sketch starts sparse, as in HyperLogLog++: only its non-zero registers, 4 bytes each in
 * memory and 2 to 3 encoded (a sketch of 10 values is about 32 bytes encoded), and turns dense
 * (2^p bytes: 4 KiB at p = 12) once more than 2^p / 4 registers are non-zero, where dense is no
 * larger. Either way the registers, and so the estimate, are the same.
 */
import { ConfigError, DeserializationError } from '../errors/streams-error.js';
import type { Headers } from '../processor/headers.js';
import type { Serde } from '../serde/serde.js';
import type { Aggregator, Initializer } from '../kstream/functions.js';
import { decodeSparse, encodeSparse, isDenseFormat, MAX_PRECISION, MIN_PRECISION, SPARSE_FORMAT } from './internal/sketch-bytes.js';
import { entriesOf, entryOf, indexOf, MAX_RANK, NO_ENTRIES, positionOf, rankOf, registersOf, sparseLimit, unionOf, withInserted } from './internal/sparse-registers.js';
import { withInPlaceParts } from '../kstream/in-place-aggregator.js';
import { hashValue } from './internal/value-hash.js';

/** The default precision: 4096 registers, 1.63% relative standard error. */
export const DEFAULT_SKETCH_PRECISION = 12;

function checkPrecision(precision: number): number {
  if (!Number.isInteger(precision) || precision < MIN_PRECISION || precision > MAX_PRECISION) {
    throw new ConfigError(`HyperLogLog option 'precision' must be an integer from ${MIN_PRECISION} to ${MAX_PRECISION}, got ${precision}.`);
  }
  return precision;
}

/** 2^-r for every register value r (at most 65). */
const INVERSE_POWERS = Float64Array.from({ length: 66 }, (_, register) => 2 ** -register);

/** The running sums of dense registers, as {@link denseSums} reads them. */
interface DenseSums {
  readonly sum: number;
  readonly zeros: number;
}

/**
 * The sum of 2^-register over dense registers, and how many are 0, checking that each is a rank
 * hyperloglog-lite could have written.
 *
 * The sum is hyperloglog-lite's to the last bit (its `merge` adds the registers one after
 * another from 0). Four sums over every fourth register, added at the end, are the same number
 * whenever every partial sum is exact: each term is a multiple of 2^-31 when no register is above
 * 31, and no sum exceeds 2^18 (the most registers), so 49 bits hold any of them and no addition
 * rounds. A register above 31 (a value whose hash starts with 31 zero bits, about one value in
 * two billion, or bytes that are not a sketch) sends the registers to the one-at-a-time sum,
 * which also names a register out of range. A dense sketch has at least 16 registers, a
 * multiple of four.
 */
function denseSums(registers: Buffer): DenseSums {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let zeros = 0;
  let bits = 0;
  for (let index = 0; index < registers.length; index += 4) {
    const a = registers[index]!;
    const b = registers[index + 1]!;
    const c = registers[index + 2]!;
    const d = registers[index + 3]!;
    bits |= a | b | c | d;
    // (r - 1) >>> 31 is 1 for a 0 register and 0 for any other byte.
    zeros += ((a - 1) >>> 31) + ((b - 1) >>> 31) + ((c - 1) >>> 31) + ((d - 1) >>> 31);
    sum0 += INVERSE_POWERS[a & 31]!;
    sum1 += INVERSE_POWERS[b & 31]!;
    sum2 += INVERSE_POWERS[c & 31]!;
    sum3 += INVERSE_POWERS[d & 31]!;
  }
  if (bits <= 31) return { sum: sum0 + sum1 + (sum2 + sum3), zeros };
  return denseSumsInOrder(registers);
}

/** {@link denseSums} one register at a time, in hyperloglog-lite's order; throws on a register above its highest rank. */
function denseSumsInOrder(registers: Buffer): DenseSums {
  let sum = 0;
  let zeros = 0;
  for (let index = 0; index < registers.length; index++) {
    const register = registers[index]!;
    if (register > MAX_RANK) {
      throw new DeserializationError(`Not a HyperLogLog sketch: register ${index} of the dense format is ${register}; hyperloglog-lite's registers are at most ${MAX_RANK}.`);
    }
    if (register === 0) zeros++;
    sum += INVERSE_POWERS[register]!;
  }
  return { sum, zeros };
}

/**
 * An estimate of the number of distinct values added.
 *
 * **Two ways to update.** {@link UniqueCountSketch.with} and {@link UniqueCountSketch.merge} never
 * change a sketch: `with` returns a new sketch when a value changes a register and the same sketch
 * when it does not, so aggregates held by a table or cache keep correct old values. Use them
 * whenever the sketch may be held elsewhere (an aggregator's input is). {@link
 * UniqueCountSketch.addInPlace} and {@link UniqueCountSketch.mergeInPlace} change this sketch
 * and allocate nothing unless it grows: only for a sketch the caller owns, one it made with
 * {@link UniqueCountSketch.empty}, {@link UniqueCountSketch.copy} or {@link
 * UniqueCountSketch.fromBytes} and has handed to nobody.
 *
 * **Sparse, then dense.** A sketch holds only its non-zero registers (a sorted list of
 * register and rank) until more than a quarter of its registers are non-zero, then all 2^p
 * registers. The sparse list is exact, not an approximation: it holds the very registers the
 * dense sketch would, so {@link UniqueCountSketch.count} is hyperloglog-lite's estimate for the
 * same values at every size, sparse or dense. That is a choice over HyperLogLog++'s exact counts
 * below the threshold: one estimator throughout means a count never jumps when a sketch turns
 * dense, and every count stays what it was before sparse sketches (the flagship's outputs, its
 * verifier and the Java reference's `Hll` agree value for value); linear counting is within
 * about 1% at these sizes anyway.
 *
 * Values are hashed with hyperloglog-lite's hash and placed in its registers, and the estimate is
 * its formula, carried as running sums so that `count()` is cheap.
 */
export class UniqueCountSketch {
  private constructor(
    /** log2 of the number of registers. */
    readonly precision: number,
    /** Every register, one byte each, once dense; `undefined` while sparse. */
    private registers: Buffer | undefined,
    /** While sparse: the non-zero registers, `entries[0, size)`, sorted `index << 7 | rank`. */
    private entries: Uint32Array,
    /** While sparse: how many of `entries` are in use. */
    private size: number,
    /** The sum of 2^-register over all registers. */
    private sumOfInverses: number,
    /** Registers still 0. */
    private zeroRegisters: number,
  ) {}

  /** An empty sketch (sparse, holding nothing). */
  static empty(precision = DEFAULT_SKETCH_PRECISION): UniqueCountSketch {
    const registers = 2 ** checkPrecision(precision);
    return new UniqueCountSketch(precision, undefined, NO_ENTRIES, 0, registers, registers);
  }

  /**
   * Rebuilds a sketch from {@link UniqueCountSketch.toBytes} output, in the sparse format or the
   * dense one (the only format before sparse sketches, so changelogs and stores written then still
   * restore). A dense sketch with few enough non-zero registers comes back sparse.
   */
  static fromBytes(bytes: Buffer): UniqueCountSketch {
    const format = bytes[0];
    if (format === SPARSE_FORMAT) return UniqueCountSketch.fromEntries(bytes[1]!, decodeSparse(bytes));
    if (format === undefined || !isDenseFormat(format) || bytes.length !== 1 + 2 ** format) {
      throw new DeserializationError(
        `Not a HyperLogLog sketch: ${bytes.length} bytes starting with byte ${String(format)}; expected a precision byte from ${MIN_PRECISION} to ${MAX_PRECISION} followed by 2^precision registers, or the sparse format (first byte 0x${SPARSE_FORMAT.toString(16)}).`,
      );
    }
    const precision = format;
    const registers = bytes.subarray(1);
    const { sum, zeros } = denseSums(registers);
    const nonZero = registers.length - zeros;
    if (nonZero <= sparseLimit(precision)) return new UniqueCountSketch(precision, undefined, entriesOf(registers, nonZero), nonZero, sum, zeros);
    return new UniqueCountSketch(precision, Buffer.from(registers), NO_ENTRIES, 0, sum, zeros);
  }

  /** A sparse sketch of `entries` (sorted, exactly as long as its registers), dense if they are too many. */
  private static fromEntries(precision: number, entries: Uint32Array): UniqueCountSketch {
    const registers = 2 ** precision;
    let sum = registers - entries.length;
    for (let position = 0; position < entries.length; position++) sum += INVERSE_POWERS[rankOf(entries[position]!)]!;
    const sketch = new UniqueCountSketch(precision, undefined, entries, entries.length, sum, registers - entries.length);
    if (entries.length > sparseLimit(precision)) sketch.turnDense();
    return sketch;
  }

  /** The estimated number of distinct values added (hyperloglog-lite's estimate). */
  count(): number {
    const registers = 2 ** this.precision;
    let estimate = ((0.7213 / (1 + 1.079 / registers)) * registers * registers) / this.sumOfInverses;
    // Small cardinalities: linear counting.
    if (this.zeroRegisters > 0 && estimate < 2.5 * registers) estimate = registers * Math.log(registers / this.zeroRegisters);
    return Math.floor(estimate + 0.5);
  }

  /** The relative standard error of {@link UniqueCountSketch.count}, `1.04 / sqrt(2^precision)`. */
  get relativeError(): number {
    return 1.04 / Math.sqrt(2 ** this.precision);
  }

  /** Whether the sketch holds only its non-zero registers (it turns dense past 2^precision / 4 of them). */
  get isSparse(): boolean {
    return this.registers === undefined;
  }

  /**
   * This sketch with `value` added: a new sketch if a register changed, else this one. Values
   * are hashed by their string form, so `1` and `'1'` count as one value.
   */
  with(value: string | number | bigint): UniqueCountSketch {
    const hash = hashValue(String(value));
    const index = hash.first >>> (32 - this.precision);
    const next = hash.rank;
    const registers = this.registers;
    if (registers !== undefined) {
      const previous = registers[index]!;
      // Most repeated values leave every register as it is: no copy then.
      if (next <= previous) return this;
      const copy = new UniqueCountSketch(this.precision, Buffer.from(registers), NO_ENTRIES, 0, this.sumOfInverses, this.zeroRegisters);
      copy.raiseDense(index, previous, next);
      return copy;
    }
    const position = positionOf(this.entries, this.size, index);
    const found = position < this.size && indexOf(this.entries[position]!) === index;
    const previous = found ? rankOf(this.entries[position]!) : 0;
    if (next <= previous) return this;
    if (found) {
      const entries = this.entries.slice(0, this.size);
      entries[position] = entryOf(index, next);
      return new UniqueCountSketch(this.precision, undefined, entries, this.size, this.raisedSum(previous, next), this.zeroRegisters);
    }
    if (this.size < sparseLimit(this.precision)) {
      const entries = withInserted(this.entries, this.size, position, entryOf(index, next));
      return new UniqueCountSketch(this.precision, undefined, entries, this.size + 1, this.raisedSum(0, next), this.zeroRegisters - 1);
    }
    const copy = new UniqueCountSketch(this.precision, registersOf(this.entries, this.size, this.precision), NO_ENTRIES, 0, this.sumOfInverses, this.zeroRegisters);
    copy.raiseDense(index, 0, next);
    return copy;
  }

  /**
   * Adds `value` to this sketch, changing it: only for a sketch the caller owns (see the class
   * documentation); otherwise use {@link UniqueCountSketch.with}. Returns whether a register
   * changed.
   */
  addInPlace(value: string | number | bigint): boolean {
    const hash = hashValue(String(value));
    return this.raise(hash.first >>> (32 - this.precision), hash.rank);
  }

  /** A copy of this sketch that the caller owns, for {@link UniqueCountSketch.addInPlace}. */
  copy(): UniqueCountSketch {
    const registers = this.registers === undefined ? undefined : Buffer.from(this.registers);
    const entries = this.size === 0 ? NO_ENTRIES : this.entries.slice(0, this.size);
    return new UniqueCountSketch(this.precision, registers, entries, this.size, this.sumOfInverses, this.zeroRegisters);
  }

  /** A new sketch counting the values of both. Precisions must match. */
  merge(other: UniqueCountSketch): UniqueCountSketch {
    this.checkSamePrecision(other);
    if (this.registers === undefined && other.registers === undefined) {
      return UniqueCountSketch.fromEntries(this.precision, unionOf(this.entries, this.size, other.entries, other.size));
    }
    // One of them is dense: start from a copy of a dense one and raise it by the other.
    const [dense, rest] = this.registers !== undefined ? [this, other] : [other, this];
    const merged = dense.copy();
    merged.mergeInPlace(rest);
    return merged;
  }

  /**
   * Adds the values of `other` to this sketch, changing it: only for a sketch the caller owns
   * (see the class documentation); otherwise use {@link UniqueCountSketch.merge}. Precisions
   * must match. Returns whether a register changed.
   */
  mergeInPlace(other: UniqueCountSketch): boolean {
    this.checkSamePrecision(other);
    let changed = false;
    if (other.registers === undefined) {
      for (let position = 0; position < other.size; position++) {
        const entry = other.entries[position]!;
        if (this.raise(indexOf(entry), rankOf(entry))) changed = true;
      }
      return changed;
    }
    if (this.registers === undefined) this.turnDense();
    const registers = this.registers!;
    const incoming = other.registers;
    for (let index = 0; index < incoming.length; index++) {
      const next = incoming[index]!;
      const previous = registers[index]!;
      if (next > previous) {
        this.raiseDense(index, previous, next);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * The sketch's bytes, for stores and topics: the sparse format while sparse, else the dense
   * one (a precision byte, then the registers). {@link UniqueCountSketch.fromBytes} reads both.
   */
  toBytes(): Buffer {
    if (this.registers === undefined) return encodeSparse(this.entries, this.size, this.precision);
    const bytes = Buffer.allocUnsafe(1 + this.registers.length);
    bytes[0] = this.precision;
    this.registers.copy(bytes, 1);
    return bytes;
  }

  /** Raises register `index` to `next` if that is higher, in place, growing or turning dense as needed. */
  private raise(index: number, next: number): boolean {
    const registers = this.registers;
    if (registers !== undefined) {
      const previous = registers[index]!;
      if (next <= previous) return false;
      this.raiseDense(index, previous, next);
      return true;
    }
    const position = positionOf(this.entries, this.size, index);
    if (position < this.size && indexOf(this.entries[position]!) === index) {
      const previous = rankOf(this.entries[position]!);
      if (next <= previous) return false;
      this.entries[position] = entryOf(index, next);
      this.sumOfInverses = this.raisedSum(previous, next);
      return true;
    }
    if (this.size >= sparseLimit(this.precision)) {
      this.turnDense();
      this.raiseDense(index, 0, next);
      return true;
    }
    if (this.size === this.entries.length) {
      const grown = new Uint32Array(Math.min(sparseLimit(this.precision), Math.max(4, this.size * 2)));
      grown.set(this.entries.subarray(0, this.size));
      this.entries = grown;
    }
    this.entries.copyWithin(position + 1, position, this.size);
    this.entries[position] = entryOf(index, next);
    this.size++;
    this.sumOfInverses = this.raisedSum(0, next);
    this.zeroRegisters--;
    return true;
  }

  /** Sets dense register `index` from `previous` to the higher `next`, keeping the running sums. */
  private raiseDense(index: number, previous: number, next: number): void {
    this.registers![index] = next;
    this.sumOfInverses = this.raisedSum(previous, next);
    if (previous === 0) this.zeroRegisters--;
  }

  /**
   * The sum of inverses after one register goes from `previous` to `next`: the same update, in
   * the same order, as hyperloglog-lite's `add`, so estimates agree to the last bit.
   */
  private raisedSum(previous: number, next: number): number {
    return this.sumOfInverses + (INVERSE_POWERS[next]! - INVERSE_POWERS[previous]!);
  }

  private turnDense(): void {
    this.registers = registersOf(this.entries, this.size, this.precision);
    this.entries = NO_ENTRIES;
    this.size = 0;
  }

  private checkSamePrecision(other: UniqueCountSketch): void {
    if (other.precision !== this.precision) {
      throw new ConfigError(`Cannot merge HyperLogLog sketches of precision ${this.precision} and ${other.precision}; use one precision per aggregate.`);
    }
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
