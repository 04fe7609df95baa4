import { MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { StreamsError } from '@tributary/streams';
import { KafkaClientError } from '../client-error.js';
import { fromPlatformatic, hasKafkaError, requestUnanswered } from './platformatic-errors.js';

/** platformatic's error for a response whose partitions failed with these Kafka error codes. */
function response(...codes: number[]): Error {
  return new ResponseError(0, 9, Object.fromEntries(codes.map((code, index) => [`/p${index}`, [code, null]])), {});
}

function normalized(error: unknown): KafkaClientError {
  const result = fromPlatformatic(error);
  expect(result).toBeInstanceOf(KafkaClientError);
  expect((result as KafkaClientError).cause).toBe(error);
  return result as KafkaClientError;
}

describe('@platformatic/kafka errors in the runtime terms', () => {
  it('says a fenced producer is fenced, however deep the error sits', () => {
    expect(normalized(response(90))).toMatchObject({ kind: 'fenced', code: 'KAFKA_CLIENT_FENCED' }); // PRODUCER_FENCED
    expect(normalized(new MultipleErrors('retries', [response(47)])).kind).toBe('fenced'); // INVALID_PRODUCER_EPOCH
    expect(normalized(response(74)).kind).not.toBe('fenced'); // FENCED_LEADER_EPOCH is no producer's
  });

  it("takes a rebalance as one, a group that moved on without the member as group fencing, and names a missing topic and refused records", () => {
    expect(normalized(response(27)).kind).toBe('rebalance-in-progress'); // REBALANCE_IN_PROGRESS
    for (const code of [22, 25, 82]) expect(normalized(response(code))).toMatchObject({ kind: 'group-fenced', code: 'KAFKA_CLIENT_GROUP_FENCED' }); // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID
    expect(normalized(response(3))).toMatchObject({ kind: 'unknown-topic', retriable: true }); // UNKNOWN_TOPIC_OR_PARTITION
    expect(normalized(response(10))).toMatchObject({ kind: 'record-rejected', retriable: false }); // MESSAGE_TOO_LARGE
    expect(normalized(response(10)).message).toContain('MESSAGE_TOO_LARGE');
  });

  it('takes unreachable or silent brokers and retriable refusals as unavailable', () => {
    expect(normalized(new NetworkError('Connection closed'))).toMatchObject({ kind: 'unavailable', retriable: true });
    expect(normalized(new TimeoutError('Request timed out')).kind).toBe('unavailable');
    expect(normalized(response(6))).toMatchObject({ kind: 'unavailable', retriable: true }); // NOT_LEADER_OR_FOLLOWER
    expect(hasKafkaError(new MultipleErrors('x', [new ProtocolError('OFFSET_OUT_OF_RANGE')]), 'OFFSET_OUT_OF_RANGE')).toBe(true);
  });

  it('tells a connection that was accepted and never answered from a broker that could not be reached', () => {
    // What a request to a server that accepts connections and stays silent rejects with (start() then says so).
    expect(requestUnanswered(new TimeoutError('Request timed out', { canRetry: true }))).toBe(true);
    // Refused, or closed while connecting.
    expect(requestUnanswered(new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to 127.0.0.1:1 failed.')]))).toBe(false);
    expect(requestUnanswered(new NetworkError('Connection closed'))).toBe(false);
    expect(requestUnanswered(undefined)).toBe(false);
  });

  it("leaves Tributary's own errors and non-errors as they are", () => {
    const own = new StreamsError('SOMETHING', 'ours');
    expect(fromPlatformatic(own)).toBe(own);
    expect(fromPlatformatic('text')).toBe('text');
    expect(normalized(new Error('something else'))).toMatchObject({ kind: 'other', retriable: false });
  });
});
