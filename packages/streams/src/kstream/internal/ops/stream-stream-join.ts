/**
 * Windowed stream-stream joins (inner, left, outer), record for record as Kafka Streams 3.9 runs
 * them. Each side keeps its records in a window store (retention `before + after + grace`); a
 * record joins the other side's records of its key, within its join window, that the other store
 * still retains. Nothing is dropped as late: a record out of order joins what is left.
 *
 * Left and outer joins park a record that found no partner in a store both sides share, and emit
 * it joined with `null` once its window (plus grace) has closed (KIP-633 / KAFKA-10847: no early
 * "spurious" results). A record whose join window has already passed when it arrives is emitted
 * with `null` at once. The scan for closed windows follows Kafka's `emitNonJoinedOuterRecords`
 * exactly, quirks included: it runs only for a record at stream time, at most once per emit
 * interval of wall-clock time, and only when the shared minimum time says a window may have
 * closed; that minimum is left, after a scan, at the timestamp where the scan stopped, so some
 * results come out later than their window closes, as they do in Kafka.
 *
 * Since Kafka 3.7 (KIP-962) a record with a null key on a side that keeps its unmatched records is
 * emitted joined with `null` at once; inner sides drop it.
 */
import { ConfigError, TopologyError } from '../../../errors/streams-error.js';
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
 * Kafka Streams' internal setting (`StreamsConfig.InternalConfig`) of the least wall-clock time,
 * in ms, between two scans of a left or outer join for closed windows. Default 1000; Kafka's own
 * join tests set it to 0 so that every record at stream time scans.
 */
export const outerJoinEmitIntervalConfig = '__emit.interval.ms.kstreams.outer.join.spurious.results.fix__';
const defaultOuterJoinEmitIntervalMs = 1000;

/** Kafka's `Long.MAX_VALUE` minimum time: no record parked since the last scan. */
const noMinTime = Number.POSITIVE_INFINITY;

/**
 * The time of one join in one task, shared by its two sides (Kafka Streams' `TimeTracker`): the
 * stream time, the minimum time that lets most records skip the scan for closed windows, and
 * the wall-clock time before which no scan runs.
 */
class JoinTimeTracker {
  /** Kafka's `NO_TIMESTAMP`. */
  streamTime = -1;
  minTime = noMinTime;
  nextTimeToEmit = 0;

  constructor(readonly emitIntervalMs: number) {}
}

/** What both sides' processors of one join share. */
interface JoinSpec {
  readonly windows: JoinWindows;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly parkedStoreName: string | undefined;
  /** One tracker per task, found by the task's context so that tasks and test drivers never share one. */
  readonly trackers: WeakMap<TaskContext, JoinTimeTracker>;
}

/** One side of the join: where it looks, and which way its window extends. */
interface SideSpec {
  readonly leftSide: boolean;
  /** The other side's window store, which this side's join node searches. */
  readonly otherStoreName: string;
  /** How far before this side's record the other side's records may be. */
  readonly lookBehindMs: number;
  /** How far after; also how long after its timestamp this side's record can still be joined. */
  readonly lookAheadMs: number;
  /** Whether this side's records without a partner (and with a null key) are emitted with `null`. */
  readonly emitsUnmatched: boolean;
}

/** Reads the emit interval from the app's config as Kafka does (a number or a numeric string). */
function outerJoinEmitIntervalMs(appConfigs: Readonly<Record<string, unknown>>): number {
  const configured = appConfigs[outerJoinEmitIntervalConfig];
  if (configured === undefined) return defaultOuterJoinEmitIntervalMs;
  const interval = typeof configured === 'string' && configured.trim() !== '' ? Number(configured) : configured;
  if (typeof interval !== 'number' || !Number.isInteger(interval)) {
    throw new ConfigError(`Option '${outerJoinEmitIntervalConfig}' must be a whole number of milliseconds, got ${JSON.stringify(configured)}; leave it unset for Kafka's 1000.`);
  }
  return interval;
}

class StreamStreamJoinProcessor<K> implements Processor<K, unknown, K, unknown> {
  private context!: ProcessorContext<K, unknown>;
  private task!: TaskContext;
  private tracker!: JoinTimeTracker;
  private otherStore!: WindowStore<K, unknown>;
  private parked: KeyValueStore<ParkedKey<K>, ParkedValues> | undefined;
  private readonly graceMs: number;

  constructor(
    private readonly join: JoinSpec,
    private readonly side: SideSpec,
  ) {
    this.graceMs = join.windows.graceMs;
  }

  init(context: ProcessorContext<K, unknown>): void {
    this.context = context;
    this.task = internalContext(context);
    this.otherStore = context.getStateStore<WindowStore<K, unknown>>(this.side.otherStoreName);
    const parkedName = this.join.parkedStoreName;
    this.parked = parkedName === undefined ? undefined : context.getStateStore<KeyValueStore<ParkedKey<K>, ParkedValues>>(parkedName);
    let tracker = this.join.trackers.get(this.task);
    if (tracker === undefined) {
      tracker = new JoinTimeTracker(outerJoinEmitIntervalMs(context.appConfigs));
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
    // A null value means "no record" to the joiner of left and outer joins, so it cannot be joined.
    const noValue = value === null || value === undefined;
    if (key === null || key === undefined) {
      // KIP-962: a null key can join nothing, but a side that keeps its unmatched records emits it.
      if (this.side.emitsUnmatched && !noValue) this.context.forward(record.withValue(this.joinWithNull(value)));
      else this.task.dropRecord('null-key', 'Stream-stream join skipped a record with a null key.');
      return;
    }
    if (noValue) {
      // Dropped here; the windowed node above still puts it in this side's store (see JoinWindowProcessor).
      this.task.dropRecord('null-value', 'Stream-stream join skipped a record with a null value.');
      return;
    }
    if (this.parked !== undefined && timestamp === tracker.streamTime) this.emitClosedWindows(record);

    // This side's own record reaches its store in the windowed node above, once this node is done.
    let matched = false;
    const timeFrom = Math.max(0, timestamp - this.side.lookBehindMs);
    const timeTo = Math.max(0, timestamp + this.side.lookAheadMs);
    for (const other of this.otherStore.fetchRange(key, timeFrom, timeTo)) {
      matched = true;
      if (this.parked !== undefined) this.unpark(key, other.key, !this.side.leftSide);
      const joined = this.side.leftSide ? this.join.joiner(value, other.value) : this.join.joiner(other.value, value);
      this.context.forward(new StreamRecord(key, joined, Math.max(timestamp, other.key), record.headers));
    }
    if (matched || !this.side.emitsUnmatched) return;
    // Its join window is already behind stream time: no partner can come that the other store would still
    // hold for it, so Kafka emits it now rather than park it (without grace: the window, not the store, decides).
    if (this.parked === undefined || timeTo < tracker.streamTime) {
      this.context.forward(record.withValue(this.joinWithNull(value)));
      return;
    }
    if (timestamp < tracker.minTime) tracker.minTime = timestamp;
    this.park(key, value, timestamp);
  }

  private joinWithNull(value: unknown): unknown {
    return this.side.leftSide ? this.join.joiner(value, null) : this.join.joiner(null, value);
  }

  private park(key: K, value: unknown, timestamp: number): void {
    const parked = this.parked!;
    const parkedKey: ParkedKey<K> = { timestamp, leftSide: this.side.leftSide, key };
    // Several records may share key, side and timestamp: keep them all, each is one result.
    const existing = parked.get(parkedKey);
    parked.put(parkedKey, { leftSide: this.side.leftSide, values: existing === undefined ? [value] : [...existing.values, value] });
  }

  /** The other side's records at `timestamp` found a partner: they must not be emitted with null. */
  private unpark(key: K, timestamp: number, leftSide: boolean): void {
    const parkedKey: ParkedKey<K> = { timestamp, leftSide, key };
    // Read first, so that a join of already-emitted records writes no tombstone to the changelog.
    if (this.parked!.get(parkedKey) !== undefined) this.parked!.delete(parkedKey);
  }

  /**
   * Whether a parked record's window may have closed, by Kafka's test on the shared minimum time
   * and this side's look-ahead. Kafka adds to `Long.MAX_VALUE` when nothing was parked since the
   * last scan: a positive sum wraps below any stream time, so the scan runs.
   */
  private mayHaveClosedWindows(): boolean {
    const tracker = this.tracker;
    const span = this.side.lookAheadMs + this.graceMs;
    if (tracker.minTime === noMinTime) return span > 0;
    return tracker.minTime + span < tracker.streamTime;
  }

  /**
   * Emits, joined with null, parked records whose window has closed, in store order (timestamp,
   * right side before left, key bytes; each parked value counts as one record). Stops at the first
   * record after records of both sides with open windows have been seen, leaving the shared minimum
   * time at that record's timestamp.
   */
  private emitClosedWindows(trigger: StreamRecord<K, unknown>): void {
    if (!this.mayHaveClosedWindows()) return;
    const tracker = this.tracker;
    // Kafka throttles the scan by wall-clock time, a cost-saving that decides when results appear.
    const now = this.task.currentSystemTimeMs();
    if (now < tracker.nextTimeToEmit) return;
    tracker.nextTimeToEmit = now + tracker.emitIntervalMs;
    tracker.minTime = noMinTime;
    const streamTime = tracker.streamTime;
    const grace = this.graceMs;
    const windows = this.join.windows;
    const parked = this.parked!;
    const emitted: ParkedKey<K>[] = [];
    let leftWindowOpen = false;
    let rightWindowOpen = false;
    for (const entry of parked.all()) {
      const timestamp = entry.key.timestamp;
      tracker.minTime = timestamp;
      if (leftWindowOpen && rightWindowOpen) break;
      // A left record joins right records up to `after` later; a right record left ones up to `before` later.
      const leftSide = entry.key.leftSide;
      if (timestamp + (leftSide ? windows.afterMs : windows.beforeMs) + grace >= streamTime) {
        if (leftSide) leftWindowOpen = true;
        else rightWindowOpen = true;
        // Kafka's list-value store iterates each parked value as an entry of its own, so a second
        // value at this key meets the both-open test and stops the scan here, leaving the minimum
        // time at this timestamp rather than the next key's.
        if (leftWindowOpen && rightWindowOpen && entry.value.values.length > 1) break;
        continue;
      }
      const values = entry.value.values;
      for (let index = 0; index < values.length; index++) {
        const joined = leftSide ? this.join.joiner(values[index], null) : this.join.joiner(null, values[index]);
        this.context.forward(new StreamRecord(entry.key.key, joined, timestamp, trigger.headers));
      }
      emitted.push(entry.key);
    }
    // Deleted after the scan: the iterator must not see the store change under it.
    for (const parkedKey of emitted) parked.delete(parkedKey);
  }

  close(): void {
    this.join.trackers.delete(this.task);
  }
}

/**
 * Kafka Streams' KSTREAM-WINDOWED node of one side: passes each record on to the side's join
 * node, then keeps it in the side's window store for the other side to find. Late records are
 * stored too: the store keeps what its retention allows, and drops (and counts) the rest.
 */
class JoinWindowProcessor<K> implements Processor<K, unknown, K, unknown> {
  private context!: ProcessorContext<K, unknown>;
  private store!: WindowStore<K, unknown>;

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<K, unknown>): void {
    this.context = context;
    this.store = context.getStateStore<WindowStore<K, unknown>>(this.storeName);
  }

  process(record: StreamRecord<K, unknown>): void {
    this.context.forward(record);
    const { key, value } = record;
    // A null key joins nothing (the join node dropped or emitted it unmatched): not stored. A null
    // value is put, as Kafka's join-window processor puts every keyed record: it stores nothing (the
    // store keeps duplicates) but moves the store's observed time, so records of this side it leaves
    // behind retention no longer join.
    if (key === null || key === undefined) return;
    this.store.put(key, value ?? null, record.timestamp);
  }
}

function sideSupplier<K>(join: JoinSpec, side: SideSpec): ProcessorSupplier<K, unknown, K, unknown> {
  return () => new StreamStreamJoinProcessor<K>(join, side);
}

/**
 * Names of a join's nodes and stores, from `StreamJoined` or generated as Kafka Streams 3.9's
 * KStreamImplJoin generates them, consuming the same indices in the same order: its two
 * windowed nodes, the two sides, then the merge.
 * Generated store names follow the side nodes' generated names even when `name` is given; a
 * left or outer join's shared store is `KSTREAM-OUTERSHARED-<this side's index>-store`.
 */
function joinNames(topology: InternalTopologyBuilder, kind: StreamJoinKind, options: StreamJoined<any, any, any>) {
  const { name, storeName } = options;
  const rightOuter = kind === 'outer';
  const leftOuter = kind !== 'inner';
  const thisWindowed = topology.nameOr(name === undefined ? undefined : `${name}-this-windowed`, 'KSTREAM-WINDOWED-');
  const otherWindowed = topology.nameOr(name === undefined ? undefined : `${name}-other-windowed`, 'KSTREAM-WINDOWED-');
  const thisPrefix = rightOuter ? 'KSTREAM-OUTERTHIS-' : 'KSTREAM-JOINTHIS-';
  const thisGenerated = topology.newName(thisPrefix);
  const otherGenerated = topology.newName(leftOuter ? 'KSTREAM-OUTEROTHER-' : 'KSTREAM-JOINOTHER-');
  const thisSuffix = rightOuter ? '-outer-this-join' : '-this-join';
  const otherSuffix = leftOuter ? '-outer-other-join' : '-other-join';
  const sharedSuffix = rightOuter ? '-outer-shared-join' : '-left-shared-join';
  return {
    thisWindowed,
    otherWindowed,
    thisName: name === undefined ? thisGenerated : `${name}${thisSuffix}`,
    otherName: name === undefined ? otherGenerated : `${name}${otherSuffix}`,
    mergeName: topology.nameOr(name === undefined ? undefined : `${name}-merge`, 'KSTREAM-MERGE-'),
    thisStore: `${storeName === undefined ? thisGenerated : `${storeName}${thisSuffix}`}-store`,
    otherStore: `${storeName === undefined ? otherGenerated : `${storeName}${otherSuffix}`}-store`,
    parkedStore: `${storeName === undefined ? `KSTREAM-OUTERSHARED-${thisGenerated.slice(thisPrefix.length)}` : `${storeName}${sharedSuffix}`}-store`,
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
  const keySerde = streamJoined.keySerde ?? left.keySerde ?? right.keySerde;
  const leftValueSerde = streamJoined.valueSerde ?? left.valueSerde;
  const rightValueSerde = streamJoined.otherValueSerde ?? right.valueSerde;

  // Repartitioned before the join's names are taken, each topic named `<name>-left` / `<name>-right`
  // or after the side's own node, as in Kafka Streams.
  const joinName = streamJoined.name;
  const leftInput = left.repartitionRequired ? left.repartitionThrough(joinName === undefined ? left.nodeName : `${joinName}-left`, keySerde, leftValueSerde, undefined) : left;
  const rightInput = right.repartitionRequired ? right.repartitionThrough(joinName === undefined ? right.nodeName : `${joinName}-right`, keySerde, rightValueSerde, undefined) : right;
  const names = joinNames(topology, kind, streamJoined);
  topology.addCopartitionGroup([...copartitionSourceTopics(topology, leftInput.nodeName), ...copartitionSourceTopics(topology, rightInput.nodeName)]);

  const join: JoinSpec = {
    windows,
    joiner: joiner as ValueJoiner<unknown, unknown, unknown>,
    parkedStoreName: kind === 'inner' ? undefined : names.parkedStore,
    trackers: new WeakMap(),
  };
  const leftSide: SideSpec = {
    leftSide: true,
    otherStoreName: names.otherStore,
    lookBehindMs: windows.beforeMs,
    lookAheadMs: windows.afterMs,
    emitsUnmatched: kind !== 'inner',
  };
  const rightSide: SideSpec = {
    leftSide: false,
    otherStoreName: names.thisStore,
    lookBehindMs: windows.afterMs,
    lookAheadMs: windows.beforeMs,
    emitsUnmatched: kind === 'outer',
  };
  // As in Kafka Streams: each side's windowed node keeps its records in its window store; each
  // side's join node searches the other side's store (and shares the store of unmatched records).
  const thisWindowed = leftInput.addNamedChild<K, unknown>(names.thisWindowed, () => new JoinWindowProcessor<K>(names.thisStore), keySerde, undefined, false);
  const otherWindowed = rightInput.addNamedChild<K, unknown>(names.otherWindowed, () => new JoinWindowProcessor<K>(names.otherStore), keySerde, undefined, false);
  const thisJoined = thisWindowed.addNamedChild<K, VR>(names.thisName, sideSupplier<K>(join, leftSide), keySerde, undefined, false);
  const otherJoined = otherWindowed.addNamedChild<K, VR>(names.otherName, sideSupplier<K>(join, rightSide), keySerde, undefined, false);
  // Kafka Streams labels left and outer joins as keeping null keys: repartitions above them keep them too.
  if (kind !== 'inner') {
    topology.markNullKeyJoin(names.thisName);
    topology.markNullKeyJoin(names.otherName);
  }

  const logging = streamJoined.loggingEnabled ?? true;
  topology.addStateStore(joinWindowStoreBuilder(names.thisStore, windows, keySerde, leftValueSerde, logging, topology.dslStoreSuppliers), [names.thisWindowed, names.otherName]);
  topology.addStateStore(joinWindowStoreBuilder(names.otherStore, windows, keySerde, rightValueSerde, logging, topology.dslStoreSuppliers), [names.otherWindowed, names.thisName]);
  if (join.parkedStoreName !== undefined) {
    topology.addStateStore(outerJoinStoreBuilder(join.parkedStoreName, keySerde, leftValueSerde, rightValueSerde, logging, topology.dslStoreSuppliers), [names.thisName, names.otherName]);
  }
  return thisJoined.mergeNamed(otherJoined, names.mergeName);
}
