import { createRequire } from 'node:module';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { StreamsError } from '@tributary/streams';
import { KafkaClientError } from '../client-error.js';
import { fromKafkajs } from './kafkajs-errors.js';

/** kafkajs' own error for a Kafka error code, as its protocol decoder builds it. */
const createErrorFromCode = (createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => { type: string; code: number; retriable: boolean; message: string } }).createErrorFromCode;
const protocolError = (code: number): Error => new KafkaJSProtocolError(createErrorFromCode(code) as unknown as Error);

function normalized(error: unknown): KafkaClientError {
  const result = fromKafkajs(error);
  expect(result).toBeInstanceOf(KafkaClientError);
  expect((result as KafkaClientError).cause).toBe(error);
  return result as KafkaClientError;
}

describe('kafkajs errors in the runtime terms', () => {
  it('says a fenced producer is fenced: INVALID_PRODUCER_EPOCH, or an error that says so', () => {
    const epoch = normalized(protocolError(47));
    expect(epoch.kind).toBe('fenced');
    expect(epoch.code).toBe('KAFKA_CLIENT_FENCED');
    expect(normalized(new Error('The producer has been fenced by a newer instance')).kind).toBe('fenced');
    // A leader epoch is no producer's.
    expect(normalized(protocolError(74)).kind).not.toBe('fenced'); // FENCED_LEADER_EPOCH
  });

  it('takes unreachable brokers and exhausted retries as unavailable and retriable', () => {
    expect(normalized(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toMatchObject({ kind: 'unavailable', retriable: true });
    const leaderMoved = protocolError(6); // NOT_LEADER_OR_FOLLOWER
    expect(normalized(new KafkaJSNumberOfRetriesExceeded(leaderMoved, { retryCount: 5, retryTime: 100 }))).toMatchObject({ kind: 'unavailable', retriable: true });
  });

  it('blames the records for a record-level refusal, unless retries ran out', () => {
    expect(normalized(protocolError(10))).toMatchObject({ kind: 'record-rejected', retriable: false }); // MESSAGE_TOO_LARGE
    expect(normalized(new KafkaJSNumberOfRetriesExceeded(protocolError(10), { retryCount: 5, retryTime: 100 })).kind).toBe('unavailable');
  });

  it('names a missing topic, a rebalancing group and a group that moved on without the member', () => {
    expect(normalized(protocolError(3))).toMatchObject({ kind: 'unknown-topic', retriable: true }); // UNKNOWN_TOPIC_OR_PARTITION
    expect(normalized(protocolError(27)).kind).toBe('rebalance-in-progress'); // REBALANCE_IN_PROGRESS
    for (const code of [22, 25]) expect(normalized(protocolError(code)).kind).toBe('group-fenced'); // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID
  });

  it("leaves Tributary's own errors and non-errors as they are", () => {
    const own = new StreamsError('SOMETHING', 'ours');
    expect(fromKafkajs(own)).toBe(own);
    expect(fromKafkajs('text')).toBe('text');
    expect(normalized(new Error('Broker not connected')).kind).toBe('unavailable');
    expect(normalized(new Error('something else'))).toMatchObject({ kind: 'other', retriable: false });
  });
});
