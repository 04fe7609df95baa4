/**
 * The app's own processors: parsing and validating raw events (so every rejected record reaches
 * the dead-letter topic with its reason), de-duplication by event id in event time, and a filter
 * that lets each id through once within a horizon of stream time (alert cool-downs).
 */
import {
  DeadLetterHeaders,
  PunctuationType,
  type FixedKeyProcessor,
  type FixedKeyProcessorContext,
  type FixedKeyRecord,
  type KeyValueStore,
  type WindowStore,
} from '@tributary/streams';
import type { ProductEvent } from './model.js';
import { futureSkewReason, ProductEventSerde } from './serdes.js';

/** The result of parsing one raw event: the event, or why it was rejected with its original bytes. */
export type ParsedEvent = ValidEvent | InvalidEvent;

/** An event that passed parsing and validation. */
export interface ValidEvent {
  readonly valid: true;
  readonly event: ProductEvent;
}

/** A rejected record: why, and its bytes as consumed. */
export interface InvalidEvent {
  readonly valid: false;
  readonly reason: string;
  readonly original: Buffer | null;
}

/** The `__streams.errors.exception` header value of a rejected event. */
export const invalidEventException = 'InvalidProductEvent';

/**
 * Parses `product-events` values with {@link ProductEventSerde} and checks what the schema
 * cannot (the timestamp against the wall clock). A valid event is forwarded with its event
 * time as the record's timestamp, so windows follow the device's clock, not the broker's. A
 * rejected one is forwarded with its original bytes and the reason in the dead-letter headers
 * (the same `__streams.errors.*` headers as the library's `deadLetterTopic` handler).
 */
export class ParseProductEvent implements FixedKeyProcessor<Buffer | null, Buffer | null, ParsedEvent> {
  private context!: FixedKeyProcessorContext<Buffer | null, ParsedEvent>;

  constructor(private readonly maxFutureSkewMs: number) {}

  init(context: FixedKeyProcessorContext<Buffer | null, ParsedEvent>): void {
    this.context = context;
  }

  process(record: FixedKeyRecord<Buffer | null, Buffer | null>): void {
    const metadata = this.context.recordMetadata();
    const result = this.parse(metadata?.topic ?? 'product-events', record);
    if (typeof result !== 'string') {
      this.context.forward(record.withValue<ParsedEvent>({ valid: true, event: result }).withTimestamp(result.timestamp));
      return;
    }
    const headers = record.headers.copy();
    headers.add(DeadLetterHeaders.exception, invalidEventException);
    headers.add(DeadLetterHeaders.message, result);
    headers.add(DeadLetterHeaders.stacktrace, '');
    if (metadata !== undefined) {
      headers.add(DeadLetterHeaders.topic, metadata.topic);
      headers.add(DeadLetterHeaders.partition, String(metadata.partition));
      headers.add(DeadLetterHeaders.offset, String(metadata.offset));
    }
    this.context.forward(record.withValue<ParsedEvent>({ valid: false, reason: result, original: record.value ?? null }).withHeaders(headers));
  }

  /** The event, or why it is rejected. */
  private parse(topic: string, record: FixedKeyRecord<Buffer | null, Buffer | null>): ProductEvent | string {
    if (record.value === null || record.value === undefined) return 'a null value (tombstone) is not a product event';
    let event: ProductEvent;
    try {
      event = ProductEventSerde.deserialize(topic, record.value, record.headers);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    const skew = futureSkewReason(event, this.context.currentSystemTimeMs(), this.maxFutureSkewMs);
    return skew === undefined ? event : `Validation on topic '${topic}': ${skew}`;
  }
}

/**
 * Drops a record when the same id was seen at an event time less than `horizonMs` away from its
 * own, earlier or later (Confluent's de-duplication transformer over a window store). Every
 * copy is remembered, dropped ones too, so a run of retries each within the horizon of the last
 * stays one event. Event time, not stream time: whether an event is a duplicate depends on the
 * event and its copies only, not on when other records (catalog changes on the same task, say)
 * moved the task's clock.
 *
 * The store (`id` → the times it was seen) should retain `horizonMs` + the windows' grace, so
 * every record the windows can still count as on time is compared with all its copies. A record
 * later than that is compared only with the copies still retained; its own time is not kept.
 */
export class DeduplicateInEventTime<K, V> implements FixedKeyProcessor<K, V, V> {
  private context!: FixedKeyProcessorContext<K, V>;
  private seen!: WindowStore<string, number>;

  constructor(
    private readonly storeName: string,
    private readonly horizonMs: number,
    private readonly idOf: (record: FixedKeyRecord<K, V>) => string,
  ) {}

  init(context: FixedKeyProcessorContext<K, V>): void {
    this.context = context;
    this.seen = context.getStateStore<WindowStore<string, number>>(this.storeName);
  }

  process(record: FixedKeyRecord<K, V>): void {
    const id = this.idOf(record);
    const time = record.timestamp;
    // Strictly within the horizon: copies exactly `horizonMs` apart are two events.
    const duplicate = this.seen.fetchRange(id, time - this.horizonMs + 1, time + this.horizonMs - 1).next().done !== true;
    this.seen.put(id, time, time);
    if (!duplicate) this.context.forward(record);
  }
}

/** Zero-padded so the index store's byte order is time order. */
function indexKey(expiresAt: number, id: string): string {
  return `${String(expiresAt).padStart(16, '0')}|${id}`;
}

/**
 * Lets a record through when its id has not been seen within `horizonMs` of stream time, and
 * drops it otherwise. Two stores, both changelogged: `ids` (id → when it expires) answers the
 * lookup; `index` (expiry time | id) is ordered by time, so a stream-time punctuator deletes
 * expired ids by reading only those, not the whole store. Expiry is exact: an id past its
 * horizon but not yet swept is treated as unseen.
 */
export class OncePerHorizon<K, V> implements FixedKeyProcessor<K, V, V> {
  private context!: FixedKeyProcessorContext<K, V>;
  private ids!: KeyValueStore<string, number>;
  private index!: KeyValueStore<string, string>;

  constructor(
    private readonly idStoreName: string,
    private readonly indexStoreName: string,
    private readonly horizonMs: number,
    private readonly idOf: (record: FixedKeyRecord<K, V>) => string,
  ) {}

  init(context: FixedKeyProcessorContext<K, V>): void {
    this.context = context;
    this.ids = context.getStateStore<KeyValueStore<string, number>>(this.idStoreName);
    this.index = context.getStateStore<KeyValueStore<string, string>>(this.indexStoreName);
    const sweepEveryMs = Math.max(1_000, Math.min(this.horizonMs, 60_000));
    context.schedule(sweepEveryMs, PunctuationType.STREAM_TIME, (streamTime) => this.expire(streamTime));
  }

  process(record: FixedKeyRecord<K, V>): void {
    // Stream time, not the record's timestamp: a late duplicate must not expire its own id.
    const now = Math.max(this.context.currentStreamTimeMs(), record.timestamp);
    const id = this.idOf(record);
    const expiresAt = this.ids.get(id);
    if (expiresAt !== undefined && expiresAt > now) return;
    const newExpiry = now + this.horizonMs;
    this.ids.put(id, newExpiry);
    this.index.put(indexKey(newExpiry, id), id);
    this.context.forward(record);
  }

  private expire(streamTime: number): void {
    const cutoff = indexKey(streamTime, '\uffff');
    const expired: Array<{ readonly key: string; readonly id: string }> = [];
    for (const entry of this.index.all()) {
      if (entry.key > cutoff) break;
      expired.push({ key: entry.key, id: entry.value });
    }
    for (const { key, id } of expired) {
      this.index.delete(key);
      // The id may have been seen again since, with a later expiry: keep it then.
      const expiresAt = this.ids.get(id);
      if (expiresAt !== undefined && expiresAt <= streamTime) this.ids.delete(id);
    }
  }
}
