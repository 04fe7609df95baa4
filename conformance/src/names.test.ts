/**
 * Generated names as Kafka Streams 3.9 generates them: for every catalogue topology (with the
 * parameters of the suite's seeds), the nodes of `describe()` (names, source and sink topics,
 * connected stores) equal Kafka's. Internal topics are named after them: a changelog topic
 * `<application>-<store>-changelog`, a repartition topic `<application>-<name>-repartition`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from './catalogue.js';
import { KafkaRunner, ensureJar } from './kafka-runner.js';
import { kafkaNodes, namingScenarios, tributaryNodes } from './names.js';

describe("generated node, store and topic names, against Kafka Streams 3.9's", () => {
  let runner: KafkaRunner;
  beforeAll(() => {
    ensureJar((line) => console.log(line));
    runner = new KafkaRunner();
  }, 600_000);
  afterAll(() => runner.close());

  const scenarios = namingScenarios(
    catalogue.map((entry) => entry.name),
    6,
  );
  it(`describes every catalogue topology with Kafka's names (${scenarios.length} topology and parameter sets)`, async () => {
    const kafka = await kafkaNodes(runner, scenarios);
    const differing: string[] = [];
    for (const [index, scenario] of scenarios.entries()) {
      const ours = tributaryNodes(scenario);
      const theirs = kafka[index]!;
      if (JSON.stringify(ours) === JSON.stringify(theirs)) continue;
      const onlyOurs = ours.filter((line) => !theirs.includes(line));
      const onlyTheirs = theirs.filter((line) => !ours.includes(line));
      differing.push(`${scenario.topology} ${JSON.stringify(scenario.params)}\n  Tributary only: ${onlyOurs.join(' | ')}\n  Kafka only:     ${onlyTheirs.join(' | ')}`);
    }
    expect(differing, differing.join('\n')).toEqual([]);
  }, 120_000);
});
