/**
 * The windowed statistics behind Kafka's rate, average, minimum and maximum metrics (its
 * `SampledStat` with `metrics.sample.window.ms` = 30 s and `metrics.num.samples` = 2), made cheap
 * enough for the hot path: recording only updates fields; the samples roll when the metric is
 * read, so recording never reads a clock.
 */

/** Kafka's `metrics.sample.window.ms` default. */
export const SAMPLE_WINDOW_MS = 30_000;

/** Values recorded in a window of two samples: count, sum, min and max, and the count since creation. */
export class SampledStat {
  /** Values recorded since creation. */
  total = 0;
  /** Sum of all values recorded since creation. */
  totalSum = 0;
  private count = 0;
  private sum = 0;
  private max = Number.NEGATIVE_INFINITY;
  private min = Number.POSITIVE_INFINITY;
  private previousCount = 0;
  private previousSum = 0;
  private previousMax = Number.NEGATIVE_INFINITY;
  private previousMin = Number.POSITIVE_INFINITY;
  /** When the current sample started; NaN until the first read. */
  private sampleStart = Number.NaN;
  private previousStart = Number.NaN;

  /** Records one value: plain field updates, no allocation. */
  record(value: number): void {
    this.total++;
    this.totalSum += value;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
  }

  /** Starts a new sample when the current one is a window old. Called on read. */
  roll(now: number): void {
    if (Number.isNaN(this.sampleStart)) {
      this.sampleStart = now;
      return;
    }
    if (now - this.sampleStart < SAMPLE_WINDOW_MS) return;
    // A sample older than two windows holds nothing of the window any more.
    const stale = now - this.sampleStart >= 2 * SAMPLE_WINDOW_MS;
    this.previousCount = stale ? 0 : this.count;
    this.previousSum = stale ? 0 : this.sum;
    this.previousMax = stale ? Number.NEGATIVE_INFINITY : this.max;
    this.previousMin = stale ? Number.POSITIVE_INFINITY : this.min;
    this.previousStart = stale ? now - SAMPLE_WINDOW_MS : this.sampleStart;
    this.count = 0;
    this.sum = 0;
    this.max = Number.NEGATIVE_INFINITY;
    this.min = Number.POSITIVE_INFINITY;
    this.sampleStart = now;
  }

  /** Values per second over the window (at least one sample window long, as Kafka's `Rate`). */
  rate(now: number): number {
    this.roll(now);
    return ((this.previousCount + this.count) * 1000) / windowMs(now, this.previousStart, this.sampleStart);
  }

  /** The sum of the window's values per second of the window: the share of time spent, for durations in ms. */
  sumRate(now: number): number {
    this.roll(now);
    return (this.previousSum + this.sum) / windowMs(now, this.previousStart, this.sampleStart);
  }

  /** The window's average; NaN when it holds no value. */
  average(now: number): number {
    this.roll(now);
    const count = this.previousCount + this.count;
    return count === 0 ? Number.NaN : (this.previousSum + this.sum) / count;
  }

  /** The window's largest value; NaN when it holds none. */
  maximum(now: number): number {
    this.roll(now);
    const max = Math.max(this.previousMax, this.max);
    return max === Number.NEGATIVE_INFINITY ? Number.NaN : max;
  }

  /** The window's smallest value; NaN when it holds none. */
  minimum(now: number): number {
    this.roll(now);
    const min = Math.min(this.previousMin, this.min);
    return min === Number.POSITIVE_INFINITY ? Number.NaN : min;
  }
}

/**
 * The rate of a counter kept elsewhere as a plain field (records processed, dropped): the counter
 * is read at each roll, so the hot path does nothing more than increment it.
 */
export class CounterRate {
  private sampleStart = Number.NaN;
  private sampleStartTotal = 0;
  private previousStart = Number.NaN;
  private previousStartTotal = 0;

  /** Counts per second over the window, given the counter's value now. */
  rate(total: number, now: number): number {
    if (Number.isNaN(this.sampleStart)) {
      // First read: the counter counted since its creation, which the window cannot place in time.
      this.sampleStart = now;
      this.sampleStartTotal = 0;
    } else if (now - this.sampleStart >= SAMPLE_WINDOW_MS) {
      this.previousStart = this.sampleStart;
      this.previousStartTotal = this.sampleStartTotal;
      this.sampleStart = now;
      this.sampleStartTotal = total;
    }
    const fromTotal = Number.isNaN(this.previousStart) ? this.sampleStartTotal : this.previousStartTotal;
    return ((total - fromTotal) * 1000) / windowMs(now, this.previousStart, this.sampleStart);
  }
}

/** The window's length: from its oldest sample's start, and at least one sample window (Kafka's `Rate`). */
function windowMs(now: number, previousStart: number, sampleStart: number): number {
  const oldest = Number.isNaN(previousStart) ? sampleStart : previousStart;
  return Math.max(now - oldest, SAMPLE_WINDOW_MS);
}

/**
 * An internal setting (in `appConfigs`, as Kafka's `__...__` internal settings): `true` turns off
 * the engine's per-record sensors (end-to-end latency, per-source-node counts), so a benchmark can
 * measure what they cost against the same build. Not for applications: metrics then read `NaN`.
 */
export const perRecordSensorsOffConfig = '__tributary.metrics.per.record.sensors.off__';

/** Whether `appConfigs` turns the per-record sensors off (see {@link perRecordSensorsOffConfig}). */
export function perRecordSensorsOff(appConfigs: Readonly<Record<string, unknown>>): boolean {
  return appConfigs[perRecordSensorsOffConfig] === true;
}
