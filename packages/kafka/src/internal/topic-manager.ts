/**
 * Prepares the cluster for a topology at start: checks that its source and global topics exist,
 * works out its internal topics (see `topic-plan.ts`), verifies those that exist and creates the
 * rest. Everything goes through one admin client of the client seam.
 */
import type { Logger } from '@tributary/streams';
import type { InternalTopologyBuilder } from '@tributary/streams/engine';
import { MissingSourceTopicsError } from '../errors.js';
import { internalTopicsToCreate, planTopics, type TopicPlan } from './topic-plan.js';
import type { StreamsAdmin } from '../client/kafka-client.js';

/**
 * Checks source and global topics, creates the missing internal topics, and returns the plan
 * (partition counts of every topic the tasks read, and of each sub-topology's tasks).
 */
export async function prepareTopics(admin: StreamsAdmin, builder: InternalTopologyBuilder, applicationId: string, replicationFactor: number, logger: Logger): Promise<TopicPlan> {
  const externalSources = builder.sourceTopics().filter((topic) => !builder.internalTopics.has(topic));
  const globalTopics = [...builder.globalStores.keys()];
  const sourceCounts = await admin.partitionCounts([...externalSources, ...globalTopics]);
  const missing = [...externalSources, ...globalTopics].filter((topic) => !sourceCounts.has(topic));
  if (missing.length > 0) throw new MissingSourceTopicsError(missing);
  const plan = planTopics(builder, applicationId, sourceCounts);
  for (const topic of globalTopics) plan.partitionCounts.set(topic, sourceCounts.get(topic)!);
  const existing = await admin.partitionCounts([...plan.internalTopics.keys()]);
  const toCreate = internalTopicsToCreate(plan, existing);
  if (toCreate.length > 0) {
    logger.info(`Creating internal topics: ${toCreate.map((topic) => `${topic.name} (${topic.partitions})`).join(', ')}`);
    await admin.createTopics(toCreate.map((topic) => ({ name: topic.name, partitions: topic.partitions, replicationFactor, configs: topic.configs })));
    const after = await admin.partitionCounts(toCreate.map((topic) => topic.name));
    internalTopicsToCreate({ ...plan, internalTopics: new Map(toCreate.map((topic) => [topic.name, topic])) }, after);
  }
  return plan;
}

/**
 * The partition count of a topic the application writes and the plan does not know (an output
 * or dead-letter topic), for the record collector to pick partitions. A missing topic is created
 * with the brokers' defaults when the brokers create topics on first use
 * (`auto.create.topics.enable`), as a producer's first send would have; otherwise `undefined`.
 */
export async function sinkPartitionCount(admin: StreamsAdmin, topic: string): Promise<number | undefined> {
  const known = (await admin.partitionCounts([topic])).get(topic);
  if (known !== undefined) return known;
  if (!(await admin.createTopicIfAutoCreated(topic))) return undefined;
  return (await admin.partitionCounts([topic])).get(topic);
}
