/**
 * kafkajs' log lines in the application's logger, at the level they deserve. kafkajs logs a
 * retriable condition at ERROR or WARN each time before it retries: a partition whose leader
 * moved or is not elected yet, a topic created a moment ago, a group rebalancing, a coordinator
 * that moved. Those are normal operation (a first start meets several, a second member joining
 * meets a rebalance), so they go to debug, and a rebalance to one info line; what kafkajs cannot
 * get past still reaches the application as an error naming the topic or broker and the fix.
 */
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@tributary/streams';

/** A logger method's name. */
type LogLevelName = keyof Logger;

/**
 * The messages of the Kafka error codes that kafkajs retries and that normal operation meets,
 * as kafkajs words them (`kafkajs/src/protocol/error.js`; the unit test checks each against it).
 */
export const routineClientErrors: Readonly<Record<string, string>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'This server does not host this topic-partition',
  LEADER_NOT_AVAILABLE: 'There is no leader for this topic-partition as we are in the middle of a leadership election',
  NOT_LEADER_FOR_PARTITION: 'This server is not the leader for that topic-partition',
  GROUP_LOAD_IN_PROGRESS: "The coordinator is loading and hence can't process requests for this group",
  GROUP_COORDINATOR_NOT_AVAILABLE: 'The group coordinator is not available',
  NOT_COORDINATOR_FOR_GROUP: 'This is not the correct coordinator for this group',
  REBALANCE_IN_PROGRESS: 'The group is rebalancing, so a rejoin is needed',
  NOT_CONTROLLER: 'This is not the correct controller for this cluster',
  FENCED_LEADER_EPOCH: 'The leader epoch in the request is older than the epoch on the broker',
  UNKNOWN_LEADER_EPOCH: 'The leader epoch in the request is newer than the epoch on the broker',
};

const routineTexts = Object.values(routineClientErrors);

/** kafkajs' notices before it re-joins a rebalancing group: one info line each. */
const REBALANCING = 'The group is rebalancing, re-joining';

/** Notices of metadata kafkajs refreshes and retries at once, about topics and partitions it learns of. */
const metadataNotices = ['Consumer is not aware of all assigned partitions, refreshing metadata', 'Consumer group received unsubscribed topics'];

function mentionsRoutineError(text: string): boolean {
  for (const routine of routineTexts) if (text.includes(routine)) return true;
  return false;
}

/** One kafkajs log entry as the application's logger receives it. */
export interface MappedClientLog {
  readonly level: LogLevelName;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

/**
 * The level and text of one kafkajs log entry. `closing`: the application is closing, when the
 * connections kafkajs drops are expected. Exported for its unit test.
 */
export function mapClientLog(entry: Pick<LogEntry, 'namespace' | 'level' | 'log'>, closing: boolean): MappedClientLog {
  const { message, timestamp: _timestamp, logger: _name, ...fields } = entry.log;
  const text = `kafkajs ${entry.namespace}: ${message}`;
  if (closing) return { level: 'debug', message: text, fields };
  // Every error response, logged before the caller decides what to do with it.
  if (entry.namespace === 'Connection' && message.startsWith('Response ')) return { level: 'debug', message: text, fields };
  if (message === REBALANCING) {
    const group = typeof fields['groupId'] === 'string' ? ` ${fields['groupId']}` : '';
    return { level: 'info', message: `kafkajs ${entry.namespace}: the group${group} is rebalancing; re-joining`, fields: undefined };
  }
  // The member was dropped from the group (it missed its session timeout) and re-joins: its
  // tasks moved, which is worth a warning, not an error.
  if (message.startsWith('The coordinator is not aware of this member')) return { level: 'warn', message: text, fields };
  if (metadataNotices.includes(message) || message.endsWith(', resync group')) return { level: 'debug', message: text, fields };
  // A retry notice (the producer's "Failed to send messages: ...", the admin's "Could not ...",
  // the broker pool's bare message) of a routine error. A crash or a restart after the retries
  // ran out mentions the same error but is not routine.
  const crashed = message.startsWith('Crash: ') || message.startsWith('Restarting the consumer');
  const error = typeof fields['error'] === 'string' ? fields['error'] : '';
  if (!crashed && (entry.level === logLevel.ERROR || entry.level === logLevel.WARN) && (mentionsRoutineError(message) || mentionsRoutineError(error))) {
    return { level: 'debug', message: text, fields };
  }
  const level: LogLevelName = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : entry.level === logLevel.INFO ? 'info' : 'debug';
  return { level, message: text, fields };
}

/** A kafkajs `logCreator` writing to `logger` through {@link mapClientLog}. */
export function clientLogCreator(logger: Logger, closing: () => boolean): logCreator {
  return () => (entry: LogEntry) => {
    const mapped = mapClientLog(entry, closing());
    logger[mapped.level](mapped.message, mapped.fields);
  };
}
