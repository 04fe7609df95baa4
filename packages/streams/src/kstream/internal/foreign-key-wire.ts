/**
 * What a foreign-key join writes to its internal topics and subscription store, byte for byte as
 * Kafka Streams 3.9 writes them (`SubscriptionWrapperSerde`, `SubscriptionResponseWrapperSerde`,
 * `CombinedKeySchema`), so that the two can read each other's topics:
 *
 * - subscription (key: foreign key bytes), version 1:
 *   `[1, or 0x81 without a hash][instruction][hash: 16 bytes, if any][primary key bytes][primary partition: int32 BE]`
 *   (version 0, which Kafka still reads, has no partition);
 * - response (key: primary key bytes), version 0:
 *   `[0, or 0x80 without a hash][hash: 16 bytes, if any][right value bytes, none when the row is absent]`;
 * - subscription store key: `[foreign key length: int32 BE][foreign key bytes][primary key bytes]`.
 *
 * The hash is Kafka's Murmur3 128-bit hash of the left row's serialized value when the
 * subscription was sent (none for a deleted row). A response whose hash no longer matches the
 * left row is stale and dropped.
 */
import { StreamsError } from '../../errors/streams-error.js';
import { murmur3Hash128 } from './murmur3.js';

/** What the right side should do with a subscription (Kafka's `SubscriptionWrapper.Instruction`, same bytes). */
export const Instruction = {
  /** Remove the subscription silently: the row moved to another foreign key, which will answer. */
  DeleteKeyNoPropagate: 0,
  /** Remove the subscription; answer so the left side deletes its result. */
  DeleteKeyAndPropagate: 1,
  /** Keep the subscription; answer even when the foreign row is absent (left joins, key changes). */
  PropagateNullIfNoForeignValue: 2,
  /** Keep the subscription; answer only when the foreign row exists. */
  PropagateOnlyIfForeignValue: 3,
} as const;
export type Instruction = (typeof Instruction)[keyof typeof Instruction];

const subscriptionVersion = 1;
const responseVersion = 0;
const noHashFlag = 0x80;
const hashBytes = 16;
const partitionBytes = 4;

/** The hash of a left row's serialized value, or null for no row. */
export function hashValue(bytes: Buffer | null): Buffer | null {
  return bytes === null ? null : murmur3Hash128(bytes);
}

/** Whether two hashes (or two absent ones) are the same. */
export function sameHash(first: Buffer | null, second: Buffer | null): boolean {
  return first === null || second === null ? first === second : first.equals(second);
}

export interface Subscription {
  readonly instruction: Instruction;
  readonly hash: Buffer | null;
  readonly primaryKey: Buffer;
  /** The left record's partition (version 1), or undefined (version 0). */
  readonly primaryPartition: number | undefined;
}

function wireError(what: string, bytes: Buffer, problem: string): StreamsError {
  return new StreamsError(
    'FK_JOIN_WIRE',
    `Not a foreign-key join ${what} (${problem}; ${bytes.length} bytes, first byte ${String(bytes[0])}). Its internal topic holds records another program wrote: reset the application (or delete the topic) so that only the join writes it.`,
  );
}

export function encodeSubscription(instruction: Instruction, hash: Buffer | null, primaryKey: Buffer, primaryPartition: number): Buffer {
  const hashLength = hash === null ? 0 : hashBytes;
  const bytes = Buffer.allocUnsafe(2 + hashLength + primaryKey.length + partitionBytes);
  bytes[0] = hash === null ? subscriptionVersion | noHashFlag : subscriptionVersion;
  bytes[1] = instruction;
  if (hash !== null) hash.copy(bytes, 2);
  primaryKey.copy(bytes, 2 + hashLength);
  bytes.writeInt32BE(primaryPartition, 2 + hashLength + primaryKey.length);
  return bytes;
}

export function decodeSubscription(bytes: Buffer): Subscription {
  if (bytes.length < 2) throw wireError('subscription', bytes, 'too short');
  const version = bytes[0]! & 0x7f;
  if (version > subscriptionVersion) throw wireError('subscription', bytes, `version ${version}, newer than ${subscriptionVersion}`);
  const instruction = bytes[1]!;
  if (instruction > Instruction.PropagateOnlyIfForeignValue) throw wireError('subscription', bytes, `instruction ${instruction}`);
  const hasHash = (bytes[0]! & noHashFlag) === 0;
  const keyStart = 2 + (hasHash ? hashBytes : 0);
  const keyEnd = bytes.length - (version > 0 ? partitionBytes : 0);
  if (keyEnd < keyStart) throw wireError('subscription', bytes, 'too short');
  return {
    instruction: instruction as Instruction,
    hash: hasHash ? bytes.subarray(2, keyStart) : null,
    primaryKey: bytes.subarray(keyStart, keyEnd),
    primaryPartition: version > 0 ? bytes.readInt32BE(keyEnd) : undefined,
  };
}

export interface Response {
  readonly hash: Buffer | null;
  /** The right row's bytes, or null when it is absent. */
  readonly foreignValue: Buffer | null;
}

export function encodeResponse(hash: Buffer | null, foreignValue: Buffer | null): Buffer {
  const hashLength = hash === null ? 0 : hashBytes;
  const bytes = Buffer.allocUnsafe(1 + hashLength + (foreignValue === null ? 0 : foreignValue.length));
  bytes[0] = hash === null ? responseVersion | noHashFlag : responseVersion;
  if (hash !== null) hash.copy(bytes, 1);
  if (foreignValue !== null) foreignValue.copy(bytes, 1 + hashLength);
  return bytes;
}

export function decodeResponse(bytes: Buffer): Response {
  if (bytes.length < 1) throw wireError('response', bytes, 'empty');
  const version = bytes[0]! & 0x7f;
  if (version > responseVersion) throw wireError('response', bytes, `version ${version}, newer than ${responseVersion}`);
  const hasHash = (bytes[0]! & noHashFlag) === 0;
  const valueStart = 1 + (hasHash ? hashBytes : 0);
  if (bytes.length < valueStart) throw wireError('response', bytes, 'too short');
  // As in Kafka, a right value that serialized to no bytes reads back as an absent row.
  return { hash: hasHash ? bytes.subarray(1, valueStart) : null, foreignValue: bytes.length > valueStart ? bytes.subarray(valueStart) : null };
}

/** The subscription store's key prefix of one foreign key: every primary key under it follows. */
export function foreignKeyPrefix(foreignKey: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(foreignKey.length, 0);
  return Buffer.concat([length, foreignKey]);
}

export function combinedKey(foreignKey: Buffer, primaryKey: Buffer): Buffer {
  return Buffer.concat([foreignKeyPrefix(foreignKey), primaryKey]);
}

/** The smallest key greater than every key that starts with `prefix`, or undefined if none is. */
export function prefixUpperBound(prefix: Buffer): Buffer | undefined {
  const bound = Buffer.from(prefix);
  for (let index = bound.length - 1; index >= 0; index--) {
    if (bound[index]! < 0xff) {
      bound[index]!++;
      return bound.subarray(0, index + 1);
    }
  }
  return undefined;
}
