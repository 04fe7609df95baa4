#!/usr/bin/env node
/**
 * Runs the quick-start topology through the test driver on generated page events and prints
 * the topology and what it wrote. No broker needed.
 */
import { Serdes } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import { buildTopology, topics, type PageEvent, type UserClick } from './topology.js';

const topology = buildTopology();
console.log(String(topology.describe()));

const driver = new TopologyTestDriver(topology, { applicationId: 'quick-start' });
const input = driver.createInputTopic(topics.input, Serdes.String(), Serdes.Json<PageEvent>());
const views = driver.createOutputTopic(topics.views, Serdes.String(), Serdes.String());
const clicks = driver.createOutputTopic(topics.clicks, Serdes.String(), Serdes.Json<UserClick>());

const pages = ['/', '/pricing', '/docs', '/blog', '/signup'];
const agents = ['Mozilla/5.0', 'Mozilla/5.0 (iPhone)', 'Googlebot/2.1'];
const start = Date.UTC(2026, 0, 1);
const count = 10_000;
for (let index = 0; index < count; index++) {
  const event: PageEvent = {
    userId: `user-${index % 97}`,
    page: pages[index % pages.length]!,
    kind: index % 4 === 0 ? 'click' : 'view',
    userAgent: agents[index % agents.length]!,
    timestamp: start + index * 100,
  };
  input.pipeInput(event.page, event, event.timestamp);
}

const viewRecords = views.readKeyValuesToList();
const clickRecords = clicks.readKeyValuesToList();
const clicksPerUser = new Map<string, number>();
for (const { key } of clickRecords) if (key !== null) clicksPerUser.set(key, (clicksPerUser.get(key) ?? 0) + 1);
const top = [...clicksPerUser].sort((a, b) => b[1] - a[1]).slice(0, 5);

console.log(`Piped ${count} page events (a third from bots).`);
console.log(`${topics.views}: ${viewRecords.length} records, e.g. ${JSON.stringify(viewRecords[0])}`);
console.log(`${topics.clicks}: ${clickRecords.length} records, e.g. ${JSON.stringify(clickRecords[0])}`);
console.log('Top clicking users:');
for (const [user, clickCount] of top) console.log(`  ${user.padEnd(10)} ${clickCount}`);
driver.close();
