import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeserializationError, Headers, SerializationError, type Serde } from '@tributary/streams';
import { eventTypes, type EnrichedEvent, type ProductEvent } from './model.js';
import { EnrichedEventRepartitionSerde, ProductEventRepartitionSerde } from './repartition-serdes.js';
import { EnrichedEventSerde, ProductEventSerde } from './serdes.js';

const headers = new Headers();
const topic = 'app-events-by-product-repartition';

/** What a serde's round trip gives: the value with its property order, or the error's class and message. */
function roundTrip<T>(serde: Serde<T>, value: T): { readonly value: string; readonly keys: string } | { readonly error: string; readonly message: string } {
  let bytes: Buffer;
  try {
    bytes = serde.serialize(topic, value, headers);
  } catch (error) {
    return { error: error instanceof SerializationError ? 'SerializationError' : String(error), message: '' };
  }
  try {
    const read = serde.deserialize(topic, bytes, headers);
    // JSON.stringify would hide the difference between -0 and 0, and between absent and undefined.
    return { value: JSON.stringify(read, (_key, field: unknown) => (Object.is(field, -0) ? '-0' : field === undefined ? 'undefined' : field)), keys: Object.keys(read as object).join() };
  } catch (error) {
    return { error: error instanceof DeserializationError ? 'DeserializationError' : String(error), message: (error as Error).message };
  }
}

/** Strings as the app's records may hold them: ASCII ids, any UTF-16 (lone surrogates included), emoji. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('\ud800', '\udc00', '😀', 'é', 'a') }));
/** Numbers as arithmetic may make them: fractions, -0, huge, infinite, NaN. */
const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0, 1e300, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN));

const productEvent = fc.record(
  {
    eventId: text,
    userId: text,
    productId: text,
    eventType: fc.oneof(fc.constantFrom(...eventTypes), text),
    timestamp: anyNumber,
    price: anyNumber,
    quantity: anyNumber,
    sessionId: text,
    source: fc.oneof(fc.constantFrom('web', 'mobile'), text),
    extra: text,
  },
  { requiredKeys: ['eventId', 'userId', 'productId', 'eventType', 'timestamp'], noNullPrototype: true },
) as fc.Arbitrary<ProductEvent>;

const enrichedEvent = fc.record(
  { eventId: text, userId: text, productId: text, eventType: fc.oneof(fc.constantFrom(...eventTypes), text), timestamp: anyNumber, name: text, category: text, revenue: anyNumber },
  { noNullPrototype: true },
) as fc.Arbitrary<EnrichedEvent>;

describe('repartition serdes', () => {
  it('read back every ProductEvent exactly as its JSON round trip does, or fail as it fails', () => {
    fc.assert(
      fc.property(productEvent, (event) => {
        expect(roundTrip(ProductEventRepartitionSerde, event)).toEqual(roundTrip(ProductEventSerde, event));
      }),
      { numRuns: 2_000 },
    );
  });

  it('read back every EnrichedEvent exactly as its JSON round trip does, or fail as it fails', () => {
    fc.assert(
      fc.property(enrichedEvent, (event) => {
        expect(roundTrip(EnrichedEventRepartitionSerde, event)).toEqual(roundTrip(EnrichedEventSerde, event));
      }),
      { numRuns: 2_000 },
    );
  });

  it('read back repeated strings as written, however many share a slot of the table that keeps them', () => {
    // 20,000 distinct product ids, names and categories of one length: more than the table's 4,096
    // slots, so many share one, and each is read several times, in an order that mixes them.
    const random = fc.sample(fc.nat(), { numRuns: 60_000, seed: 7 });
    const ids = Array.from({ length: 20_000 }, (_, index) => `p-${String(index).padStart(6, '0')}`);
    for (let round = 0; round < 60_000; round++) {
      const id = ids[random[round]! % ids.length]!;
      const event: EnrichedEvent = { eventId: `e${round}`, userId: 'u', productId: id, eventType: 'view', timestamp: round, name: `n${id}`, category: `c${id}`, revenue: 0 };
      const read = EnrichedEventRepartitionSerde.deserialize(topic, EnrichedEventRepartitionSerde.serialize(topic, event, headers), headers);
      expect([read.productId, read.name, read.category]).toEqual([id, `n${id}`, `c${id}`]);
    }
  });

  it('keep what JSON keeps of edge values: lone surrogates, -0, truncated integers, an infinite revenue rejected on reading', () => {
    const event: EnrichedEvent = { eventId: 'e-\ud800', userId: 'u-😀', productId: 'p-é', eventType: 'view', timestamp: 1.7, name: '\udc00x', category: 'c', revenue: -0 };
    const read = EnrichedEventRepartitionSerde.deserialize(topic, EnrichedEventRepartitionSerde.serialize(topic, event, headers), headers);
    expect(read).toEqual({ ...event, timestamp: 1, revenue: 0 });
    expect(Object.is(read.revenue, 0)).toBe(true);
    const infinite = EnrichedEventRepartitionSerde.serialize(topic, { ...event, revenue: Number.POSITIVE_INFINITY }, headers);
    expect(() => EnrichedEventRepartitionSerde.deserialize(topic, infinite, headers)).toThrow(`JsonSchema deserializer on topic '${topic}': /revenue must be number`);
    expect(() => EnrichedEventRepartitionSerde.serialize(topic, { ...event, revenue: Number.NaN }, headers)).toThrow(SerializationError);
  });

  it('are smaller than the JSON and start with the format version', () => {
    const event: ProductEvent = { eventId: 'e-1', userId: 'u-1', productId: 'p-1', eventType: 'purchase', timestamp: 1_767_225_690_000, price: 79.9, quantity: 1 };
    const bytes = ProductEventRepartitionSerde.serialize(topic, event, headers);
    expect(bytes[0]).toBe(1);
    expect(bytes.length).toBeLessThan(ProductEventSerde.serialize(topic, event, headers).length);
  });

  it('read records their topics held as JSON, written by earlier versions of the app', () => {
    const event: ProductEvent = { eventId: 'e-1', userId: 'u-1', productId: 'p-1', eventType: 'view', timestamp: 5, source: 'web' };
    expect(ProductEventRepartitionSerde.deserialize(topic, ProductEventSerde.serialize(topic, event, headers), headers)).toEqual(event);
    const enriched: EnrichedEvent = { eventId: 'e-1', userId: 'u-1', productId: 'p-1', eventType: 'view', timestamp: 5, name: 'Lamp', category: 'home', revenue: 0 };
    expect(EnrichedEventRepartitionSerde.deserialize(topic, EnrichedEventSerde.serialize(topic, enriched, headers), headers)).toEqual(enriched);
  });

  it('reject a truncated, padded or malformed record with a DeserializationError naming the topic', () => {
    const enriched: EnrichedEvent = { eventId: 'e-1', userId: 'u-1', productId: 'p-1', eventType: 'view', timestamp: 5, name: 'Lamp', category: 'home', revenue: 0 };
    const bytes = EnrichedEventRepartitionSerde.serialize(topic, enriched, headers);
    for (const bad of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, 3), Buffer.concat([bytes, Buffer.from([0])]), Buffer.from([1, 0xff, 0xff, 0xff, 0x7f])]) {
      expect(() => EnrichedEventRepartitionSerde.deserialize(topic, bad, headers)).toThrow(DeserializationError);
      expect(() => EnrichedEventRepartitionSerde.deserialize(topic, bad, headers)).toThrow(`EnrichedEvent repartition deserializer on topic '${topic}' got a malformed record`);
    }
    // A record that decodes but breaks the schema fails as the JSON serde fails it.
    const empty = ProductEventRepartitionSerde.serialize(topic, { eventId: '', userId: 'u', productId: 'p', eventType: 'view', timestamp: 1 }, headers);
    expect(() => ProductEventRepartitionSerde.deserialize(topic, empty, headers)).toThrow(`JsonSchema deserializer on topic '${topic}': /eventId must NOT have fewer than 1 characters`);
  });
});
