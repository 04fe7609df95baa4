/**
 * A JSON serde with a schema: the schema compiles, once, into a fast-json-stringify writer and an
 * ajv validator, so records are written faster than `JSON.stringify` writes them and records that
 * do not match are stopped at the topic's edge instead of deep inside the topology.
 */
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import fastJsonStringify from 'fast-json-stringify';
import type { AnySchema as StringifySchema } from 'fast-json-stringify';
import type { Headers } from '../processor/headers.js';
import { ConfigError, DeserializationError, SerializationError } from '../errors/streams-error.js';
import type { Serde } from './serde.js';

/** The primitive type names of JSON Schema draft-07, for the `type` keyword. */
export type JsonSchemaTypeName = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/**
 * The keywords every schema may hold. Typed loosely on purpose: any draft-07 keyword is allowed,
 * and only the few that the writer and validator depend on are spelled out.
 */
export interface JsonSchemaKeywords {
  /** The schema's URI, which `$ref`s elsewhere in the schema may resolve against. */
  readonly $id?: string;
  /** The draft the schema is written for; only draft-07 is supported. */
  readonly $schema?: string;
  /** A reference to another schema, such as `#/definitions/address`, resolved by both the writer and the validator. */
  readonly $ref?: string;
  /** The JSON type(s) allowed; the writer also coerces values to it (see {@link JsonSchemaSerde}). */
  readonly type?: JsonSchemaTypeName | readonly JsonSchemaTypeName[];
  /** For arrays: one schema for every item, or one per position (a tuple). */
  readonly items?: JsonSchemaDefinition | readonly JsonSchemaDefinition[];
  /** For objects: the schema of properties not listed in `properties`; the writer drops them unless this allows them. */
  readonly additionalProperties?: JsonSchemaDefinition;
  /** The only values allowed, compared by deep equality. */
  readonly enum?: readonly unknown[];
  readonly [keyword: string]: unknown;
}

/** A draft-07 schema object, nested or at the root, with any property names. */
export interface JsonSchemaObject extends JsonSchemaKeywords {
  /** For objects: the schema of each named property. Properties not listed are dropped on writing unless `additionalProperties` allows them. */
  readonly properties?: { readonly [name: string]: JsonSchemaDefinition };
  /** For objects: properties that must be present; a missing one fails reading and writing. */
  readonly required?: readonly string[];
}

/** A schema or a boolean schema (`true` accepts anything), as nested schemas may be. */
export type JsonSchemaDefinition = JsonSchemaObject | boolean;

/** A root schema whose `properties` and `required` may name only the properties of the type it describes. */
export interface JsonSchemaForObject<Name extends string> extends JsonSchemaKeywords {
  /** The schema of each property, keyed only by `Name`: a misspelled property is a compile error. */
  readonly properties?: { readonly [Property in Name]?: JsonSchemaDefinition };
  /** Properties that must be present, each one of `Name`; a missing one fails reading and writing. */
  readonly required?: readonly Name[];
}

/** Every key of every member of a union, so a schema may describe all variants of an event. */
type KeyOfAnyMember<T> = T extends unknown ? keyof T : never;

/**
 * The schema type for values of `T`: catches a misspelled property name in `properties` or
 * `required` at compile time. Declare a schema apart from the call with this annotation (or
 * `as const`) so its `type` and `required` keep their literal types. For a union `T`, the
 * allowed names are every key of every member (`KeyOfAnyMember<T>`), so one schema can describe
 * all variants of an event.
 */
export type JsonSchemaFor<T> = [T] extends [readonly unknown[]]
  ? JsonSchemaObject
  : [T] extends [object]
    ? JsonSchemaForObject<KeyOfAnyMember<T> & string>
    : JsonSchemaObject;

/** How a {@link JsonSchemaSerde} behaves, fixed at construction. */
export interface JsonSchemaSerdeOptions {
  /**
   * Validate each value against the schema before writing it, and throw `SerializationError`
   * instead of letting the writer drop or coerce what does not fit. Costs one validation per
   * record. Validates the value as given, so it must already be JSON-shaped (a `Date` is not a
   * string). Default `false`.
   */
  readonly validateOnSerialize?: boolean;
}

const optionNames: ReadonlySet<string> = new Set(['validateOnSerialize']);

/** The validator stops at the first error, so a list longer than this only comes from `anyOf`-like keywords. */
const listedErrorLimit = 3;

/** Formats ajv's errors as `instancePath message`, the way a person reading a log wants them. */
function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (errors === null || errors === undefined || errors.length === 0) return 'the value does not match the schema';
  const parts: string[] = [];
  for (let index = 0; index < errors.length && index < listedErrorLimit; index++) {
    const error = errors[index]!;
    const path = error.instancePath === '' ? '(root)' : error.instancePath;
    const extra = error.keyword === 'additionalProperties' ? ` '${String(error.params['additionalProperty'])}'` : '';
    parts.push(`${path} ${error.message ?? 'is invalid'}${extra}`);
  }
  if (errors.length > listedErrorLimit) parts.push(`and ${errors.length - listedErrorLimit} more`);
  return parts.join('; ');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function validateOptions(options: unknown): JsonSchemaSerdeOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError('Serdes.JsonSchema options must be an object such as { validateOnSerialize: true }');
  }
  for (const name of Object.keys(options)) {
    if (!optionNames.has(name)) {
      throw new ConfigError(`Serdes.JsonSchema got an unknown option '${name}'; the only option is 'validateOnSerialize'`);
    }
  }
  const validateOnSerialize = (options as JsonSchemaSerdeOptions).validateOnSerialize;
  if (validateOnSerialize !== undefined && typeof validateOnSerialize !== 'boolean') {
    throw new ConfigError(`Serdes.JsonSchema option 'validateOnSerialize' must be a boolean, got ${typeof validateOnSerialize}`);
  }
  return options as JsonSchemaSerdeOptions;
}

/**
 * JSON checked against a draft-07 schema. Reading parses, then validates with ajv; a record that
 * does not match throws `DeserializationError` listing what is wrong. The `format` keyword is not
 * checked on reading (no format library is bundled).
 *
 * Writing uses fast-json-stringify, which trusts the schema rather than the value: it silently
 * drops properties the schema does not list (unless `additionalProperties` allows them), and
 * coerces values to the schema's types: `3` for a string property becomes `"3"`, an object becomes
 * `"[object Object]"`, `null` becomes `""` or `0`, `1.6` for an integer becomes `1`, and a `Date`
 * becomes its ISO string. A missing required property throws `SerializationError`. Set
 * `validateOnSerialize` to reject such values instead.
 *
 * Name `T` yourself; it is not inferred from the schema, and it should be the JSON shape (strings
 * for dates), since that is what reading returns.
 */
export class JsonSchemaSerde<T> implements Serde<T> {
  private readonly stringify: (value: unknown) => string;
  private readonly validate: ValidateFunction;
  private readonly validateOnSerialize: boolean;

  /**
   * Compiles `schema` once, for both reading (ajv) and writing (fast-json-stringify);
   * `Serdes.JsonSchema(schema, options)` is the same.
   *
   * @throws ConfigError when `schema` is not an object, `options` has an unknown or mistyped
   *   option, or ajv or fast-json-stringify cannot compile the schema.
   */
  constructor(schema: JsonSchemaFor<T>, options?: JsonSchemaSerdeOptions) {
    const checked = validateOptions(options);
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new ConfigError('Serdes.JsonSchema needs a schema object, such as { type: "object", properties: { ... } }');
    }
    this.validateOnSerialize = checked.validateOnSerialize ?? false;
    try {
      this.validate = new Ajv({ allErrors: false, strict: false, validateFormats: false }).compile(schema);
    } catch (error) {
      throw new ConfigError(
        `Serdes.JsonSchema got a schema ajv cannot compile: ${errorMessage(error)}; give a draft-07 JSON schema`,
        { cause: error },
      );
    }
    try {
      this.stringify = fastJsonStringify(schema as StringifySchema) as (value: unknown) => string;
    } catch (error) {
      throw new ConfigError(
        `Serdes.JsonSchema got a schema fast-json-stringify cannot compile: ${errorMessage(error)}; give a draft-07 JSON schema`,
        { cause: error },
      );
    }
  }

  serialize(topic: string, data: T, _headers: Headers): Buffer {
    if (this.validateOnSerialize && !this.validate(data)) {
      throw new SerializationError(`JsonSchema serializer on topic '${topic}': ${describeSchemaErrors(this.validate.errors)}`);
    }
    let json: string;
    try {
      json = this.stringify(data);
    } catch (error) {
      throw new SerializationError(
        `JsonSchema serializer on topic '${topic}' could not serialize the value: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return Buffer.from(json, 'utf8');
  }

  deserialize(topic: string, data: Buffer, _headers: Headers): T {
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch (error) {
      throw new DeserializationError(
        `JsonSchema deserializer on topic '${topic}' got malformed JSON (${data.length} bytes): ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return this.validated(topic, value);
  }

  /**
   * Checks a value that was decoded some other way (a binary serde of the same type, say)
   * against the schema, as {@link deserialize} checks what it parsed, and returns it as `T`.
   *
   * @param topic the topic the value was read from, named in the error
   * @throws DeserializationError listing what does not match, as `deserialize` throws it.
   */
  validated(topic: string, value: unknown): T {
    if (!this.validate(value)) {
      throw new DeserializationError(`JsonSchema deserializer on topic '${topic}': ${describeSchemaErrors(this.validate.errors)}`);
    }
    return value as T;
  }
}
