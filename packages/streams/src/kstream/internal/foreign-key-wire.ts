/**
 * What a foreign-key join writes to its internal topics and subscription store (Kafka's
 * `SubscriptionWrapper`, `SubscriptionResponseWrapper` and `CombinedKey`), as bytes:
 *
 * - subscription (key: foreign key bytes):  [version 0][instruction][hash length][hash][primary key bytes]
 * - response (key: primary key bytes):      [version 0][hash length][hash][1 = right value follows | 0][right value bytes]
 * - subscription store key:                 [foreign key length, uint32 BE][foreign key bytes][primary key bytes]
 *
 * The hash is an MD5 of the left row's serialized value when the subscription was sent (length
 * 0 for a deleted row). A response whose hash no longer matches the left row is stale and dropped.
 */
import { createHash } from 'node:crypto';
import { StreamsError } from '../../errors/streams-error.js';

/** What the right side should do with a subscription (Kafka's `SubscriptionWrapper.Instruction`). */
export const Instruction = {
  /** Remove the subscription; answer so the left side deletes its result. */
  DeleteKeyAndPropagate: 0,
  /** Remove the subscription silently: the row moved to another foreign key, which will answer. */
  DeleteKeyNoPropagate: 1,
  /** Keep the subscription; answer even when the foreign row is absent (left joins, key changes). */
  PropagateNullIfNoForeignValue: 2,
  /** Keep the subscription; answer only when the foreign row exists. */
  PropagateOnlyIfForeignValue: 3,
} as const;
export type Instruction = (typeof Instruction)[keyof typeof Instruction];

const version = 0;
const emptyHash = Buffer.alloc(0);

export function hashValue(bytes: Buffer | null): Buffer {
  return bytes === null ? emptyHash : createHash('md5').update(bytes).digest();
}

export interface Subscription {
  readonly instruction: Instruction;
  readonly hash: Buffer;
  readonly primaryKey: Buffer;
}

export function encodeSubscription(instruction: Instruction, hash: Buffer, primaryKey: Buffer): Buffer {
  return Buffer.concat([Buffer.from([version, instruction, hash.length]), hash, primaryKey]);
}

export function decodeSubscription(bytes: Buffer): Subscription {
  if (bytes[0] !== version || bytes.length < 3) throw new StreamsError('FK_JOIN_WIRE', `Not a foreign-key join subscription (version ${String(bytes[0])}).`);
  const hashLength = bytes[2]!;
  return { instruction: bytes[1] as Instruction, hash: bytes.subarray(3, 3 + hashLength), primaryKey: bytes.subarray(3 + hashLength) };
}

export interface Response {
  readonly hash: Buffer;
  /** The right row's bytes, or null when it is absent. */
  readonly foreignValue: Buffer | null;
}

export function encodeResponse(hash: Buffer, foreignValue: Buffer | null): Buffer {
  return Buffer.concat([Buffer.from([version, hash.length]), hash, Buffer.from([foreignValue === null ? 0 : 1]), foreignValue ?? emptyHash]);
}

export function decodeResponse(bytes: Buffer): Response {
  if (bytes[0] !== version || bytes.length < 3) throw new StreamsError('FK_JOIN_WIRE', `Not a foreign-key join response (version ${String(bytes[0])}).`);
  const hashLength = bytes[1]!;
  const flag = bytes[2 + hashLength];
  return { hash: bytes.subarray(2, 2 + hashLength), foreignValue: flag === 1 ? bytes.subarray(3 + hashLength) : null };
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
