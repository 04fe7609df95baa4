import { describe, it, expect, expectTypeOf } from 'vitest';
import fc from 'fast-check';
import { Headers } from '../processor/headers.js';
import { ConfigError, DeserializationError, SerializationError } from '../errors/streams-error.js';
import type { Serde } from './serde.js';
import { JsonSchemaSerde } from './json-schema-serde.js';
import type { JsonSchemaFor, JsonSchemaSerdeOptions } from './json-schema-serde.js';
import { Serdes } from './serdes.js';

interface ProductEvent {
  id: string;
  price: number;
  quantity: number;
  tags: string[];
  discontinued?: boolean;
}

const productSchema: JsonSchemaFor<ProductEvent> = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1 },
    price: { type: 'number', minimum: 0 },
    quantity: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    discontinued: { type: 'boolean' },
  },
  required: ['id', 'price', 'quantity', 'tags'],
};

const topic = 'events';

function text(buffer: Buffer): string {
  return buffer.toString('utf8');
}

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

const productArbitrary = fc.record(
  {
    id: fc.string({ minLength: 1, unit: 'binary' }),
    price: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map((price) => (Object.is(price, -0) ? 0 : price)),
    quantity: fc.integer(),
    tags: fc.array(fc.string({ unit: 'grapheme' })),
    discontinued: fc.boolean(),
  },
  { requiredKeys: ['id', 'price', 'quantity', 'tags'], noNullPrototype: true },
);

describe('JsonSchemaSerde', () => {
  const serde = Serdes.JsonSchema<ProductEvent>(productSchema);

  it('writes JSON that parses back to the same value for every schema-conforming value', () => {
    fc.assert(
      fc.property(productArbitrary, (event) => {
        const written = serde.serialize(topic, event, new Headers());
        expect(JSON.parse(text(written))).toStrictEqual(event);
        expect(serde.deserialize(topic, written, new Headers())).toStrictEqual(event);
      }),
    );
  });

  it('writes what JSON.stringify writes for a conforming value with keys in schema order', () => {
    const event: ProductEvent = { id: 'p-1', price: 9.5, quantity: 3, tags: ['a', 'é'] };
    expect(text(serde.serialize(topic, event, new Headers()))).toBe(JSON.stringify(event));
  });

  it('drops properties the schema does not list', () => {
    const event = { id: 'p-1', price: 1, quantity: 1, tags: [], secret: 'x' } as ProductEvent;
    expect(JSON.parse(text(serde.serialize(topic, event, new Headers())))).toStrictEqual({
      id: 'p-1',
      price: 1,
      quantity: 1,
      tags: [],
    });
  });

  it('coerces values to the schema types instead of rejecting them', () => {
    const event = { id: 42, price: '7', quantity: 1.9, tags: [{}], discontinued: 'yes' } as unknown as ProductEvent;
    expect(text(serde.serialize(topic, event, new Headers()))).toBe(
      '{"id":"42","price":7,"quantity":1,"tags":["[object Object]"],"discontinued":true}',
    );
  });

  it('throws SerializationError when a required property is missing or a value cannot be coerced', () => {
    const missing = thrown(() => serde.serialize(topic, { id: 'p-1' } as ProductEvent, new Headers()));
    expect(missing).toBeInstanceOf(SerializationError);
    expect(missing.message).toMatch(/^JsonSchema serializer on topic 'events' could not serialize the value: .*required/);
    expect(missing.cause).toBeInstanceOf(Error);
    const uncoercible = { id: 'p-1', price: 'free', quantity: 1, tags: [] } as unknown as ProductEvent;
    expect(thrown(() => serde.serialize(topic, uncoercible, new Headers()))).toBeInstanceOf(SerializationError);
  });

  it('rejects a record that does not match the schema, naming the path and the rule', () => {
    const negative = Buffer.from('{"id":"p-1","price":-1,"quantity":1,"tags":[]}');
    const error = thrown(() => serde.deserialize(topic, negative, new Headers()));
    expect(error).toBeInstanceOf(DeserializationError);
    expect((error as DeserializationError).code).toBe('DESERIALIZATION_FAILED');
    expect(error.message).toBe("JsonSchema deserializer on topic 'events': /price must be >= 0");

    const cases: Array<[string, string]> = [
      ['{"id":"p-1","price":1,"tags":[]}', "(root) must have required property 'quantity'"],
      ['{"id":"p-1","price":1,"quantity":1.5,"tags":[]}', '/quantity must be integer'],
      ['{"id":"p-1","price":1,"quantity":1,"tags":["a",2]}', '/tags/1 must be string'],
      ['{"id":"","price":1,"quantity":1,"tags":[]}', '/id must NOT have fewer than 1 characters'],
      ['[1,2]', '(root) must be object'],
      ['"text"', '(root) must be object'],
    ];
    for (const [json, expected] of cases) {
      expect(thrown(() => serde.deserialize(topic, Buffer.from(json), new Headers())).message).toBe(
        `JsonSchema deserializer on topic 'events': ${expected}`,
      );
    }
  });

  it('checks a value decoded elsewhere as deserialize checks a parsed one', () => {
    const checker = new JsonSchemaSerde<ProductEvent>(productSchema);
    const good = { id: 'p-1', price: 2, quantity: 1, tags: [] };
    expect(checker.validated(topic, good)).toBe(good);
    const error = thrown(() => checker.validated(topic, { id: 'p-1', price: -1, quantity: 1, tags: [] }));
    expect(error).toBeInstanceOf(DeserializationError);
    expect(error.message).toBe("JsonSchema deserializer on topic 'events': /price must be >= 0");
  });

  it('names the extra property when additionalProperties is false', () => {
    const strict = Serdes.JsonSchema<{ id: string }>({
      type: 'object',
      properties: { id: { type: 'string' } },
      additionalProperties: false,
    });
    expect(thrown(() => strict.deserialize('t', Buffer.from('{"id":"a","extra":1}'), new Headers())).message).toBe(
      "JsonSchema deserializer on topic 't': (root) must NOT have additional properties 'extra'",
    );
  });

  it('lists several errors, at most three, when a keyword reports more than one', () => {
    const either = Serdes.JsonSchema<string | number>({
      anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'string', minLength: 3 }, { type: 'number', minimum: 3 }],
    });
    expect(thrown(() => either.deserialize('t', Buffer.from('true'), new Headers())).message).toBe(
      "JsonSchema deserializer on topic 't': (root) must be string; (root) must be number; (root) must be string; and 2 more",
    );
  });

  it('rejects malformed JSON with the parse error as cause', () => {
    const error = thrown(() => serde.deserialize(topic, Buffer.from('{"id":'), new Headers()));
    expect(error).toBeInstanceOf(DeserializationError);
    expect(error.message).toMatch(/^JsonSchema deserializer on topic 'events' got malformed JSON \(6 bytes\): /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('validates before writing when validateOnSerialize is set', () => {
    const checking = Serdes.JsonSchema<ProductEvent>(productSchema, { validateOnSerialize: true });
    const negative: ProductEvent = { id: 'p-1', price: -1, quantity: 1, tags: [] };
    const error = thrown(() => checking.serialize(topic, negative, new Headers()));
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toBe("JsonSchema serializer on topic 'events': /price must be >= 0");
    const coercible = { id: 42, price: 1, quantity: 1, tags: [] } as unknown as ProductEvent;
    expect(thrown(() => checking.serialize(topic, coercible, new Headers())).message).toBe(
      "JsonSchema serializer on topic 'events': /id must be string",
    );
    const good: ProductEvent = { id: 'p-1', price: 1, quantity: 1, tags: [] };
    expect(checking.deserialize(topic, checking.serialize(topic, good, new Headers()), new Headers())).toStrictEqual(good);
  });

  it('does not check formats on reading, since no format library is bundled', () => {
    const dated = Serdes.JsonSchema<{ at: string }>({ type: 'object', properties: { at: { type: 'string', format: 'date-time' } } });
    expect(dated.deserialize('t', Buffer.from('{"at":"not a date"}'), new Headers())).toEqual({ at: 'not a date' });
  });

  it('leaves the headers untouched', () => {
    const headers = new Headers().add('trace', 'abc');
    const before = headers.toArray();
    const event: ProductEvent = { id: 'p-1', price: 1, quantity: 1, tags: [] };
    serde.deserialize(topic, serde.serialize(topic, event, headers), headers);
    expect(headers.toArray()).toEqual(before);
  });

  it('rejects a bad schema or bad options at construction, naming the problem', () => {
    const badType = thrown(() => Serdes.JsonSchema({ type: 'objectt' as 'object' }));
    expect(badType).toBeInstanceOf(ConfigError);
    expect(badType.message).toMatch(/^Serdes.JsonSchema got a schema ajv cannot compile: schema is invalid/);
    const draft2020 = thrown(() => Serdes.JsonSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema' }));
    expect(draft2020).toBeInstanceOf(ConfigError);
    expect(draft2020.message).toMatch(/draft-07/);
    expect(thrown(() => Serdes.JsonSchema(null as unknown as JsonSchemaFor<unknown>))).toBeInstanceOf(ConfigError);
    const unknownOption = thrown(() =>
      Serdes.JsonSchema(productSchema, { validateOnSerialise: true } as unknown as JsonSchemaSerdeOptions),
    );
    expect(unknownOption).toBeInstanceOf(ConfigError);
    expect(unknownOption.message).toContain("unknown option 'validateOnSerialise'");
    const wrongType = thrown(() => Serdes.JsonSchema(productSchema, { validateOnSerialize: 'yes' as unknown as boolean }));
    expect(wrongType.message).toContain("option 'validateOnSerialize' must be a boolean, got string");
  });

  it('is the class Serdes.JsonSchema builds', () => {
    expect(serde).toBeInstanceOf(JsonSchemaSerde);
    expect(new JsonSchemaSerde<ProductEvent>(productSchema).deserialize(topic, Buffer.from('{"id":"a","price":0,"quantity":0,"tags":[]}'), new Headers())).toEqual({
      id: 'a',
      price: 0,
      quantity: 0,
      tags: [],
    });
  });
});

describe('JsonSchemaFor types', () => {
  it('types the serde by the name given, not by the schema', () => {
    expectTypeOf(Serdes.JsonSchema<ProductEvent>(productSchema)).toEqualTypeOf<Serde<ProductEvent>>();
    expectTypeOf(Serdes.JsonSchema({ type: 'string' })).toEqualTypeOf<Serde<unknown>>();
    const fromContext: Serde<ProductEvent> = Serdes.JsonSchema(productSchema);
    expect(fromContext).toBeInstanceOf(JsonSchemaSerde);
  });

  it('catches property names the type does not have', () => {
    // Never called: these lines are checked by the type checker, which fails if an error goes missing.
    const typeChecks = (): void => {
      Serdes.JsonSchema<ProductEvent>({
        type: 'object',
        // @ts-expect-error: 'pricee' is not a property of ProductEvent
        properties: { pricee: { type: 'number' } },
      });
      // @ts-expect-error: 'name' is not a property of ProductEvent
      Serdes.JsonSchema<ProductEvent>({ type: 'object', required: ['id', 'name'] });
      // @ts-expect-error: 'objectt' is not a JSON schema type
      Serdes.JsonSchema<ProductEvent>({ type: 'objectt' });
    };
    expect(typeChecks).toBeTypeOf('function');
  });

  it('accepts the keys of every member of a union, and schemas declared with as const', () => {
    type Shape = { kind: 'circle'; radius: number } | { kind: 'square'; side: number };
    const shapeSchema = {
      type: 'object',
      properties: { kind: { enum: ['circle', 'square'] }, radius: { type: 'number' }, side: { type: 'number' } },
      required: ['kind'],
    } as const;
    const shapes = Serdes.JsonSchema<Shape>(shapeSchema);
    expect(shapes.deserialize('t', Buffer.from('{"kind":"square","side":2}'), new Headers())).toEqual({ kind: 'square', side: 2 });
  });
});
