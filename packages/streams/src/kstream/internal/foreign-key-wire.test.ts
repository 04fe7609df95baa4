/**
 * The foreign-key join's internal-topic formats, pinned byte for byte by what Kafka Streams
 * 3.9.2's own `SubscriptionWrapperSerde` and `SubscriptionResponseWrapperSerde` wrote (a small
 * Java program, run once): primary key "order-1", right value "product-A" (String serdes), and
 * the Murmur3 hash of "left-value".
 */
import { describe, expect, it } from 'vitest';
import { decodeResponse, decodeSubscription, encodeResponse, encodeSubscription, hashValue, Instruction, sameHash } from './foreign-key-wire.js';

const primaryKey = Buffer.from('order-1');
const hash = hashValue(Buffer.from('left-value'));

const subscriptions: Array<[string, Instruction, Buffer | null, number, string]> = [
  ['propagate only if the right row exists', Instruction.PropagateOnlyIfForeignValue, hash, 3, '0103133cc412dea2ee93d86259412971d1706f726465722d3100000003'],
  ['propagate null if the right row is absent', Instruction.PropagateNullIfNoForeignValue, hash, 0, '0102133cc412dea2ee93d86259412971d1706f726465722d3100000000'],
  ['delete and propagate, without a hash (a deleted left row)', Instruction.DeleteKeyAndPropagate, null, 0, '81016f726465722d3100000000'],
  ['delete without propagating', Instruction.DeleteKeyNoPropagate, hash, 1, '0100133cc412dea2ee93d86259412971d1706f726465722d3100000001'],
];

const responses: Array<[string, Buffer | null, Buffer | null, string]> = [
  ['a hash and a right value', hash, Buffer.from('product-A'), '00133cc412dea2ee93d86259412971d17070726f647563742d41'],
  ['a hash and no right row', hash, null, '00133cc412dea2ee93d86259412971d170'],
  ['no hash and no right row', null, null, '80'],
];

describe('foreign-key join wire format', () => {
  it.each(subscriptions)('writes a subscription as Kafka does: %s', (_name, instruction, subscriptionHash, partition, expected) => {
    const bytes = encodeSubscription(instruction, subscriptionHash, primaryKey, partition);
    expect(bytes.toString('hex')).toBe(expected);
    const decoded = decodeSubscription(bytes);
    expect(decoded.instruction).toBe(instruction);
    expect(sameHash(decoded.hash, subscriptionHash)).toBe(true);
    expect(decoded.primaryKey.toString()).toBe('order-1');
    expect(decoded.primaryPartition).toBe(partition);
  });

  it('reads a version 0 subscription, which has no partition', () => {
    const decoded = decodeSubscription(Buffer.from('0003133cc412dea2ee93d86259412971d1706f726465722d31', 'hex'));
    expect(decoded.instruction).toBe(Instruction.PropagateOnlyIfForeignValue);
    expect(decoded.primaryKey.toString()).toBe('order-1');
    expect(decoded.primaryPartition).toBeUndefined();
  });

  it.each(responses)('writes a response as Kafka does: %s', (_name, responseHash, foreignValue, expected) => {
    const bytes = encodeResponse(responseHash, foreignValue);
    expect(bytes.toString('hex')).toBe(expected);
    const decoded = decodeResponse(bytes);
    expect(sameHash(decoded.hash, responseHash)).toBe(true);
    expect(decoded.foreignValue === null ? null : decoded.foreignValue.toString()).toBe(foreignValue === null ? null : foreignValue.toString());
  });

  it('rejects bytes that are not a subscription or a response, naming the fix', () => {
    expect(() => decodeSubscription(Buffer.from('02', 'hex'))).toThrow('Not a foreign-key join subscription');
    expect(() => decodeSubscription(Buffer.from('0207', 'hex'))).toThrow('version 2');
    expect(() => decodeSubscription(Buffer.from('0109', 'hex'))).toThrow('instruction 9');
    expect(() => decodeResponse(Buffer.from('01', 'hex'))).toThrow('reset the application');
    expect(() => decodeResponse(Buffer.alloc(0))).toThrow('Not a foreign-key join response');
  });
});
