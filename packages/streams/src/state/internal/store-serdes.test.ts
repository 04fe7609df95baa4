/**
 * A store's key encoding: whatever sequence of keys several stores encode, each gets the bytes
 * its own serde writes for its own topic and their latin1 id, including when stores with the
 * built-in String serde share the last key's encoding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import { Serdes, StringSerde } from '../../serde/serdes.js';
import { StoreSerdes } from './store-serdes.js';
import { StoreTestContext } from './store-test-context.js';

/** A String serde whose bytes name the topic too: its keys must not share another store's encoding. */
class TopicPrefixedStringSerde extends StringSerde {
  override serialize(topic: string, data: string, headers: Headers): Buffer {
    return Buffer.concat([Buffer.from(`${topic}:`), super.serialize(topic, data, headers)]);
  }
}

const context = new StoreTestContext();
const stores: ReadonlyArray<{ readonly name: string; readonly serde: Serde<string> }> = [
  { name: 'a', serde: Serdes.String() },
  { name: 'b', serde: Serdes.String() },
  { name: 'c', serde: new StringSerde() },
  { name: 'd', serde: new TopicPrefixedStringSerde() },
];
const serdes = stores.map(({ name, serde }) => StoreSerdes.resolve<string, string>(name, serde, Serdes.String(), false, context));

describe('StoreSerdes.encodeKey', () => {
  it("gives every store its own serde's bytes and their latin1 id, in any order of stores and keys", () => {
    const key = fc.oneof(fc.constantFrom('p-1', 'p-2', '', 'é', 'p-1'), fc.string({ unit: 'grapheme', maxLength: 80 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(stores.length - 1), key), { maxLength: 60 }), (calls) => {
        for (const [store, value] of calls) {
          const expected = stores[store]!.serde.serialize(context.changelogTopic(stores[store]!.name), value, new Headers());
          const encoded = serdes[store]!.encodeKey(value);
          expect(encoded.bytes.equals(expected)).toBe(true);
          expect(encoded.id).toBe(expected.toString('latin1'));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('serializes a string key once for the stores that share the String serde, and again when the key changes', () => {
    const first = serdes[0]!.encodeKey('shared-key').bytes;
    expect(serdes[1]!.encodeKey('shared-key').bytes).toBe(first);
    expect(serdes[2]!.encodeKey('shared-key').bytes).toBe(first);
    expect(serdes[3]!.encodeKey('shared-key').bytes).not.toBe(first);
    expect(serdes[1]!.encodeKey('another-key').bytes).not.toBe(first);
  });

  it('leaves the shared encoding as it was when a key cannot be serialized', () => {
    const before = serdes[0]!.encodeKey('kept').bytes;
    expect(() => serdes[1]!.encodeKey('\uD800')).toThrow(/unpaired surrogate/);
    expect(serdes[1]!.encodeKey('kept').bytes).toBe(before);
    expect(serdes[1]!.encodeKey('\uD800x'.slice(1)).bytes.toString()).toBe('x');
  });
});
