/**
 * Failure policy. When a record cannot be deserialized, processed or produced, the engine asks
 * a handler what to do: continue (the record is dropped, logged and counted), fail (the task
 * stops with the error), and optionally send dead-letter records first. Handlers are plain
 * functions, so an app can write its own; the built-ins cover the usual policies.
 *
 * Dead-letter records carry the original bytes and the `__streams.errors.*` headers that Kafka
 * Streams (KIP-1034) uses, so tooling written for Java apps reads them too.
 */
import { Headers } from '../processor/headers.js';
import type { TaskId } from '../processor/processor.js';
import type { StreamRecord } from '../processor/stream-record.js';
import type { Logger } from '../logger.js';

/** Where a failing record came from. */
export interface ErrorHandlerContext {
  /** The task that failed; `{ subtopology: -1, partition: -1 }` while filling a global store. */
  readonly taskId: TaskId;
  /** The source topic of the record being processed, when there is one. */
  readonly topic: string | undefined;
  /** The source record's partition; `undefined` outside a source record (in a punctuator). */
  readonly partition: number | undefined;
  /** The source record's offset; `undefined` outside a source record (in a punctuator). */
  readonly offset: number | undefined;
  /** The node that failed; for deserialization errors, the source node. */
  readonly processorNodeName: string;
  /** The bytes of the source record's key as consumed, when known. */
  readonly sourceRawKey: Buffer | null | undefined;
  /** The bytes of the source record's value as consumed, when known. */
  readonly sourceRawValue: Buffer | null | undefined;
  /** The source record's headers as consumed. */
  readonly headers: Headers;
  /** The source record's timestamp. */
  readonly timestamp: number;
  /** The logger configured for the application. */
  readonly logger: Logger;
  /**
   * The processor whose punctuator was running when the failure happened: the punctuator itself
   * threw when it equals `processorNodeName`, otherwise a node it forwarded to failed. `undefined`
   * while processing a source record.
   */
  readonly punctuator?: string | undefined;
}

/** A record a handler wants written to a dead-letter topic. */
export interface DeadLetterRecord {
  /** The dead-letter topic, written as is (not prefixed with the application id). */
  readonly topic: string;
  /** The source record's key bytes as consumed, so the record can be replayed; `null` when unknown. */
  readonly key: Buffer | null;
  /** The source record's value bytes as consumed; `null` when unknown (for example in a punctuator). */
  readonly value: Buffer | null;
  /** The source record's headers plus the {@link DeadLetterHeaders} describing the failure. */
  readonly headers: Headers;
  /** The source record's timestamp, epoch ms (the punctuation time when there was none). */
  readonly timestamp: number;
}

/** What a handler decided. */
export interface HandlerResponse {
  /** `continue` drops the record and goes on; `fail` stops the task with the error. */
  readonly action: 'continue' | 'fail';
  /** Records to send before acting, typically one dead-letter record. */
  readonly deadLetterRecords?: readonly DeadLetterRecord[];
}

/** Decides what happens to a record whose key or value could not be deserialized. */
export type DeserializationExceptionHandler = (context: ErrorHandlerContext, error: Error) => HandlerResponse;

/** Decides what happens to a record whose processing threw. */
export type ProcessingExceptionHandler = (
  context: ErrorHandlerContext,
  record: StreamRecord<unknown, unknown>,
  error: Error,
) => HandlerResponse;

/** Decides what happens to an output record that could not be serialized or sent. */
export type ProductionExceptionHandler = (
  context: ErrorHandlerContext,
  record: StreamRecord<unknown, unknown>,
  error: Error,
) => HandlerResponse;

/** A handler usable for any of the three failures. */
export type ExceptionHandler = DeserializationExceptionHandler & ProcessingExceptionHandler & ProductionExceptionHandler;

const CONTINUE: HandlerResponse = Object.freeze({ action: 'continue' });
const FAIL: HandlerResponse = Object.freeze({ action: 'fail' });

function describe(context: ErrorHandlerContext): Record<string, unknown> {
  return {
    task: `${context.taskId.subtopology}_${context.taskId.partition}`,
    node: context.processorNodeName,
    topic: context.topic,
    partition: context.partition,
    offset: context.offset,
    ...(context.punctuator === undefined ? {} : { punctuator: context.punctuator }),
  };
}

/** What failed, for a log line: a record, a punctuator (named), or a record a punctuator forwarded. */
function failedWork(context: ErrorHandlerContext): string {
  const { punctuator } = context;
  if (punctuator === undefined) return 'record';
  if (punctuator === context.processorNodeName) return `punctuation: the punctuator of processor '${punctuator}' threw`;
  return `record forwarded by the punctuator of processor '${punctuator}' (processor '${context.processorNodeName}' threw)`;
}

/** Logs the failure as a warning and drops the record. The default for every failure. */
export function logAndContinue(): ExceptionHandler {
  return (context: ErrorHandlerContext, ...rest: [Error] | [unknown, Error]) => {
    const error = (rest.length === 1 ? rest[0] : rest[1]) as Error;
    context.logger.warn(`Skipping ${failedWork(context)}: ${error.message}`, describe(context));
    return CONTINUE;
  };
}

/** Logs the failure as an error and stops the task. */
export function logAndFail(): ExceptionHandler {
  return (context: ErrorHandlerContext, ...rest: [Error] | [unknown, Error]) => {
    const error = (rest.length === 1 ? rest[0] : rest[1]) as Error;
    context.logger.error(`Failing on ${failedWork(context)}: ${error.message}`, describe(context));
    return FAIL;
  };
}

/** Options for {@link deadLetterTopic}. */
export interface DeadLetterTopicOptions {
  /** The topic dead letters go to. */
  readonly topic: string;
  /** After sending, `continue` (the default) or `fail`. */
  readonly then?: 'continue' | 'fail';
}

/** Header names on a dead-letter record, as in Kafka Streams (KIP-1034). */
export const DeadLetterHeaders = {
  /** The error's `name` (Kafka Streams puts the exception class name here). */
  exception: '__streams.errors.exception',
  /** The error's `message`. */
  message: '__streams.errors.message',
  /** The error's `stack`, or empty when it has none. */
  stacktrace: '__streams.errors.stacktrace',
  /** The source topic; absent when the failure had no source record. */
  topic: '__streams.errors.topic',
  /** The source partition, as a decimal string; absent when the failure had no source record. */
  partition: '__streams.errors.partition',
  /** The source offset, as a decimal string; absent when the failure had no source record. */
  offset: '__streams.errors.offset',
} as const;

/** Builds the dead-letter record for a failure: original bytes and headers, plus the reason. */
export function deadLetterRecord(topic: string, context: ErrorHandlerContext, error: Error): DeadLetterRecord {
  const headers = context.headers.copy();
  headers.add(DeadLetterHeaders.exception, error.name);
  headers.add(DeadLetterHeaders.message, error.message);
  headers.add(DeadLetterHeaders.stacktrace, error.stack ?? '');
  if (context.topic !== undefined) headers.add(DeadLetterHeaders.topic, context.topic);
  if (context.partition !== undefined) headers.add(DeadLetterHeaders.partition, String(context.partition));
  if (context.offset !== undefined) headers.add(DeadLetterHeaders.offset, String(context.offset));
  return {
    topic,
    key: context.sourceRawKey ?? null,
    value: context.sourceRawValue ?? null,
    headers,
    timestamp: context.timestamp,
  };
}

/**
 * Sends the failing record's original bytes to a dead-letter topic, with the error in its
 * headers, then continues (or fails, if asked).
 */
export function deadLetterTopic(options: DeadLetterTopicOptions): ExceptionHandler {
  const then = options.then ?? 'continue';
  return (context: ErrorHandlerContext, ...rest: [Error] | [unknown, Error]) => {
    const error = (rest.length === 1 ? rest[0] : rest[1]) as Error;
    context.logger.warn(`Sending record to dead-letter topic '${options.topic}': ${error.message}`, describe(context));
    return { action: then, deadLetterRecords: [deadLetterRecord(options.topic, context, error)] };
  };
}
