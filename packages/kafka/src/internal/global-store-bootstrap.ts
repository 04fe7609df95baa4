/**
 * Keeps the global tables' stores. Before the application runs, every global topic is read in
 * full — all partitions, from the beginning to the end offsets taken at start — into its store
 * through the engine's `GlobalStateUpdater`; then the same consumer keeps reading new records.
 * It is a consumer in a group of its own (a fresh id per start, never committing), so every
 * instance reads every partition and the store is rebuilt from the topic on each start, as the
 * stores are in memory. (Kafka Streams checkpoints persistent global stores instead.)
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@tributary/streams';
import { GlobalStateUpdater, type InternalTopologyBuilder, type ResolvedStreamsConfig } from '@tributary/streams/engine';
import { consumedRecord } from './kafka-messages.js';
import type { KafkaClientSupplier, StreamsAdmin, StreamsConsumer } from '../client/kafka-client.js';

export interface GlobalStoreOptions {
  readonly groupIdPrefix: string;
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** A failure the deserialization handler chose to fail on, or one of the consumer's. */
  readonly onFatal: (error: unknown) => void;
}

export class GlobalStoreConsumer {
  readonly updater: GlobalStateUpdater;
  private consumer: StreamsConsumer | undefined;
  private failed = false;
  /** Records applied so far. */
  applied = 0;

  constructor(
    private readonly client: KafkaClientSupplier,
    private readonly builder: InternalTopologyBuilder,
    config: ResolvedStreamsConfig,
    stateDir: string,
    private readonly options: GlobalStoreOptions,
  ) {
    this.updater = new GlobalStateUpdater(builder, config, stateDir);
  }

  get topics(): string[] {
    return [...this.builder.globalStores.keys()];
  }

  /** Reads every global topic to its end offsets, then keeps consuming. Resolves once caught up. */
  async start(admin: StreamsAdmin): Promise<void> {
    const topics = this.topics;
    if (topics.length === 0) return;
    const remaining = new Map<string, number>();
    for (const topic of topics) {
      for (const entry of await admin.listOffsets(topic)) {
        if (entry.high > entry.low) remaining.set(`${topic}:${entry.partition}`, entry.high);
      }
    }
    const started = Date.now();
    const consumer = this.client.consumer({
      groupId: `${this.options.groupIdPrefix}-global-${randomUUID()}`,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      // Never back from a crash once closed (a crash can race the disconnect).
      mayRestart: () => this.consumer === consumer,
    });
    this.consumer = consumer;
    await consumer.connect();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        if (error === undefined) resolve();
        else reject(error);
      };
      if (remaining.size === 0) settle();
      const onFailed = (error: unknown): void => {
        settle(error);
        this.options.onFatal(error);
      };
      consumer
        .subscribe(topics, { onFailed })
        .then(() =>
          consumer.run(async (batch) => {
            if (this.failed) return;
            const { topic, partition, records } = batch;
            try {
              for (const record of records) {
                this.updater.update(consumedRecord(topic, partition, record));
              }
            } catch (error) {
              this.failed = true;
              settle(error);
              this.options.onFatal(error);
              return;
            }
            this.applied += records.length;
            const key = `${topic}:${partition}`;
            const end = remaining.get(key);
            if (end !== undefined && batch.lastOffset + 1 >= end) {
              remaining.delete(key);
              if (remaining.size === 0) {
                this.updater.flush();
                this.options.logger.info(`Global stores loaded: ${this.applied} records in ${Date.now() - started} ms`);
                settle();
              }
            }
          }),
        )
        .catch(settle);
    });
  }

  /** Makes the global stores' writes so far durable (called at each commit). */
  flush(): void {
    this.updater.flush();
  }

  async close(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer !== undefined) await consumer.disconnect().catch(() => {});
    this.updater.close();
  }
}
