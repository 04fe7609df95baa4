/**
 * The processor behind a sink node: serializes a record and hands it to the task's collector.
 * A value that cannot be serialized goes to the production handler.
 */
import { SerializationError } from '../../errors/streams-error.js';
import type { Serializer } from '../../serde/serde.js';
import type { Processor } from '../processor.js';
import type { StreamPartitioner, TopicNameExtractor } from '../stream-partitioner.js';
import type { StreamRecord } from '../stream-record.js';
import type { TaskContext } from './task-context.js';
import type { SampledStat } from '../../metrics/internal/sampled-stat.js';

export class SinkProcessor implements Processor<unknown, unknown> {
  constructor(
    private readonly nodeName: string,
    private readonly topic: string | TopicNameExtractor<unknown, unknown>,
    private readonly keySerializer: Serializer<unknown>,
    private readonly valueSerializer: Serializer<unknown>,
    private readonly partitioner: StreamPartitioner<unknown, unknown> | undefined,
    private readonly context: TaskContext,
    /** End-to-end latency of the records this sink writes (Kafka's `record-e2e-latency` of a terminal node); `undefined` when per-record sensors are off. */
    private readonly endToEndLatency: SampledStat | undefined,
  ) {}

  process(record: StreamRecord<unknown, unknown>): void {
    const context = this.context;
    const topic = typeof this.topic === 'string' ? this.topic : this.topic(record.key, record.value, context.recordMetadata());
    let key: Buffer | null;
    let value: Buffer | null;
    try {
      key = record.key === null || record.key === undefined ? null : this.keySerializer.serialize(topic, record.key, record.headers);
      value = record.value === null || record.value === undefined ? null : this.valueSerializer.serialize(topic, record.value, record.headers);
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      const response = context.config.productionExceptionHandler(context.errorContext(this.nodeName, record.timestamp), record, cause);
      context.applyResponse(
        response,
        () =>
          new SerializationError(
            `Sink '${this.nodeName}' could not serialize a record for topic '${topic}': ${cause.message}. Check the sink's serdes (Produced.with) or configure productionExceptionHandler.`,
            { cause },
          ),
      );
      context.metrics.recordDropped('production-error');
      return;
    }
    let partition: number | undefined;
    if (this.partitioner !== undefined) {
      const count = context.collector.partitionCount(topic);
      if (count !== undefined) partition = this.partitioner(topic, record.key, record.value, count);
    }
    context.collector.send(topic, key, value, record.headers, record.timestamp, partition);
    this.endToEndLatency?.record(context.wallClockTime - record.timestamp);
  }
}

/** The processor behind a source node: passes each record to the node's children. */
export class SourceProcessor implements Processor<unknown, unknown, unknown, unknown> {
  constructor(private readonly context: TaskContext) {}

  process(record: StreamRecord<unknown, unknown>): void {
    this.context.forward(record);
  }
}
