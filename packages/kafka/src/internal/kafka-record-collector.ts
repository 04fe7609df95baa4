/**
 * The engine's record collector on a kafkajs producer. Tasks hand it records synchronously on the
 * hot path; it only appends them to a per-topic buffer. At a commit (or when the buffer grows
 * large) the stream thread awaits {@link KafkaRecordCollector.flush}, which sends everything in one
 * `sendBatch` and resolves once the brokers acknowledged it (acks = all).
 */
import type { IHeaders, Message, Producer, TopicMessages } from 'kafkajs';
import type { Headers, RecordCollector } from '@tributary/streams';

/** Records buffered beyond this are sent before the next commit, to bound memory. */
export const EARLY_SEND_RECORDS = 10_000;

function toKafkaHeaders(headers: Headers): IHeaders | undefined {
  if (headers.size === 0) return undefined;
  const result: IHeaders = {};
  for (const header of headers) {
    const value = header.value;
    const previous = result[header.key];
    if (previous === undefined) result[header.key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else result[header.key] = [previous, value];
  }
  return result;
}

export class KafkaRecordCollector implements RecordCollector {
  private buffered = new Map<string, Message[]>();
  private count = 0;
  /** Records per `topic:partition` sent with an explicit partition (changelogs), since the last flush. */
  private explicit = new Map<string, number>();
  /** Records acknowledged so far. */
  sent = 0;

  constructor(
    private readonly producer: Producer,
    private readonly partitionCounts: ReadonlyMap<string, number>,
  ) {}

  send(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number, partition: number | undefined): void {
    let messages = this.buffered.get(topic);
    if (messages === undefined) {
      messages = [];
      this.buffered.set(topic, messages);
    }
    const message: Message = { key, value, timestamp: String(timestamp) };
    const kafkaHeaders = toKafkaHeaders(headers);
    if (kafkaHeaders !== undefined) message.headers = kafkaHeaders;
    // Without a partition, kafkajs' default partitioner hashes the key bytes with murmur2, as Java does.
    if (partition !== undefined) {
      message.partition = partition;
      const key = `${topic}:${partition}`;
      this.explicit.set(key, (this.explicit.get(key) ?? 0) + 1);
    }
    messages.push(message);
    this.count++;
  }

  partitionCount(topic: string): number | undefined {
    return this.partitionCounts.get(topic);
  }

  /** Records waiting to be sent. */
  get pending(): number {
    return this.count;
  }

  /**
   * Sends every buffered record and waits for the brokers' acknowledgements. Returns, for each
   * partition written with an explicit partition (changelogs), the offset after its last record.
   */
  async flush(): Promise<Map<string, number>> {
    const nextOffsets = new Map<string, number>();
    if (this.count === 0) return nextOffsets;
    const topicMessages: TopicMessages[] = [];
    for (const [topic, messages] of this.buffered) if (messages.length > 0) topicMessages.push({ topic, messages });
    const count = this.count;
    const explicit = this.explicit;
    this.buffered = new Map();
    this.count = 0;
    this.explicit = new Map();
    const metadata = await this.producer.sendBatch({ topicMessages, acks: -1 });
    this.sent += count;
    // One batch per partition per request: its base offset plus the records sent to it.
    for (const entry of metadata) {
      const key = `${entry.topicName}:${entry.partition}`;
      const sent = explicit.get(key);
      const base = entry.baseOffset ?? entry.offset;
      if (sent !== undefined && base !== undefined && Number(base) >= 0) nextOffsets.set(key, Number(base) + sent);
    }
    return nextOffsets;
  }

  /** Forgets buffered records (after a fatal error, when nothing will be committed). */
  discard(): void {
    this.explicit = new Map();
    this.buffered = new Map();
    this.count = 0;
  }
}
