import { createRequire } from 'node:module';
import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Logger } from '@tributary/streams';
import { clientLogCreator, mapClientLog, routineClientErrors } from './kafkajs-log.js';

function entry(namespace: string, level: logLevel, message: string, fields: Record<string, unknown> = {}): LogEntry {
  return { namespace, level, label: logLevel[level], log: { timestamp: '2026-12-05T00:00:00.000Z', logger: 'kafkajs', message, ...fields } };
}

const notLeader = routineClientErrors['NOT_LEADER_FOR_PARTITION']!;

describe('mapClientLog', () => {
  it('takes retries of routine errors (leader moved or not elected, topic just created, coordinator moved) to debug', () => {
    const retries = [
      entry('Producer', logLevel.ERROR, `Failed to send messages: ${notLeader}`, { retryCount: 0, retryTime: 50 }),
      entry('Producer', logLevel.ERROR, routineClientErrors['UNKNOWN_TOPIC_OR_PARTITION']!, { retryCount: 1, retryTime: 120 }),
      entry('BrokerPool', logLevel.ERROR, routineClientErrors['LEADER_NOT_AVAILABLE']!, { retryCount: 0, retryTime: 300 }),
      entry('Admin', logLevel.WARN, 'Could not create topics', { error: routineClientErrors['NOT_CONTROLLER'], retryCount: 0, retryTime: 300 }),
      entry('Cluster', logLevel.ERROR, `Failed to refresh metadata: ${routineClientErrors['NOT_COORDINATOR_FOR_GROUP']}`),
      entry('ConsumerGroup', logLevel.WARN, 'Consumer is not aware of all assigned partitions, refreshing metadata', { topic: 't', knownPartitions: [], assignedPartitions: [0] }),
      entry('ConsumerGroup', logLevel.WARN, 'Topic t has no partition 3, resync group', { topic: 't' }),
      entry('Connection', logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', { error: routineClientErrors['REBALANCE_IN_PROGRESS'] }),
    ];
    for (const retry of retries) expect(mapClientLog(retry, false).level, retry.log.message).toBe('debug');
  });

  it('writes a rebalance as one info line naming the group, without the member fields', () => {
    const mapped = mapClientLog(entry('Runner', logLevel.WARN, 'The group is rebalancing, re-joining', { groupId: 'orders', memberId: 'orders-StreamThread-1-0c3e', error: routineClientErrors['REBALANCE_IN_PROGRESS'] }), false);
    expect(mapped).toEqual({ level: 'info', message: 'kafkajs Runner: the group orders is rebalancing; re-joining', fields: undefined });
  });

  it('keeps real errors errors: crashes after the retries ran out, restarts, errors that are not routine', () => {
    const errors = [
      entry('Consumer', logLevel.ERROR, `Crash: KafkaJSNumberOfRetriesExceeded: ${notLeader}`, { groupId: 'g', retryCount: 5, stack: '...' }),
      entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 3000ms', { retryCount: 5, retryTime: 3000, groupId: 'g' }),
      entry('Producer', logLevel.ERROR, 'Failed to send messages: The request included a message larger than the max message size the server will accept', { retryCount: 0 }),
      entry('BrokerPool', logLevel.ERROR, 'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092', { retryCount: 2 }),
      entry('Admin', logLevel.ERROR, 'Could not delete topics', { error: 'Broker: Topic authorization failed' }),
    ];
    for (const error of errors) expect(mapClientLog(error, false).level, error.log.message).toBe('error');
    expect(mapClientLog(entry('Producer', logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'), false).level).toBe('warn');
  });

  it('makes a member dropped from its group a warning, and passes info and debug through', () => {
    expect(mapClientLog(entry('Runner', logLevel.ERROR, 'The coordinator is not aware of this member, re-joining the group', { groupId: 'g' }), false).level).toBe('warn');
    expect(mapClientLog(entry('Consumer', logLevel.INFO, 'Starting', { groupId: 'g' }), false)).toEqual({ level: 'info', message: 'kafkajs Consumer: Starting', fields: { groupId: 'g' } });
    expect(mapClientLog(entry('Consumer', logLevel.DEBUG, 'Fetching'), false).level).toBe('debug');
  });

  it('takes everything to debug while the application closes', () => {
    expect(mapClientLog(entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSConnectionClosedError: Closed connection'), true).level).toBe('debug');
  });

  it("names each routine error with kafkajs' own message for its code", () => {
    const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: Array<{ type: string; message: string }> };
    for (const [type, message] of Object.entries(routineClientErrors)) expect(errorCodes.find((code) => code.type === type)?.message, type).toBe(message);
  });
});

describe('clientLogCreator', () => {
  it("writes to the application's logger at the mapped level", () => {
    const lines: string[] = [];
    const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    let closing = false;
    const log = clientLogCreator(logger, () => closing)(logLevel.WARN);
    log(entry('Producer', logLevel.ERROR, `Failed to send messages: ${notLeader}`));
    log(entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: boom'));
    closing = true;
    log(entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: boom'));
    expect(lines).toEqual([`debug kafkajs Producer: Failed to send messages: ${notLeader}`, 'error kafkajs Consumer: Crash: KafkaJSNumberOfRetriesExceeded: boom', 'debug kafkajs Consumer: Crash: KafkaJSNumberOfRetriesExceeded: boom']);
  });
});
