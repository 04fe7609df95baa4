/**
 * `KTable.suppress` (Kafka's `KTableSuppressProcessorSupplier`): holds a table's updates back in a
 * buffer keyed by the table's key, keeping each key's first prior value and latest update. Entries
 * due together are emitted in Kafka's buffer order: time, then serialized key bytes.
 * `until-window-closes` emits a window's final value once stream time reaches its end plus the
 * upstream grace, plus the inactivity gap for sessions, as Kafka waits (a window deleted by then
 * emits nothing); `until-time-limit` emits a key's latest update once stream time reaches the time
 * it was first buffered plus the limit. A full buffer emits its oldest entries early or throws
 * {@link SuppressionBufferFullError} (after buffering the record), which goes to the processing
 * exception handler as in Kafka Streams 3.9, as configured.
 *
 * As in Kafka Streams, the buffer is backed by a changelogged store (`<suppress name>-store`,
 * `suppression-buffer-store.ts`, over a key-value store from the builder's DSL store suppliers):
 * every held update is written to it and every emitted one deleted, and each commit logs the keys
 * written since the last in Kafka's format and order, so a restarted task (its store restored from
 * the changelog, or reopened from disk) holds exactly what the failed one held. The processor
 * keeps a time-ordered index in memory for emission order, rebuilt from the store.
 */
import { SuppressionBufferFullError, TopologyError } from '../../../errors/streams-error.js';
import { recordsAt } from '../../../metrics/metrics.js';
import { HandledFailure, internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { SuppressionBufferSensors } from '../../../processor/internal/task-metrics.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { Headers } from '../../../processor/headers.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import { changelogTopicName } from '../../../processor/internal/topology-builder.js';
import type { Serde } from '../../../serde/serde.js';
import { Serdes } from '../../../serde/serdes.js';
import type { RecordOrigin } from '../../../state/state-store.js';
import { Stores } from '../../../state/stores.js';
import type { Suppressed } from '../../suppressed.js';
import type { Windowed } from '../../windowed.js';
import type { Change } from '../change.js';
import type { KTableImpl, KTableNode } from '../ktable-impl.js';
import { decodeBufferEntry, encodeBufferEntry } from '../suppress-buffer-encoding.js';
import { suppressionBufferStoreBuilder, type SuppressionBufferStore } from '../suppression-buffer-store.js';

interface BufferEntry<K, V> extends RecordOrigin {
  readonly id: string;
  readonly key: K;
  readonly keyBytes: Buffer;
  /** When the entry becomes due: its window's end, or when it was first buffered. */
  readonly time: number;
  /** The value downstream last saw for this key, and its bytes (kept to rewrite the store entry). */
  readonly priorValue: V | null;
  readonly priorBytes: Buffer | null;
  /** The latest update's old value, as bytes (Kafka keeps it beside the prior value). */
  oldBytes: Buffer | null;
  newValue: V | null;
  newBytes: Buffer | null;
  /** The latest update's timestamp, headers and source (topic, partition, offset): its record context. */
  timestamp: number;
  headers: Headers;
  /** What the entry counts against `maxBytes`, as Kafka estimates it (see {@link entrySize}). */
  bytes: number;
  live: boolean;
}

/**
 * Entries by due time, then by serialized key: a binary min-heap with lazy removal. Kafka's
 * buffer (`InMemoryTimeOrderedKeyValueChangeBuffer`) is sorted by time, then key bytes, so records
 * due together go out in key-byte order, whatever order they arrived in.
 */
class DueQueue<K, V> {
  private readonly heap: BufferEntry<K, V>[] = [];

  push(entry: BufferEntry<K, V>): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  /** The earliest live entry, dropping removed ones on the way. */
  peek(): BufferEntry<K, V> | undefined {
    while (this.heap.length > 0 && !this.heap[0]!.live) this.pop();
    return this.heap[0];
  }

  pop(): BufferEntry<K, V> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === index) break;
        [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
        index = smallest;
      }
    }
    return top;
  }
}

/** Ids are the key bytes as latin1, one char per byte: comparing them compares unsigned bytes, as Kafka's `Bytes` do. */
function before(left: BufferEntry<unknown, unknown>, right: BufferEntry<unknown, unknown>): boolean {
  return left.time < right.time || (left.time === right.time && left.id < right.id);
}

/** What the suppress processor needs to know about the table it suppresses. */
interface SuppressOptions<K, V> {
  readonly suppressed: Suppressed;
  /** The buffer's store: raw key bytes to encoded entries (`suppress-buffer-encoding.ts`). */
  readonly storeName: string;
  /** How long after their end the upstream windows close; required for `until-window-closes`. */
  readonly closeDelayMs: number | undefined;
  /** Serdes of the table's key and value; config defaults when undefined. */
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
}

class SuppressProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  private context!: TaskContext;
  private keySerde!: Serde<K>;
  private valueSerde!: Serde<V>;
  private store!: SuppressionBufferStore;
  /** The store's changelog topic, handed to the serdes as the topic the bytes are for. */
  private topic = '';
  /** Whether the index reflects the store; it is built on first use, after any restore. */
  private loaded = false;
  private readonly entries = new Map<string, BufferEntry<K, V>>();
  private readonly queue = new DueQueue<K, V>();
  private bytes = 0;
  private readonly finalResults: boolean;
  private readonly delayMs: number;
  /** Records emitted, for the node's `suppression-emit` metrics. */
  private emitted = { count: 0 };
  /** The buffer's size and count, sampled as they change; only at `DEBUG`, as Kafka records them. */
  private bufferSensors: SuppressionBufferSensors | undefined = undefined;

  constructor(private readonly options: SuppressOptions<K, V>) {
    const { suppressed } = options;
    this.finalResults = suppressed.kind === 'until-window-closes';
    this.delayMs = suppressed.kind === 'until-window-closes' ? (options.closeDelayMs ?? 0) : suppressed.timeLimitMs;
  }

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = internalContext(context);
    const config = this.context.config;
    const node = this.context.currentNode?.name;
    const keySerde = this.options.keySerde ?? (config.defaultKeySerde as Serde<K> | undefined);
    if (keySerde === undefined) {
      throw new HandledFailure(
        `Suppression '${node}' has no key serde to identify buffered keys: give the upstream table serdes (Materialized.with / Grouped.with) or set defaultKeySerde in the streams config.`,
      );
    }
    const valueSerde = this.options.valueSerde ?? (config.defaultValueSerde as Serde<V> | undefined);
    if (valueSerde === undefined) {
      throw new TopologyError(
        `Suppression '${node}' (KTable.suppress(Suppressed...)) has no value serde to write held updates to its buffer store '${this.options.storeName}': give the suppressed table a value serde (Materialized.with(keySerde, valueSerde) on the operator that makes it), or set defaultValueSerde in the streams config.`,
      );
    }
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.topic = changelogTopicName(config.applicationId, this.options.storeName);
    this.store = this.context.getStateStore<SuppressionBufferStore>(this.options.storeName);
    this.loaded = false;
    if (node !== undefined) this.emitted = this.context.metrics.suppressionEmitCounter(node);
    if (recordsAt(config.metricsRecordingLevel, 'DEBUG')) this.bufferSensors = this.context.metrics.suppressionBufferSensors(this.options.storeName);
  }

  /** The largest timestamp this processor has received, or -1. */
  private observedStreamTime = -1;

  /**
   * Rebuilds the index from the store. Lazy, not in `init`: a runtime restores in-memory stores
   * from their changelogs after the task initializes and before it processes.
   */
  private load(): void {
    this.loaded = true;
    this.entries.clear();
    this.bytes = 0;
    for (const { key: keyBytes, value } of this.store.all()) {
      const encoded = decodeBufferEntry(this.options.storeName, value);
      const { context } = encoded;
      const headers = context.headers;
      const topic = context.topic === '' ? undefined : context.topic;
      const entry: BufferEntry<K, V> = {
        id: keyBytes.toString('latin1'),
        key: this.keySerde.deserialize(this.topic, keyBytes, headers),
        keyBytes,
        time: encoded.time,
        priorValue: encoded.priorBytes === null ? null : this.valueSerde.deserialize(this.topic, encoded.priorBytes, headers),
        priorBytes: encoded.priorBytes,
        oldBytes: encoded.oldBytes,
        newValue: encoded.newBytes === null ? null : this.valueSerde.deserialize(this.topic, encoded.newBytes, headers),
        newBytes: encoded.newBytes,
        timestamp: context.timestamp,
        headers,
        topic,
        partition: context.partition,
        offset: context.offset,
        // Entries of Tributary's earlier layout kept their size (0 when not yet): else count what can still be known.
        bytes:
          encoded.legacySize !== undefined && encoded.legacySize > 0
            ? encoded.legacySize
            : entrySize(keyBytes, encoded.priorBytes, distinctOldSize(encoded.priorBytes, encoded.oldBytes), encoded.newBytes, recordContextSize(topic, headers)),
        live: true,
      };
      this.entries.set(entry.id, entry);
      this.bytes += entry.bytes;
      this.queue.push(entry);
    }
  }

  process(record: StreamRecord<K, Change<V>>): void {
    if (!this.loaded) this.load();
    // Time as this processor has seen it, not the task's: with caching, updates reach it at
    // commit, after the task's stream time has moved on, and judging them by the task's time
    // would close a window before its last cached update arrived (Kafka does the same).
    if (record.timestamp > this.observedStreamTime) this.observedStreamTime = record.timestamp;
    const keyBytes = this.keySerde.serialize(this.topic, record.key, record.headers);
    const id = keyBytes.toString('latin1');
    const newBytes = record.value.newValue === null ? null : this.valueSerde.serialize(this.topic, record.value.newValue, record.headers);
    const oldValue = record.value.oldValue;
    const oldBytes = oldValue === null ? null : this.valueSerde.serialize(this.topic, oldValue, record.headers);
    let entry = this.entries.get(id);
    if (entry !== undefined) {
      // Kafka keeps this update's old value beside the entry's prior value, and counts it unless
      // its bytes equal the prior value's.
      entry.oldBytes = oldBytes;
      entry.newValue = record.value.newValue;
      entry.newBytes = newBytes;
      entry.timestamp = record.timestamp;
      entry.headers = record.headers;
      this.bytes -= entry.bytes;
    } else {
      const time = this.finalResults ? (record.key as Windowed<unknown>).window.end : record.timestamp;
      entry = {
        id,
        key: record.key,
        keyBytes,
        time,
        // The first update's old value is the prior value.
        priorValue: oldValue,
        priorBytes: oldBytes,
        oldBytes,
        newValue: record.value.newValue,
        newBytes,
        timestamp: record.timestamp,
        headers: record.headers,
        topic: undefined,
        partition: -1,
        offset: -1,
        bytes: 0,
        live: true,
      };
      this.entries.set(id, entry);
      this.queue.push(entry);
    }
    // The update's source, as Kafka buffers the record context (a cached update's is its write's).
    this.context.copyRecordOrigin(entry);
    entry.bytes = entrySize(keyBytes, entry.priorBytes, distinctOldSize(entry.priorBytes, oldBytes), newBytes, recordContextSize(entry.topic, record.headers));
    this.bytes += entry.bytes;
    this.store.put(keyBytes, this.encode(entry));
    this.recordBufferMetrics();
    this.enforceConstraints();
  }

  /** Samples the buffer's size and count, after a put and after evictions, as Kafka's buffer does. */
  private recordBufferMetrics(): void {
    const sensors = this.bufferSensors;
    if (sensors === undefined) return;
    sensors.size.record(this.bytes);
    sensors.count.record(this.entries.size);
  }

  private encode(entry: BufferEntry<K, V>): Buffer {
    return encodeBufferEntry({
      time: entry.time,
      context: { timestamp: entry.timestamp, offset: entry.offset, topic: entry.topic ?? '', partition: entry.partition, headers: entry.headers },
      priorBytes: entry.priorBytes,
      oldBytes: entry.oldBytes,
      newBytes: entry.newBytes,
    });
  }

  private enforceConstraints(): void {
    const expiryTime = this.observedStreamTime - this.delayMs;
    const entriesBefore = this.entries.size;
    for (let entry = this.queue.peek(); entry !== undefined && entry.time <= expiryTime; entry = this.queue.peek()) this.emit(entry);
    if (this.entries.size !== entriesBefore) this.recordBufferMetrics();
    const { buffer } = this.options.suppressed;
    if (this.entries.size <= buffer.maxRecords && this.bytes <= buffer.maxBytes) return;
    if (buffer.whenFull === 'shut-down') {
      // Not a HandledFailure: Kafka throws a plain StreamsException here, which its processor node
      // hands to the processing exception handler; the record stays buffered either way.
      const node = this.context.currentNode?.name;
      throw new SuppressionBufferFullError(
        `Suppression buffer of '${node}' is full (${this.entries.size} records, ${this.bytes} bytes; bounds maxRecords=${buffer.maxRecords}, maxBytes=${buffer.maxBytes}) and its strategy is 'shut-down'. Raise the bound, use BufferConfig.unbounded(), or (for untilTimeLimit) emit early.`,
      );
    }
    while (this.entries.size > buffer.maxRecords || this.bytes > buffer.maxBytes) {
      const oldest = this.queue.peek();
      if (oldest === undefined) break;
      this.emit(oldest);
    }
    this.recordBufferMetrics();
  }

  private emit(entry: BufferEntry<K, V>): void {
    this.queue.pop();
    entry.live = false;
    this.entries.delete(entry.id);
    this.bytes -= entry.bytes;
    // Deleted before forwarding, as Kafka Streams evicts: the changelog never outlives the emission.
    this.store.delete(entry.keyBytes);
    // A window deleted before it closed has no final result.
    if (this.finalResults && entry.newValue === null) return;
    this.context.forward(new StreamRecord(entry.key, { newValue: entry.newValue, oldValue: entry.priorValue }, entry.timestamp, entry.headers));
    this.emitted.count++;
  }
}

/**
 * What a buffered entry counts against `maxBytes`, exactly as Kafka Streams 3.9 estimates it
 * (`InMemoryTimeOrderedKeyValueChangeBuffer.computeRecordSize`): 8 bytes of buffer time, the key
 * bytes, the prior value, the latest update's old value when its bytes differ from the prior
 * value's, the latest value, and the record context's estimate ({@link recordContextSize}).
 */
function entrySize(keyBytes: Buffer, priorBytes: Buffer | null, oldValueSize: number, newBytes: Buffer | null, contextSize: number): number {
  return 8 + keyBytes.length + (priorBytes?.length ?? 0) + oldValueSize + (newBytes?.length ?? 0) + contextSize;
}

/** The old value's bytes as Kafka counts them: nothing when absent or equal to the prior value's. */
function distinctOldSize(priorBytes: Buffer | null, oldBytes: Buffer | null): number {
  return oldBytes === null || (priorBytes !== null && priorBytes.equals(oldBytes)) ? 0 : oldBytes.length;
}

/**
 * Kafka's estimate of a record context (`ProcessorRecordContext.residentMemorySizeEstimate`):
 * 8 bytes each of timestamp and offset, 4 of partition, the source topic's length in UTF-16 code
 * units (Java chars; nothing without a topic, as in a punctuator), and each header's key length
 * in code units plus its value bytes.
 */
function recordContextSize(topic: string | undefined, headers: Headers): number {
  let size = 8 + 8 + 4 + (topic?.length ?? 0);
  if (headers.size === 0) return size;
  for (const header of headers) size += header.key.length + header.value.length;
  return size;
}

function suppressProcessor<K, V>(options: SuppressOptions<K, V>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new SuppressProcessor(options);
}

/** `KTable.suppress`: adds the suppress node below `table` and returns the suppressed table's node. */
export function suppressTable<K, V>(table: KTableImpl<K, V>, suppressed: Suppressed): KTableNode<K, V> {
  if (suppressed === null || typeof suppressed !== 'object' || (suppressed.kind !== 'until-window-closes' && suppressed.kind !== 'until-time-limit')) {
    throw new TopologyError('suppress() takes Suppressed.untilWindowCloses(...) or Suppressed.untilTimeLimit(...).');
  }
  const windowing = table.windowing;
  if (suppressed.kind === 'until-window-closes' && windowing === undefined) {
    throw new TopologyError(
      'suppress(Suppressed.untilWindowCloses(...)) needs a windowed table (the result of a windowed aggregation), whose windows close; use Suppressed.untilTimeLimit(...) for other tables.',
    );
  }
  const topology = table.topology;
  // The buffer keeps each key's prior value, which downstream sees as the old value: ask for it.
  table.enableSendingOldValues(true);
  const name = suppressed.name ?? topology.newName('KTABLE-SUPPRESS-');
  // Kafka Streams names the buffer `<name>-store` when the suppression is named, else generates a store name.
  const storeName = suppressed.name === undefined ? topology.newName('KTABLE-SUPPRESS-STATE-STORE-') : `${name}-store`;
  topology.addProcessor(name, suppressProcessor<K, V>({ suppressed, storeName, closeDelayMs: windowing?.closeDelayMs, keySerde: table.keySerde, valueSerde: table.valueSerde }), [table.nodeName]);
  // Uncached: the buffer store logs its own writes at commit; logged, so it survives a restart.
  const store = Stores.keyValueStoreBuilder(topology.dslStoreSuppliers.keyValueStore(storeName, { orderedScans: true }), Serdes.Bytes(), Serdes.Bytes());
  topology.addStateStore(suppressionBufferStoreBuilder(store.withCachingDisabled().withLoggingEnabled()), [name]);
  // Lookups read the upstream table (Kafka Streams reads the buffer first; not yet done here).
  return {
    nodeName: name,
    keySerde: table.keySerde,
    valueSerde: table.valueSerde,
    queryableStoreName: undefined,
    makeValueGetters: () => table.valueGetterSupplier,
    enableOldValues: (forceMaterialization) => table.enableSendingOldValues(forceMaterialization),
    windowing,
  };
}
