/**
 * `KTable.suppress`: holds a table's updates back in a buffer keyed by the table's key, keeping
 * each key's first prior value and latest update. `until-window-closes` emits a window's final
 * value once stream time reaches its end plus the upstream grace (a window deleted by then
 * emits nothing); `until-time-limit` emits a key's latest update once stream time reaches the
 * time it was first buffered plus the limit. A full buffer emits its oldest entries early or
 * fails the task, as configured.
 *
 * The buffer lives in the processor's memory and is NOT yet changelogged: after a crash the held
 * updates are lost (Kafka Streams backs it with a changelogged store).
 */
import { TopologyError } from '../../../errors/streams-error.js';
import { HandledFailure, internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { Headers } from '../../../processor/headers.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import type { Serde } from '../../../serde/serde.js';
import type { Suppressed } from '../../suppressed.js';
import type { Windowed } from '../../windowed.js';
import type { Change } from '../change.js';
import { KTableImpl } from '../ktable-impl.js';

/** A suppression buffer grew past its bound and its strategy is to shut down. */
export class SuppressionBufferFullError extends HandledFailure {
  override readonly code = 'SUPPRESSION_BUFFER_FULL';
}

interface BufferEntry<K, V> {
  readonly id: string;
  readonly key: K;
  /** When the entry becomes due: its window's end, or when it was first buffered. */
  readonly time: number;
  readonly sequence: number;
  /** The value downstream last saw for this key. */
  readonly priorValue: V | null;
  newValue: V | null;
  timestamp: number;
  headers: Headers;
  bytes: number;
  live: boolean;
}

/** Entries by due time, then by arrival: a binary min-heap with lazy removal. */
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

function before(left: BufferEntry<unknown, unknown>, right: BufferEntry<unknown, unknown>): boolean {
  return left.time < right.time || (left.time === right.time && left.sequence < right.sequence);
}

/** What the suppress processor needs to know about the table it suppresses. */
export interface SuppressOptions<K, V> {
  readonly suppressed: Suppressed;
  /** The upstream windows' grace; required for `until-window-closes`. */
  readonly graceMs: number | undefined;
  /** Serdes of the table's key and value; config defaults when undefined. */
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
}

class SuppressProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  private context!: TaskContext;
  private keySerde!: Serde<K>;
  private valueSerde: Serde<V> | undefined;
  private readonly entries = new Map<string, BufferEntry<K, V>>();
  private readonly queue = new DueQueue<K, V>();
  private sequence = 0;
  private bytes = 0;
  private readonly finalResults: boolean;
  private readonly delayMs: number;

  constructor(private readonly options: SuppressOptions<K, V>) {
    const { suppressed } = options;
    this.finalResults = suppressed.kind === 'until-window-closes';
    this.delayMs = suppressed.kind === 'until-window-closes' ? (options.graceMs ?? 0) : suppressed.timeLimitMs;
  }

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = internalContext(context);
    const config = this.context.config;
    const keySerde = this.options.keySerde ?? (config.defaultKeySerde as Serde<K> | undefined);
    if (keySerde === undefined) {
      throw new HandledFailure(
        `Suppression '${this.context.currentNode?.name}' has no key serde to identify buffered keys: give the upstream table serdes (Materialized.with / Grouped.with) or set defaultKeySerde in the streams config.`,
      );
    }
    this.keySerde = keySerde;
    this.valueSerde = this.options.valueSerde ?? (config.defaultValueSerde as Serde<V> | undefined);
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const keyBytes = this.keySerde.serialize('', record.key, record.headers);
    const id = keyBytes.toString('latin1');
    const existing = this.entries.get(id);
    if (existing !== undefined) {
      existing.newValue = record.value.newValue;
      existing.timestamp = record.timestamp;
      existing.headers = record.headers;
      this.bytes -= existing.bytes;
      existing.bytes = this.sizeOf(keyBytes, existing.priorValue, existing.newValue, record.headers);
      this.bytes += existing.bytes;
    } else {
      const time = this.finalResults ? (record.key as Windowed<unknown>).window.end : record.timestamp;
      const entry: BufferEntry<K, V> = {
        id,
        key: record.key,
        time,
        sequence: this.sequence++,
        priorValue: record.value.oldValue,
        newValue: record.value.newValue,
        timestamp: record.timestamp,
        headers: record.headers,
        bytes: 0,
        live: true,
      };
      entry.bytes = this.sizeOf(keyBytes, entry.priorValue, entry.newValue, record.headers);
      this.bytes += entry.bytes;
      this.entries.set(id, entry);
      this.queue.push(entry);
    }
    this.enforceConstraints();
  }

  private enforceConstraints(): void {
    const expiryTime = this.context.streamTime - this.delayMs;
    for (let entry = this.queue.peek(); entry !== undefined && entry.time <= expiryTime; entry = this.queue.peek()) this.emit(entry);
    const { buffer } = this.options.suppressed;
    if (this.entries.size <= buffer.maxRecords && this.bytes <= buffer.maxBytes) return;
    if (buffer.whenFull === 'shut-down') {
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
  }

  private emit(entry: BufferEntry<K, V>): void {
    this.queue.pop();
    entry.live = false;
    this.entries.delete(entry.id);
    this.bytes -= entry.bytes;
    // A window deleted before it closed has no final result.
    if (this.finalResults && entry.newValue === null) return;
    this.context.forward(new StreamRecord(entry.key, { newValue: entry.newValue, oldValue: entry.priorValue }, entry.timestamp, entry.headers));
  }

  private sizeOf(keyBytes: Buffer, priorValue: V | null, newValue: V | null, headers: Headers): number {
    if (this.options.suppressed.buffer.maxBytes === Number.POSITIVE_INFINITY) return 0;
    const serde = this.valueSerde;
    if (serde === undefined) {
      throw new HandledFailure(
        `Suppression '${this.context.currentNode?.name}' bounds its buffer in bytes but has no value serde to measure values: give the upstream table serdes (Materialized.with) or set defaultValueSerde in the streams config.`,
      );
    }
    let size = keyBytes.length;
    if (priorValue !== null) size += serde.serialize('', priorValue, headers).length;
    if (newValue !== null) size += serde.serialize('', newValue, headers).length;
    return size;
  }
}

export function suppressProcessor<K, V>(options: SuppressOptions<K, V>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new SuppressProcessor(options);
}

/** `KTable.suppress`: adds the suppress node below `table` and returns the suppressed table. */
export function suppressTable<K, V>(table: KTableImpl<K, V>, suppressed: Suppressed): KTableImpl<K, V> {
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
  const name = suppressed.name ?? topology.newName('KTABLE-SUPPRESS-');
  topology.addProcessor(name, suppressProcessor<K, V>({ suppressed, graceMs: windowing?.graceMs, keySerde: table.keySerde, valueSerde: table.valueSerde }), [table.nodeName]);
  // Lookups read the upstream table (Kafka Streams reads the buffer first; not yet done here).
  const result = new KTableImpl<K, V>(topology, name, table.keySerde, table.valueSerde, undefined, table.valueGetterSupplier);
  if (windowing !== undefined) result.windowing = windowing;
  return result;
}
