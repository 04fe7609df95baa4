/**
 * The ceiling: a raw kafkajs consume → produce pipe with no processing, run as a child process
 * like the apps. Each fetched batch is sent on (keys, values and timestamps as they came) in sends
 * of up to 1,000 messages, all in flight at once, then its offsets are resolved; the partitions'
 * batches are handled concurrently, and offsets committed every `commitIntervalMs`. It times
 * itself: from its first fetched batch to the acknowledgement of the send that completes the
 * topic's events, and prints that as `result`.
 * No kafkajs-based application can move records through this broker faster than this.
 */
import { Kafka, logLevel } from 'kafkajs';
import { emit, errorMessage, ownPeakRssBytes, type PipeSettings } from './protocol.js';

const maxMessagesPerSend = 1_000;

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as PipeSettings;
  const kafka = new Kafka({ clientId: settings.groupId, brokers: settings.bootstrapServers.split(','), logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: settings.groupId, maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: settings.inputTopic, fromBeginning: true });
  let processed = 0;
  let startMs: number | undefined;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => emit({ event: 'state', state: 'RUNNING', ts: Date.now() }));
  // A crash would restart the consumer from the last commit and count records twice: end the run instead.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    emit({ event: 'error', message: `the pipe's consumer crashed: ${errorMessage(payload.error)}` });
    process.exit(1);
  });
  const timer = setInterval(() => emit({ event: 'metrics', processed, ts: Date.now() }), settings.metricsIntervalMs);
  const stop = async (): Promise<void> => {
    clearInterval(timer);
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  await consumer.run({
    autoCommitInterval: settings.commitIntervalMs,
    // One batch per partition in flight, so fetches and sends of different partitions overlap.
    partitionsConsumedConcurrently: settings.partitions,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
      if (startMs === undefined && batch.messages.length > 0) {
        startMs = Date.now();
        cpuAtStart = process.cpuUsage();
      }
      const messages = new Array(batch.messages.length);
      for (let index = 0; index < batch.messages.length; index++) {
        const message = batch.messages[index]!;
        messages[index] = { key: message.key, value: message.value, timestamp: message.timestamp };
      }
      // A fetched batch can hold more than the broker takes in one request (message.max.bytes).
      const sends = [];
      for (let from = 0; from < messages.length; from += maxMessagesPerSend) sends.push(producer.send({ topic: settings.outputTopic, messages: messages.slice(from, from + maxMessagesPerSend) }));
      await Promise.all(sends);
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined) resolveOffset(last.offset);
      const before = processed;
      processed += messages.length;
      if (before < settings.expected && processed >= settings.expected) {
        const cpu = process.cpuUsage(cpuAtStart);
        emit({ event: 'result', events: processed, startMs: startMs!, endMs: Date.now(), cpuMs: (cpu.user + cpu.system) / 1000, processed, peakRssBytes: ownPeakRssBytes() });
      }
      await heartbeat();
      await commitOffsetsIfNecessary();
    },
  });
}

main().catch((error: unknown) => {
  emit({ event: 'error', message: errorMessage(error) });
  process.exit(1);
});
