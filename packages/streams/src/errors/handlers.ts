/**
 * Failure policy. When a record cannot be deserialized, processed or produced, the engine asks
 * a handler what to do: continue (the record is dropped, logged and counted), fail (the task
 * stops with the error), and optionally send dead-letter records first. Handlers are plain
 * functions, so an app can write its own; the built-ins cover the usual policies.
 *
 * Dead-letter records carry the original bytes and the `__streams.errors.*` headers that Kafka
 * Streams (KIP-1034) uses, so tooling written for Java apps reads them too.
 */
import type { Headers } from '../processor/headers.js';
import type { TaskId } from '../processor/processor.js';
import type { StreamRecord } from '../processor/stream-record.js';
import type { Logger } from '../logger.js';
import { ConfigError } from './streams-error.js';

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
  /**
   * The most bytes a dead letter may take (key, value and headers); a larger one is truncated
   * by {@link fitDeadLetter}. Default {@link DEFAULT_DEAD_LETTER_MAX_BYTES}; the Kafka runtime
   * also applies its `deadLetterMaxBytes` to every dead letter it sends.
   */
  readonly maxRecordBytes?: number;
}

/**
 * The default bound on a dead letter's size: under the brokers' default `message.max.bytes`
 * (1,048,588), which bounds a record batch, with room for the batch's own overhead.
 */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 1_000_000;

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
  /**
   * Present when {@link fitDeadLetter} cut the record to fit the brokers' limit: `value`, or
   * `key,value`, the parts that were truncated (a Tributary addition to KIP-1034's headers).
   */
  truncated: '__streams.errors.truncated',
  /** With `truncated`: the original value's size in bytes, as a decimal string. */
  originalValueSize: '__streams.errors.original.value.size',
  /** With `truncated`: the original key's size in bytes, as a decimal string. */
  originalKeySize: '__streams.errors.original.key.size',
} as const;

/** Bytes a record adds to a batch beyond its key, value and headers (varint lengths, attributes, deltas), rounded up. */
const RECORD_OVERHEAD_BYTES = 64;
/** Bytes each header adds beyond its key and value (two varint lengths), rounded up. */
const HEADER_OVERHEAD_BYTES = 10;

/** The bytes a record takes on the wire, roughly (an upper bound for any sane header count). */
export function recordSizeInBytes(key: Buffer | null, value: Buffer | null, headers: Headers): number {
  let size = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + (value?.length ?? 0);
  for (const header of headers) size += HEADER_OVERHEAD_BYTES + Buffer.byteLength(header.key) + header.value.length;
  return size;
}

/**
 * A dead letter that fits in `maxBytes`: the record itself when it does, else a copy with its
 * value cut to what fits (and its key too, when the headers and key alone are too large), and
 * headers saying what was cut and the original sizes ({@link DeadLetterHeaders.truncated}).
 * A dead letter must always land: the brokers refuse a record above their limit, and a lost
 * dead letter leaves no trace of which record failed.
 */
export function fitDeadLetter(record: DeadLetterRecord, maxBytes: number = DEFAULT_DEAD_LETTER_MAX_BYTES): DeadLetterRecord {
  if (recordSizeInBytes(record.key, record.value, record.headers) <= maxBytes) return record;
  const headers = record.headers.copy();
  const keyLength = record.key?.length ?? 0;
  const valueLength = record.value?.length ?? 0;
  headers.add(DeadLetterHeaders.originalValueSize, String(valueLength));
  headers.add(DeadLetterHeaders.originalKeySize, String(keyLength));
  headers.add(DeadLetterHeaders.truncated, 'key,value'); // the longer of the two values, for the sizing below
  let room = maxBytes - recordSizeInBytes(null, null, headers);
  if (room < 0) {
    // The headers alone are too large (an error message quoting the whole record, say): the
    // stack trace goes, then the message is cut; the exception name and the source stay.
    const stack = headers.lastHeader(DeadLetterHeaders.stacktrace);
    headers.remove(DeadLetterHeaders.stacktrace).add(DeadLetterHeaders.stacktrace, '');
    room += stack?.value.length ?? 0;
    const message = headers.lastHeader(DeadLetterHeaders.message);
    if (room < 0 && message !== undefined) {
      headers.remove(DeadLetterHeaders.message).add(DeadLetterHeaders.message, message.value.subarray(0, Math.max(0, message.value.length + room)));
      room = maxBytes - recordSizeInBytes(null, null, headers);
    }
  }
  let key = record.key;
  let value = record.value;
  let truncated = 'value';
  if (room >= keyLength) {
    value = record.value === null ? null : record.value.subarray(0, room - keyLength);
  } else {
    truncated = 'key,value';
    key = record.key === null ? null : record.key.subarray(0, Math.max(0, room));
    value = record.value === null ? null : record.value.subarray(0, 0);
  }
  headers.remove(DeadLetterHeaders.truncated);
  headers.add(DeadLetterHeaders.truncated, truncated);
  return { topic: record.topic, key, value, headers, timestamp: record.timestamp };
}

/**
 * Builds the dead-letter record for a failure: original bytes and headers, plus the reason;
 * truncated by {@link fitDeadLetter} when it would be larger than `maxBytes`.
 */
export function deadLetterRecord(topic: string, context: ErrorHandlerContext, error: Error, maxBytes: number = DEFAULT_DEAD_LETTER_MAX_BYTES): DeadLetterRecord {
  const headers = context.headers.copy();
  headers.add(DeadLetterHeaders.exception, error.name);
  headers.add(DeadLetterHeaders.message, error.message);
  headers.add(DeadLetterHeaders.stacktrace, error.stack ?? '');
  if (context.topic !== undefined) headers.add(DeadLetterHeaders.topic, context.topic);
  if (context.partition !== undefined) headers.add(DeadLetterHeaders.partition, String(context.partition));
  if (context.offset !== undefined) headers.add(DeadLetterHeaders.offset, String(context.offset));
  return fitDeadLetter({ topic, key: context.sourceRawKey ?? null, value: context.sourceRawValue ?? null, headers, timestamp: context.timestamp }, maxBytes);
}

/**
 * Sends the failing record's original bytes to a dead-letter topic, with the error in its
 * headers, then continues (or fails, if asked).
 */
export function deadLetterTopic(options: DeadLetterTopicOptions): ExceptionHandler {
  const then = options.then ?? 'continue';
  const maxBytes = options.maxRecordBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
    throw new ConfigError(`deadLetterTopic option 'maxRecordBytes' must be a whole number of bytes of at least 1024, got ${String(options.maxRecordBytes)}.`);
  }
  return (context: ErrorHandlerContext, ...rest: [Error] | [unknown, Error]) => {
    const error = (rest.length === 1 ? rest[0] : rest[1]) as Error;
    context.logger.warn(`Sending record to dead-letter topic '${options.topic}': ${error.message}`, describe(context));
    return { action: then, deadLetterRecords: [deadLetterRecord(options.topic, context, error, maxBytes)] };
  };
}
