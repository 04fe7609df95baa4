/**
 * Warnings about dropped records, rate-limited. Every drop is counted in the task's metrics; a
 * warning is logged for the first drop of each reason, then at most once per
 * {@link DROP_WARNING_INTERVAL_MS} per task and reason, with how many were dropped since the
 * previous one. Kafka Streams warns once per record ("Skipping record for expired window"); a
 * burst of late records would flood the log the same way, so the count stands in for the lines.
 */
import type { Logger } from '../../logger.js';
import type { DropReason, TaskMetrics } from './task-metrics.js';

/** At most one warning per task and drop reason in this many milliseconds. */
export const DROP_WARNING_INTERVAL_MS = 10_000;

export class DropWarnings {
  /** Drops of each reason not yet reported in a warning. */
  private readonly unreported = new Map<DropReason, number>();
  /** When the last warning of each reason was logged, on {@link clock}. */
  private readonly warnedAt = new Map<DropReason, number>();

  constructor(
    private readonly metrics: TaskMetrics,
    private readonly logger: Logger,
    /** The task, as `<subtopology>_<partition>` (or `global`). */
    private readonly taskId: string,
    /** The task's wall clock: the test driver's mock time, the system clock otherwise. */
    private readonly clock: () => number,
  ) {}

  /**
   * Counts one dropped record. Returns how many drops of `reason` a warning should report now
   * (this one included), or 0 when one was logged less than {@link DROP_WARNING_INTERVAL_MS}
   * ago: the caller builds its message and fields only when this is above 0.
   */
  count(reason: DropReason): number {
    this.metrics.recordDropped(reason);
    const pending = (this.unreported.get(reason) ?? 0) + 1;
    const now = this.clock();
    const last = this.warnedAt.get(reason);
    if (last !== undefined && now - last < DROP_WARNING_INTERVAL_MS && now >= last) {
      this.unreported.set(reason, pending);
      return 0;
    }
    this.unreported.set(reason, 0);
    this.warnedAt.set(reason, now);
    return pending;
  }

  /** Logs the warning {@link count} asked for: `message` describes the latest drop, `fields` its record. */
  warn(dropped: number, reason: DropReason, message: string, fields: Record<string, unknown>): void {
    const since = dropped === 1 ? '' : ` ${dropped} records dropped as '${reason}' by this task since the previous such warning.`;
    this.logger.warn(`${message}${since} (At most one such warning per task every ${DROP_WARNING_INTERVAL_MS / 1000} s; every drop is counted in the metrics.)`, {
      ...fields,
      taskId: this.taskId,
      reason,
      dropped,
    });
  }
}
