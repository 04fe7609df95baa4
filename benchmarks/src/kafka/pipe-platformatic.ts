/**
 * The ceiling on @platformatic/kafka: a consume → produce pipe with no processing, as `pipe.ts` is
 * for kafkajs, run as a child process on a Node that @platformatic/kafka supports. The consumer's
 * message stream (read_committed, from the committed offsets or the earliest) is gathered into
 * sends of up to 1,000 messages (keys, values and timestamps as they came), at most one send
 * per input partition in flight (the stream pauses while that many are out, as kafkajs' pipe
 * has one batch per partition in flight); acks from all replicas, not idempotent, as the kafkajs
 * pipe's producer. Offsets are committed every `commitIntervalMs`, up to the last message
 * whose send and every earlier send were acknowledged, so a crash could repeat records but not
 * lose them. It times itself: from its first message to the acknowledgement of the send that
 * completes the topic's events, and prints that as `result`.
 * No @platformatic/kafka application can move records through this broker faster than this.
 */
import { Consumer, FetchIsolationLevels, MessagesStreamFallbackModes, MessagesStreamModes, ProduceAcks, Producer, type Message, type MessageToProduce } from '@platformatic/kafka';
import { emit, errorMessage, ownPeakRssBytes, type PipeSettings } from './protocol.js';

const maxMessagesPerSend = 1_000;

/** One send: its messages, the last message of each partition in it, and whether it was acknowledged. */
interface Send {
  readonly messages: MessageToProduce[];
  readonly lastByPartition: Map<number, Message>;
  acknowledged: boolean;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as PipeSettings;
  const connection = { clientId: settings.groupId, bootstrapBrokers: settings.bootstrapServers.split(',') };
  const consumer = new Consumer({ ...connection, groupId: settings.groupId, autocommit: false, maxWaitTime: 100, isolationLevel: FetchIsolationLevels.READ_COMMITTED });
  const producer = new Producer({ ...connection, acks: ProduceAcks.ALL, idempotent: false, autocreateTopics: false });
  consumer.on('consumer:group:join', () => emit({ event: 'state', state: 'RUNNING', ts: Date.now() }));
  const stream = await consumer.consume({ topics: [settings.inputTopic], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST });

  let processed = 0;
  let startMs: number | undefined;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  /** Sends in the order they were made: the acknowledged ones at the front are what may be committed. */
  const sends: Send[] = [];
  let inFlight = 0;
  let current: Send = { messages: [], lastByPartition: new Map(), acknowledged: false };
  let flushScheduled = false;
  /** The last acknowledged message of each partition not committed yet. */
  const committable = new Map<number, Message>();

  const fail = (what: string, error: unknown): void => {
    emit({ event: 'error', message: `the platformatic pipe's ${what} failed: ${errorMessage(error)}` });
    process.exit(1);
  };

  const acknowledge = (send: Send): void => {
    send.acknowledged = true;
    inFlight--;
    const before = processed;
    processed += send.messages.length;
    if (before < settings.expected && processed >= settings.expected) {
      const cpu = process.cpuUsage(cpuAtStart);
      emit({ event: 'result', events: processed, startMs: startMs!, endMs: Date.now(), cpuMs: (cpu.user + cpu.system) / 1000, processed, peakRssBytes: ownPeakRssBytes() });
    }
    while (sends[0]?.acknowledged === true) {
      for (const [partition, message] of sends.shift()!.lastByPartition) committable.set(partition, message);
    }
    if (stream.isPaused() && inFlight < settings.partitions) stream.resume();
  };

  const flush = (): void => {
    flushScheduled = false;
    if (current.messages.length === 0) return;
    const send = current;
    current = { messages: [], lastByPartition: new Map(), acknowledged: false };
    sends.push(send);
    inFlight++;
    if (inFlight >= settings.partitions) stream.pause();
    producer.send({ messages: send.messages }).then(
      () => acknowledge(send),
      (error: unknown) => fail('send', error),
    );
  };

  stream.on('data', (message: Message) => {
    if (startMs === undefined) {
      startMs = Date.now();
      cpuAtStart = process.cpuUsage();
    }
    current.messages.push({ topic: settings.outputTopic, key: message.key, value: message.value, timestamp: message.timestamp });
    current.lastByPartition.set(message.partition, message);
    if (current.messages.length >= maxMessagesPerSend) flush();
    else if (!flushScheduled) {
      // What one fetch delivers arrives in one turn of the event loop: send it together.
      flushScheduled = true;
      setImmediate(flush);
    }
  });
  stream.on('error', (error: unknown) => fail('consumer', error));

  const committer = setInterval(() => {
    for (const message of committable.values()) {
      const committing = message.commit();
      if (committing !== undefined) committing.catch((error: unknown) => fail('commit', error));
    }
    committable.clear();
  }, settings.commitIntervalMs);
  const metrics = setInterval(() => emit({ event: 'metrics', processed, ts: Date.now() }), settings.metricsIntervalMs);
  process.on('SIGTERM', () => {
    clearInterval(committer);
    clearInterval(metrics);
    void Promise.allSettled([stream.close(), producer.close()])
      .then(() => consumer.close(true))
      .finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  emit({ event: 'error', message: errorMessage(error) });
  process.exit(1);
});
