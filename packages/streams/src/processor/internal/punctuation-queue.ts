/**
 * Scheduled punctuators of one task and one clock. Stream-time schedules are aligned to the
 * epoch and fire as soon as data arrives; a jump in time fires a punctuator once, not once per
 * missed interval (as in Kafka Streams).
 */
import type { Cancellable, Punctuator } from '../processor.js';
import type { ProcessorNode } from './processor-node.js';

export class PunctuationSchedule implements Cancellable {
  cancelled = false;

  constructor(
    readonly node: ProcessorNode,
    readonly intervalMs: number,
    readonly punctuator: Punctuator,
    public nextTime: number,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }

  /** Moves to the next firing time after `time`, skipping missed intervals. */
  advance(time: number): void {
    let next = this.nextTime + this.intervalMs;
    if (time >= next) next = this.nextTime + (Math.floor((time - this.nextTime) / this.intervalMs) + 1) * this.intervalMs;
    this.nextTime = next;
  }
}

export class PunctuationQueue {
  private schedules: PunctuationSchedule[] = [];

  /** The earliest time at which something is due, or +Infinity. */
  get nextTime(): number {
    return this.schedules.length === 0 ? Number.POSITIVE_INFINITY : this.schedules[0]!.nextTime;
  }

  add(schedule: PunctuationSchedule): void {
    this.schedules.push(schedule);
    this.sort();
  }

  /** Fires every schedule due at `time`; returns how many fired. */
  punctuate(time: number, fire: (schedule: PunctuationSchedule, time: number) => void): number {
    let fired = 0;
    while (this.schedules.length > 0 && this.schedules[0]!.nextTime <= time) {
      const schedule = this.schedules[0]!;
      if (schedule.cancelled) {
        this.schedules.shift();
        continue;
      }
      schedule.advance(time);
      this.sort();
      fire(schedule, time);
      fired++;
    }
    // Drop schedules cancelled while not at the head, so they do not pile up.
    if (this.schedules.some((schedule) => schedule.cancelled)) this.schedules = this.schedules.filter((schedule) => !schedule.cancelled);
    return fired;
  }

  private sort(): void {
    this.schedules.sort((a, b) => a.nextTime - b.nextTime);
  }
}
