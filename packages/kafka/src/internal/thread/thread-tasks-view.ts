/**
 * What a stream thread shows the application of its tasks, apart from running them: the running
 * tasks' ids and store instances (for interactive queries), its standbys' (for stale queries), and
 * the counters and sensors the metrics read. `StreamThread` extends it; it reads, never changes,
 * the thread's task manager and standbys.
 */
import type { StateStore } from '@tributary/streams';
import { ThreadSensors, type DropReason, type ThreadView } from '@tributary/streams/engine';
import type { StandbyTasks } from '../standby-tasks.js';
import type { TaskKey } from '../task-assignor.js';
import type { TaskManager } from '../task-manager.js';

export abstract class ThreadTasksView {
  /** What the thread records for its metrics: per batch, commit and punctuation pass, never per record. */
  readonly sensors = new ThreadSensors(Date.now());
  protected abstract readonly taskManager: TaskManager;
  /** Warm copies of other members' tasks, when `numStandbyReplicas` is above 0. */
  protected abstract readonly standbys: StandbyTasks | undefined;

  /** @param threadId Kafka's `thread-id` tag of the thread's metrics. */
  protected constructor(private readonly threadId: string) {}

  /** Task ids of running tasks, as `<subtopology>_<partition>`. */
  taskIds(): string[] {
    return this.taskManager.taskIds();
  }

  /** The running tasks' instances of a store. */
  storesNamed(name: string): StateStore[] {
    return this.taskManager.storesNamed(name);
  }

  /** The instance of a store in task `key`, when that task runs here: `'restoring'` while it restores, `undefined` when not here. */
  storeOfTask(key: TaskKey, name: string): StateStore | 'restoring' | undefined {
    const managed = this.taskManager.tasks.get(key);
    if (managed === undefined || managed.state === 'closed') return undefined;
    if (managed.state !== 'running') return 'restoring';
    return managed.task.stores.get(name);
  }

  /** A read-only instance of standby task `key`'s store, for stale queries; `undefined` when this thread holds no such standby. */
  standbyStoreOfTask(key: TaskKey, name: string): StateStore | undefined {
    return this.standbys?.storeOf(key, name);
  }

  /** Read-only instances of this thread's standby tasks' store `name`, for stale queries. */
  standbyStoresNamed(name: string): StateStore[] {
    return this.standbys?.storesNamed(name) ?? [];
  }

  /** Standby tasks held, as `<subtopology>_<partition>`. */
  standbyTaskIds(): string[] {
    return this.standbys?.keys() ?? [];
  }

  /** Records processed since start, by tasks closed since included. */
  processedCount(): number {
    return this.taskManager.processedCount();
  }

  /** Records dropped since start, by reason, by tasks closed since included. */
  droppedCounts(): Map<DropReason, number> {
    return this.taskManager.droppedCounts();
  }

  /** Changelog records restored into stores since start. */
  get restoredRecords(): number {
    return this.taskManager.restoredRecords;
  }

  /** Changelog records applied to standby stores since start. */
  get standbyRecords(): number {
    return this.standbys?.applied ?? 0;
  }

  /** The furthest a running task's stream time is ahead of the wall clock, ms, at the last tick. */
  streamTimeAheadOfWallClockMs(): number {
    return this.taskManager.streamTimeAheadOfWallClockMs();
  }

  /** The thread's sensors and tasks, for the metrics reader. */
  metricsView(): ThreadView {
    const sensors = this.sensors;
    sensors.closedTaskPunctuations = this.taskManager.closedPunctuations;
    return { threadId: this.threadId, sensors, tasks: [...this.taskManager.tasks.values()].map((managed) => managed.task), polls: true, timesTasks: true };
  }
}
