/**
 * One record on its way to the brokers ({@link OutgoingRecord}): the client's record fields, and
 * what the production handler needs should its send fail. The record collector
 * (`kafka-record-collector.ts`) builds one per record it buffers.
 */
import { Headers, type ErrorHandlerContext, type Logger } from '@tributary/streams';
import type { StreamTask } from '@tributary/streams/engine';
import type { OutgoingKafkaRecord, RecordHeaders } from '../client/kafka-client.js';
import { timestampMillis } from '../client/internal/record-timestamp.js';

/** The task context a record is produced in (`undefined` for dead letters). */
export type TaskContext = StreamTask['context'];

/** The topology's headers as the client's record headers (a key written twice becomes an array); `undefined` when there are none. */
export function toKafkaHeaders(headers: Headers): RecordHeaders | undefined {
  if (headers.size === 0) return undefined;
  const result: RecordHeaders = {};
  for (const header of headers) {
    const value = header.value;
    const previous = result[header.key];
    if (previous === undefined) result[header.key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else result[header.key] = [previous, value];
  }
  return result;
}

/**
 * One record to send: the kafkajs message (the fields kafkajs reads), plus what the production
 * handler needs should it fail — the task and the source record it came from. One object per
 * record, as the plain message was before. Only the message's fields are own properties: kafkajs
 * spreads each message into the record it encodes (`{ ...message, offsetDelta }`), and private
 * fields are not copied, so the bookkeeping costs nothing there. The timestamp is a getter: its
 * decimal string is made only when read (kafkajs' own encoding, a client of the seam's), as the
 * adapters read the number ({@link timestampMillis}).
 */
export class OutgoingRecord implements OutgoingKafkaRecord {
  headers: RecordHeaders | undefined = undefined;
  partition: number | undefined = undefined;
  readonly #recordHeaders: Headers;
  readonly #recordTimestamp: number | undefined;
  readonly #context: TaskContext | undefined;
  // Where the record came from; `context` is undefined for dead letters, whose failure is fatal.
  readonly #sourceTopic: string | undefined;
  readonly #sourcePartition: number;
  readonly #sourceOffset: number;
  readonly #sourceTimestamp: number;
  readonly #sourceKey: Buffer | null | undefined;
  readonly #sourceValue: Buffer | null | undefined;
  readonly #sourceHeaders: Headers | undefined;
  readonly #nodeName: string;
  #assigned = false;

  constructor(
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    recordHeaders: Headers,
    recordTimestamp: number | undefined,
    context: TaskContext | undefined,
  ) {
    this.#recordHeaders = recordHeaders;
    this.#recordTimestamp = recordTimestamp;
    this.#context = context;
    this.#sourceTopic = context?.topic;
    this.#sourcePartition = context?.partition ?? -1;
    this.#sourceOffset = context?.offset ?? -1;
    this.#sourceTimestamp = context?.sourceTimestamp ?? recordTimestamp ?? -1;
    this.#sourceKey = context?.sourceKey;
    this.#sourceValue = context?.sourceValue;
    this.#sourceHeaders = context?.sourceHeaders;
    this.#nodeName = context?.currentNode?.name ?? 'record-collector';
  }

  /** The record's headers as the topology wrote them. */
  get recordHeaders(): Headers {
    return this.#recordHeaders;
  }

  /** The seam's timestamp, a decimal string; `undefined` when the record has none: the client stamps it with the current time, as Kafka's producer does. */
  get timestamp(): string | undefined {
    const timestamp = this.#recordTimestamp;
    return timestamp === undefined ? undefined : String(timestamp);
  }

  /** The timestamp as a number, for the adapters (`record-timestamp.ts`). */
  get [timestampMillis](): number | undefined {
    return this.#recordTimestamp;
  }

  /** The record's timestamp as the topology wrote it. */
  get recordTimestamp(): number | undefined {
    return this.#recordTimestamp;
  }

  /** Whether the collector picked the record's partition (it came without one). */
  get partitionAssigned(): boolean {
    return this.#assigned;
  }

  /** Sets the partition the collector picked for a record that came without one. */
  assignPartition(partition: number): void {
    this.partition = partition;
    this.#assigned = true;
  }

  /** The sending task's context; `undefined` for dead letters. */
  get context(): TaskContext | undefined {
    return this.#context;
  }

  /** The handler context: the source record when there was one, as the engine's own handlers get it. */
  errorContext(logger: Logger): ErrorHandlerContext {
    const context = this.#context!;
    const fromSource = this.#sourceTopic !== undefined;
    return {
      taskId: context.taskId,
      topic: this.#sourceTopic,
      partition: fromSource ? this.#sourcePartition : undefined,
      offset: fromSource ? this.#sourceOffset : undefined,
      processorNodeName: this.#nodeName,
      sourceRawKey: fromSource ? this.#sourceKey : undefined,
      sourceRawValue: fromSource ? this.#sourceValue : undefined,
      headers: fromSource && this.#sourceHeaders !== undefined ? this.#sourceHeaders : new Headers(),
      timestamp: fromSource ? this.#sourceTimestamp : (this.#recordTimestamp ?? -1),
      logger,
    };
  }
}
