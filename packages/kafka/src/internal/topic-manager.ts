/**
 * Prepares the cluster for a topology at start: checks that its source and global topics exist,
 * works out its internal topics (see `topic-plan.ts`), verifies those that exist and creates the
 * rest. Everything goes through one kafkajs admin client.
 */
import type { Admin, ConfigResourceTypes, ITopicConfig } from 'kafkajs';
import { ConfigError, type Logger } from '@tributary/streams';
import type { InternalTopologyBuilder } from '@tributary/streams/engine';
import { MissingSourceTopicsError } from '../errors.js';
import { internalTopicsToCreate, planTopics, type TopicPlan } from './topic-plan.js';

/** The partition count of every existing topic among `topics` (absent ones are left out). */
async function fetchPartitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (topics.length === 0) return counts;
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((topic) => existing.has(topic));
  if (present.length === 0) return counts;
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present });
  for (const topic of metadata) counts.set(topic.name, topic.partitions.length);
  return counts;
}

/**
 * Checks source and global topics, creates the missing internal topics, and returns the plan
 * (partition counts of every topic the tasks read, and of each sub-topology's tasks).
 */
export async function prepareTopics(admin: Admin, builder: InternalTopologyBuilder, applicationId: string, replicationFactor: number, logger: Logger): Promise<TopicPlan> {
  const externalSources = builder.sourceTopics().filter((topic) => !builder.internalTopics.has(topic));
  const globalTopics = [...builder.globalStores.keys()];
  const sourceCounts = await fetchPartitionCounts(admin, [...externalSources, ...globalTopics]);
  const missing = [...externalSources, ...globalTopics].filter((topic) => !sourceCounts.has(topic));
  if (missing.length > 0) throw new MissingSourceTopicsError(missing);
  const plan = planTopics(builder, applicationId, sourceCounts);
  for (const topic of globalTopics) plan.partitionCounts.set(topic, sourceCounts.get(topic)!);
  const existing = await fetchPartitionCounts(admin, [...plan.internalTopics.keys()]);
  const toCreate = internalTopicsToCreate(plan, existing);
  if (toCreate.length > 0) {
    logger.info(`Creating internal topics: ${toCreate.map((topic) => `${topic.name} (${topic.partitions})`).join(', ')}`);
    await createTopics(
      admin,
      toCreate.map(
        (topic): ITopicConfig => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor,
          configEntries: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
        }),
      ),
      logger,
    );
    // Another instance may have created some at the same time: verify what is there now.
    const after = await fetchPartitionCounts(admin, toCreate.map((topic) => topic.name));
    internalTopicsToCreate({ ...plan, internalTopics: new Map(toCreate.map((topic) => [topic.name, topic])) }, after);
  }
  return plan;
}

/** How long new internal topics may take to get partition leaders. */
const LEADER_WAIT_MS = 30_000;

/**
 * Creates topics, taking "already exists" as success (instances starting together race to
 * create them), then waits until every partition has a leader that serves it: a KRaft broker
 * can answer UNKNOWN_TOPIC_OR_PARTITION for a moment after a create, and a leader named in the
 * metadata can still answer NOT_LEADER_OR_FOLLOWER until it has taken the partition on. Without
 * the wait, the restore's first offset request failed and the stream thread was replaced.
 */
async function createTopics(admin: Admin, topics: ITopicConfig[], logger: Logger): Promise<void> {
  try {
    await admin.createTopics({ waitForLeaders: false, topics });
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    const onlyExisting = Array.isArray(errors) && errors.length > 0 && errors.every((entry) => (entry as { type?: unknown }).type === 'TOPIC_ALREADY_EXISTS');
    const tooFewBrokers = Array.isArray(errors) && errors.some((entry) => (entry as { type?: unknown }).type === 'INVALID_REPLICATION_FACTOR');
    if (tooFewBrokers) {
      const factor = topics[0]?.replicationFactor ?? -1;
      throw new ConfigError(
        `The brokers refused to create the internal topics ${topics.map((topic) => topic.topic).join(', ')} with ${factor === -1 ? "their default.replication.factor" : `replication factor ${factor}`}: the cluster has fewer live brokers than that. Set the option 'replicationFactor' to at most the number of brokers (-1 takes the brokers' default.replication.factor), or start more brokers.`,
        { cause: error },
      );
    }
    if (!onlyExisting) throw error;
    logger.debug('Another instance created some of the internal topics at the same time');
  }
  const names = topics.map((topic) => topic.topic);
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
      if (metadata.every((topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0))) {
        // Each partition's leader answers an offset request only once it serves the partition.
        for (const name of names) await admin.fetchTopicOffsets(name);
        return;
      }
    } catch (error) {
      if (Date.now() > deadline || (error as { retriable?: unknown }).retriable !== true) throw error;
    }
    if (Date.now() > deadline) throw new Error(`The internal topics ${names.join(', ')} have no partition leaders ${LEADER_WAIT_MS / 1000} s after they were created; check the brokers.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** kafkajs' `ConfigResourceTypes.BROKER`: the enum is not a named export Node's ES module loader finds in kafkajs' CommonJS. */
const BROKER_RESOURCE = 4 as ConfigResourceTypes;

/**
 * The partition count of a topic the application writes and the plan does not know (an output
 * or dead-letter topic), for the record collector to pick partitions. A missing topic is created
 * with the brokers' defaults when the brokers create topics on first use
 * (`auto.create.topics.enable`), as a producer's first send would have; otherwise `undefined`.
 */
export async function sinkPartitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  const known = (await fetchPartitionCounts(admin, [topic])).get(topic);
  if (known !== undefined) return known;
  const { brokers } = await admin.describeCluster();
  const broker = brokers[0];
  if (broker === undefined) return undefined;
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: BROKER_RESOURCE, name: String(broker.nodeId), configNames: ['auto.create.topics.enable'] }] });
  const enabled = resources[0]?.configEntries.find((entry) => entry.configName === 'auto.create.topics.enable')?.configValue;
  if (enabled !== 'true') return undefined;
  // Another client may create it meanwhile: createTopics then reports nothing created, which is fine.
  await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
  return (await fetchPartitionCounts(admin, [topic])).get(topic);
}
