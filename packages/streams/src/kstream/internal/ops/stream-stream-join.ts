/**
 * Windowed stream-stream joins (inner, left, outer), with Kafka Streams 3.x semantics. Each side
 * keeps its records in a window store while the other side may still join them; a record joins
 * the other side's records of its key whose timestamps lie in its join window. Left and outer
 * joins park a record that found no partner in a store both sides share, and emit it joined with
 * `null` only once its window has closed (KIP-633 / KAFKA-10847: no early "spurious" results).
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { InternalTopologyBuilder } from '../../../processor/internal/topology-builder.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import type { WindowStore } from '../../../state/window-store.js';
import type { ValueJoiner } from '../../functions.js';
import type { StreamJoined } from '../../joined.js';
import type { KStream } from '../../kstream.js';
import { JoinWindows } from '../../windows.js';
import type { KStreamImpl } from '../kstream-impl.js';
import { copartitionSourceTopics } from './join-support.js';
import { outerJoinStoreBuilder, type ParkedKey, type ParkedValues, joinWindowStoreBuilder } from './stream-stream-join-stores.js';

/** Which records without a partner a join emits: none, the left side's, or both sides'. */
export type StreamJoinKind = 'inner' | 'left' | 'outer';

/**
 * The stream time of one join in one task, shared by its two sides (Kafka Streams'
 * `TimeTracker`), and a lower bound of the parked records' timestamps that lets most records skip
 * the scan for closed windows.
 */
class JoinTimeTracker {
  streamTime = Number.NEGATIVE_INFINITY;
  /** Starts below any timestamp so that the first record scans records parked before a restart. */
  minParkedTimestamp = Number.NEGATIVE_INFINITY;
}

/** What both sides' processors of one join share. */
interface JoinSpec {
  readonly windows: JoinWindows;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly parkedStoreName: string | undefined;
  /** One tracker per task, found by the task's context so that tasks and test drivers never share one. */
  readonly trackers: WeakMap<TaskContext, JoinTimeTracker>;
}

/** One side of the join: where it writes, where it looks, and which way its window extends. */
interface SideSpec {
  readonly leftSide: boolean;
  readonly thisStoreName: string;
  readonly otherStoreName: string;
  /** How far before this side's record the other side's records may be. */
  readonly lookBehindMs: number;
  /** How far after; also how long after its timestamp this side's record can still be joined. */
  readonly lookAheadMs: number;
  /** Whether this side's records without a partner are emitted with `null`. */
  readonly emitsUnmatched: boolean;
}

class StreamStreamJoinProcessor<K> implements Processor<K, unknown, K, unknown> {
  private context!: ProcessorContext<K, unknown>;
  private task!: TaskContext;
  private tracker!: JoinTimeTracker;
  private thisStore!: WindowStore<K, unknown>;
  private otherStore!: WindowStore<K, unknown>;
  private parked: KeyValueStore<ParkedKey<K>, ParkedValues> | undefined;
  private readonly graceMs: number;
  /** A parked record older than stream time minus this has a closed window, whichever its side. */
  private readonly shortestLookAheadMs: number;

  constructor(
    private readonly join: JoinSpec,
    private readonly side: SideSpec,
  ) {
    this.graceMs = join.windows.graceMs;
    this.shortestLookAheadMs = Math.min(join.windows.beforeMs, join.windows.afterMs);
  }

  init(context: ProcessorContext<K, unknown>): void {
    this.context = context;
    this.task = internalContext(context);
    this.thisStore = context.getStateStore<WindowStore<K, unknown>>(this.side.thisStoreName);
    this.otherStore = context.getStateStore<WindowStore<K, unknown>>(this.side.otherStoreName);
    const parkedName = this.join.parkedStoreName;
    this.parked = parkedName === undefined ? undefined : context.getStateStore<KeyValueStore<ParkedKey<K>, ParkedValues>>(parkedName);
    let tracker = this.join.trackers.get(this.task);
    if (tracker === undefined) {
      tracker = new JoinTimeTracker();
      this.join.trackers.set(this.task, tracker);
    }
    this.tracker = tracker;
  }

  process(record: StreamRecord<K, unknown>): void {
    const timestamp = record.timestamp;
    const tracker = this.tracker;
    // Every record moves the join's stream time, even one dropped below (as in Kafka Streams).
    if (timestamp > tracker.streamTime) tracker.streamTime = timestamp;
    const key = record.key;
    const value = record.value;
    if (key === null || key === undefined) {
      this.task.metrics.recordDropped('null-key');
      return;
    }
    // A null value means "no record" to the joiner of left and outer joins, so it cannot be joined.
    if (value === null || value === undefined) {
      this.task.metrics.recordDropped('null-value');
      return;
    }
    // Late: its window closed (plus grace) before it arrived; the other side has moved on.
    if (timestamp + this.side.lookAheadMs + this.graceMs < tracker.streamTime) {
      this.task.metrics.recordDropped('late-record');
      return;
    }
    if (this.parked !== undefined && timestamp === tracker.streamTime) this.emitClosedWindows(record);

    this.thisStore.put(key, value, timestamp);
    let matched = false;
    const from = Math.max(0, timestamp - this.side.lookBehindMs);
    for (const other of this.otherStore.fetchRange(key, from, timestamp + this.side.lookAheadMs)) {
      matched = true;
      if (this.parked !== undefined) this.unpark(key, other.key, !this.side.leftSide);
      const joined = this.side.leftSide ? this.join.joiner(value, other.value) : this.join.joiner(other.value, value);
      this.context.forward(new StreamRecord(key, joined, Math.max(timestamp, other.key), record.headers));
    }
    if (!matched && this.side.emitsUnmatched && this.parked !== undefined) this.park(key, value, timestamp);
  }

  private park(key: K, value: unknown, timestamp: number): void {
    const parked = this.parked!;
    const parkedKey: ParkedKey<K> = { timestamp, leftSide: this.side.leftSide, key };
    // Several records may share key, side and timestamp: keep them all, each is one result.
    const existing = parked.get(parkedKey);
    parked.put(parkedKey, { leftSide: this.side.leftSide, values: existing === undefined ? [value] : [...existing.values, value] });
    if (timestamp < this.tracker.minParkedTimestamp) this.tracker.minParkedTimestamp = timestamp;
  }

  /** The other side's records at `timestamp` found a partner: they must not be emitted with null. */
  private unpark(key: K, timestamp: number, leftSide: boolean): void {
    const parkedKey: ParkedKey<K> = { timestamp, leftSide, key };
    // Read first, so that a join of already-emitted records writes no tombstone to the changelog.
    if (this.parked!.get(parkedKey) !== undefined) this.parked!.delete(parkedKey);
  }

  /** Emits, joined with null, every parked record whose window has closed, oldest first. */
  private emitClosedWindows(trigger: StreamRecord<K, unknown>): void {
    const streamTime = this.tracker.streamTime;
    const grace = this.graceMs;
    if (this.tracker.minParkedTimestamp + this.shortestLookAheadMs + grace >= streamTime) return;
    const parked = this.parked!;
    const windows = this.join.windows;
    const emitted: ParkedKey<K>[] = [];
    let oldestRemaining = Number.POSITIVE_INFINITY;
    for (const entry of parked.all()) {
      const timestamp = entry.key.timestamp;
      if (timestamp + this.shortestLookAheadMs + grace >= streamTime) {
        // Entries are in timestamp order: no later one can have a closed window.
        if (timestamp < oldestRemaining) oldestRemaining = timestamp;
        break;
      }
      // A left record joins right records up to `after` later; a right record left ones up to `before` later.
      const lookAhead = entry.key.leftSide ? windows.afterMs : windows.beforeMs;
      if (timestamp + lookAhead + grace >= streamTime) {
        if (timestamp < oldestRemaining) oldestRemaining = timestamp;
        continue;
      }
      const values = entry.value.values;
      for (let index = 0; index < values.length; index++) {
        const joined = entry.key.leftSide ? this.join.joiner(values[index], null) : this.join.joiner(null, values[index]);
        this.context.forward(new StreamRecord(entry.key.key, joined, timestamp, trigger.headers));
      }
      emitted.push(entry.key);
    }
    // Deleted after the scan: the iterator must not see the store change under it.
    for (const parkedKey of emitted) parked.delete(parkedKey);
    this.tracker.minParkedTimestamp = oldestRemaining;
  }

  close(): void {
    this.join.trackers.delete(this.task);
  }
}

function sideSupplier<K>(join: JoinSpec, side: SideSpec): ProcessorSupplier<K, unknown, K, unknown> {
  return () => new StreamStreamJoinProcessor<K>(join, side);
}

/** Names of a join's nodes and stores, from `StreamJoined` or generated as Kafka Streams does. */
function joinNames(topology: InternalTopologyBuilder, kind: StreamJoinKind, options: StreamJoined<any, any, any>) {
  const name = options.name;
  const thisName = name !== undefined ? `${name}-this-join` : topology.newName(kind === 'outer' ? 'KSTREAM-OUTERTHIS-' : 'KSTREAM-JOINTHIS-');
  const otherName = name !== undefined ? `${name}-other-join` : topology.newName(kind === 'inner' ? 'KSTREAM-JOINOTHER-' : 'KSTREAM-OUTEROTHER-');
  const mergeName = name !== undefined ? `${name}-merge` : topology.newName('KSTREAM-MERGE-');
  const storeBase = options.storeName ?? name ?? thisName;
  return {
    thisName,
    otherName,
    mergeName,
    repartitionBase: name ?? thisName,
    thisStore: `${storeBase}-this-join-store`,
    otherStore: `${storeBase}-other-join-store`,
    parkedStore: `${storeBase}-outer-shared-join-store`,
  };
}

/**
 * Adds a stream-stream join of `left` and `right` to their topology and returns the joined
 * stream. Either side is repartitioned first if its key may have changed; both sides' topics
 * must then be co-partitioned, which the runtime checks.
 */
export function joinStreams<K, V, VO, VR>(
  left: KStreamImpl<K, V>,
  right: KStreamImpl<K, VO>,
  joiner: ValueJoiner<any, any, VR>,
  windows: JoinWindows,
  options: StreamJoined<K, V, VO> | undefined,
  kind: StreamJoinKind,
): KStream<K, VR> {
  const operator = kind === 'inner' ? 'join' : kind === 'left' ? 'leftJoin' : 'outerJoin';
  if (typeof joiner !== 'function') throw new TopologyError(`${operator}() takes a ValueJoiner function as its second argument.`);
  if (!(windows instanceof JoinWindows)) {
    throw new TopologyError(`${operator}() of two streams takes JoinWindows as its third argument, for example JoinWindows.ofTimeDifferenceWithNoGrace(60_000).`);
  }
  const streamJoined: StreamJoined<K, V, VO> = options ?? {};
  const topology = left.topology;
  const names = joinNames(topology, kind, streamJoined);
  const keySerde = streamJoined.keySerde ?? left.keySerde ?? right.keySerde;
  const leftValueSerde = streamJoined.valueSerde ?? left.valueSerde;
  const rightValueSerde = streamJoined.otherValueSerde ?? right.valueSerde;

  const leftInput = left.repartitionRequired ? left.repartitionThrough(`${names.repartitionBase}-left`, keySerde, leftValueSerde, undefined) : left;
  const rightInput = right.repartitionRequired ? right.repartitionThrough(`${names.repartitionBase}-right`, keySerde, rightValueSerde, undefined) : right;
  topology.addCopartitionGroup([...copartitionSourceTopics(topology, leftInput.nodeName), ...copartitionSourceTopics(topology, rightInput.nodeName)]);

  const join: JoinSpec = {
    windows,
    joiner: joiner as ValueJoiner<unknown, unknown, unknown>,
    parkedStoreName: kind === 'inner' ? undefined : names.parkedStore,
    trackers: new WeakMap(),
  };
  const leftSide: SideSpec = {
    leftSide: true,
    thisStoreName: names.thisStore,
    otherStoreName: names.otherStore,
    lookBehindMs: windows.beforeMs,
    lookAheadMs: windows.afterMs,
    emitsUnmatched: kind !== 'inner',
  };
  const rightSide: SideSpec = {
    leftSide: false,
    thisStoreName: names.otherStore,
    otherStoreName: names.thisStore,
    lookBehindMs: windows.afterMs,
    lookAheadMs: windows.beforeMs,
    emitsUnmatched: kind === 'outer',
  };
  const thisJoined = leftInput.addChild<K, VR>(sideSupplier<K>(join, leftSide), 'KSTREAM-JOINTHIS-', { name: names.thisName }, keySerde, undefined, false);
  const otherJoined = rightInput.addChild<K, VR>(sideSupplier<K>(join, rightSide), 'KSTREAM-JOINOTHER-', { name: names.otherName }, keySerde, undefined, false);

  const logging = streamJoined.loggingEnabled ?? true;
  const processors = [names.thisName, names.otherName];
  topology.addStateStore(joinWindowStoreBuilder(names.thisStore, windows, keySerde, leftValueSerde, logging, topology.dslStoreSuppliers), processors);
  topology.addStateStore(joinWindowStoreBuilder(names.otherStore, windows, keySerde, rightValueSerde, logging, topology.dslStoreSuppliers), processors);
  if (join.parkedStoreName !== undefined) {
    topology.addStateStore(outerJoinStoreBuilder(join.parkedStoreName, keySerde, leftValueSerde, rightValueSerde, logging, topology.dslStoreSuppliers), processors);
  }
  return thisJoined.merge(otherJoined, { name: names.mergeName });
}
