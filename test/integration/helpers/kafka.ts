/**
 * Test helpers for the real broker: where it is, a kafkajs client, and topics that are deleted
 * when the test ends. Integration tests fail (never skip) when no broker is named.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { onTestFinished } from 'vitest';
import { fixKafkajsIdlePolling, fixKafkajsReadCommitted } from '@tributary/kafka';

/** The broker's `host:port`; throws a message that says how to start one. */
export function bootstrapServers(): string {
  const bootstrap = process.env.KAFKA_BOOTSTRAP;
  if (bootstrap === undefined || bootstrap.trim() === '') {
    throw new Error(
      'KAFKA_BOOTSTRAP is not set, so the integration tests have no broker. Run the suite with `pnpm test` (it starts scripts/kafka-broker.sh), or start a broker yourself (`bash scripts/kafka-broker.sh start`, or docs/docker-compose.kafka.yml) and set KAFKA_BOOTSTRAP=host:port.',
    );
  }
  return bootstrap;
}

/**
 * A kafkajs client for the test broker, quiet unless something is wrong. Its read_committed
 * consumers hide every aborted record (see `fixKafkajsReadCommitted`): a verifier reading an
 * exactly-once application's output after kill -9 would otherwise count records of aborted
 * transactions. Its idle connections do not poll (see `fixKafkajsIdlePolling`), which would take
 * CPU from the applications under test.
 */
export function kafkaClient(clientId = 'tributary-it'): Kafka {
  return kafkaClientFor(bootstrapServers(), clientId);
}

/**
 * {@link kafkaClient} for other brokers (`host:port,...`): a private broker or cluster. `quiet`
 * silences kafkajs' own log lines, for tests that take brokers away on purpose (their errors
 * still reach the caller).
 */
export function kafkaClientFor(bootstrap: string, clientId = 'tributary-it', quiet = false): Kafka {
  fixKafkajsReadCommitted();
  fixKafkajsIdlePolling();
  return new Kafka({ clientId, brokers: bootstrap.split(','), logLevel: quiet ? logLevel.NOTHING : logLevel.ERROR, retry: { retries: 5 } });
}

/**
 * A producer for test input: idempotent, because kafkajs retries a whole produce request when
 * one partition fails (as partitions of a new topic may, briefly) and a plain producer would then
 * write the partitions that had succeeded twice.
 */
export function inputProducer(kafka: Kafka, options: { allowAutoTopicCreation?: boolean } = {}): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: options.allowAutoTopicCreation ?? false });
}

/** An hour ago, on the hour: record times the broker's retention (7 days) keeps, where fixed old times would be deleted under a test's feet. */
export const retainedBaseTime = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

/** A unique topic name for one test. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Creates topics for the current test and deletes them when it finishes. Replication factor 1
 * (the single test broker) unless an entry says otherwise; -1 takes the brokers' default.
 */
export async function createTopics(kafka: Kafka, topics: ReadonlyArray<{ topic: string; numPartitions?: number; replicationFactor?: number }>): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  onTestFinished(async () => {
    const cleanup = kafka.admin();
    await cleanup.connect();
    try {
      await cleanup.deleteTopics({ topics: topics.map((entry) => entry.topic), timeout: 10_000 });
    } finally {
      await cleanup.disconnect();
    }
  });
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((entry) => ({ topic: entry.topic, numPartitions: entry.numPartitions ?? 1, replicationFactor: entry.replicationFactor ?? 1 })),
    });
    // kafkajs' own waitForLeaders retries only LEADER_NOT_AVAILABLE, but a KRaft broker can
    // answer UNKNOWN_TOPIC_OR_PARTITION for a moment after the create; wait through both.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: topics.map((entry) => entry.topic) });
        if (metadata.every((topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0))) break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`Topics ${topics.map((entry) => entry.topic).join(', ')} have no leaders after 15 s.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
