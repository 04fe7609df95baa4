/** Counters of one task: what it processed, and every record it dropped, by reason. */
import { SampledStat } from '../../metrics/internal/sampled-stat.js';
import type { StoreSensors } from '../../metrics/internal/store-sensors.js';
import type { DropReason } from '../drop-reason.js';

export type { DropReason };

/** Every drop reason, in a fixed order (metrics report each, 0 included). */
export const dropReasons: readonly DropReason[] = [
  'deserialization-error',
  'invalid-timestamp',
  'processing-error',
  'production-error',
  'null-key',
  'null-value',
  'late-record',
  'expired-window',
  'suppression-buffer-full',
];

/** The records one suppression node emitted: a field the node increments. */
export interface SuppressionEmitCounter {
  /** Records emitted since the task was created. */
  count: number;
}

/** The records one source node handed to the topology: a field the task increments. */
export interface SourceProcessCounter {
  /** Records processed at this source node since the task was created. */
  count: number;
}

/** What a suppression buffer holds, sampled each time it changes (Kafka's `suppression-buffer-size` and `-count`). */
export interface SuppressionBufferSensors {
  /** The buffer's size in bytes, as the suppression counts it against `maxBytes`. */
  readonly size: SampledStat;
  /** The records the buffer holds. */
  readonly count: SampledStat;
}

/**
 * Plain counters, not a metrics registry: the hot path only increments fields, and drivers read
 * them (the test driver exposes them, the Kafka runtime exports them).
 */
export class TaskMetrics {
  /**
   * Input records run through the topology since the task was created. Records dropped before
   * that (undeserializable, invalid timestamp) are not counted here, only in {@link dropped}.
   */
  processed = 0;
  /** Punctuator calls fired, stream-time and wall-clock together. */
  punctuations = 0;
  /**
   * Records processed while some input partition was empty and the task had waited for it as long
   * as `maxTaskIdleMs` allows (Kafka's `enforced-processing`): their order against that
   * partition's next records is not guaranteed.
   */
  enforcedProcessing = 0;
  /** Records dropped, by reason; a reason absent from the map has dropped none. */
  readonly dropped = new Map<DropReason, number>();
  /**
   * How far stream time was ahead of the wall clock at the last wall-clock check, ms; 0 when it
   * was not ahead. More than a little means a record stamped in the future moved stream time,
   * and records stamped now are late for any window with less grace than that.
   */
  streamTimeAheadOfWallClockMs = 0;
  /** Changelog records restored into the task's stores (the Kafka runtime counts them). */
  restored = 0;
  /** Changelog records still to restore before the task can process (KIP-869); 0 once it runs. */
  restoreRemaining = 0;
  /** Time the driver spent processing this task, ms per pass (the Kafka runtime times each batch). */
  readonly processTime = new SampledStat();
  /** How far each record's timestamp was behind the task's stream time, ms; recorded at `DEBUG` only. */
  readonly lateness = new SampledStat();
  /**
   * End-to-end latency per source and sink node (wall clock minus record timestamp, ms; the wall
   * clock as of the driver's last batch or punctuation check, so no clock is read per record).
   */
  readonly endToEndLatency = new Map<string, SampledStat>();
  /** Records processed per source node (Kafka's per-node `process-total`, recorded at its source nodes only). */
  readonly sourceProcessed = new Map<string, SourceProcessCounter>();
  /** Timed store operations per store, at `DEBUG`. */
  readonly stores = new Map<string, StoreSensors>();
  /** Records each suppression node emitted, by node name. */
  readonly suppressionEmits = new Map<string, SuppressionEmitCounter>();
  /** The size and count of each suppression buffer, by its store name; recorded at `DEBUG` only. */
  readonly suppressionBuffers = new Map<string, SuppressionBufferSensors>();

  /** The process counter of a source node, created on first use; the task increments `count`. */
  sourceProcessCounter(nodeName: string): SourceProcessCounter {
    let counter = this.sourceProcessed.get(nodeName);
    if (counter === undefined) this.sourceProcessed.set(nodeName, (counter = { count: 0 }));
    return counter;
  }

  /** The size and count stats of a suppression buffer, created on first use. */
  suppressionBufferSensors(storeName: string): SuppressionBufferSensors {
    let sensors = this.suppressionBuffers.get(storeName);
    if (sensors === undefined) this.suppressionBuffers.set(storeName, (sensors = { size: new SampledStat(), count: new SampledStat() }));
    return sensors;
  }

  /** The emit counter of a suppression node, created on first use; the node increments `count`. */
  suppressionEmitCounter(nodeName: string): SuppressionEmitCounter {
    let counter = this.suppressionEmits.get(nodeName);
    if (counter === undefined) this.suppressionEmits.set(nodeName, (counter = { count: 0 }));
    return counter;
  }

  /** Counts `count` records dropped for `reason`. */
  recordDropped(reason: DropReason, count = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }

  /** Records dropped for any reason. */
  droppedTotal(): number {
    let total = 0;
    for (const count of this.dropped.values()) total += count;
    return total;
  }
}
