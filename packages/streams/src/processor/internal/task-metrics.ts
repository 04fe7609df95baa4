/** Counters of one task: what it processed, and every record it dropped, by reason. */

/** Why a record was dropped. Every drop is counted under one of these. */
export type DropReason =
  | 'deserialization-error'
  | 'invalid-timestamp'
  | 'processing-error'
  | 'production-error'
  | 'null-key'
  | 'null-value'
  | 'null-value'
  | 'late-record'
  | 'expired-window'
  | 'suppression-buffer-full';

export class TaskMetrics {
  processed = 0;
  punctuations = 0;
  readonly dropped = new Map<DropReason, number>();

  recordDropped(reason: DropReason, count = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }

  droppedTotal(): number {
    let total = 0;
    for (const count of this.dropped.values()) total += count;
    return total;
  }
}
