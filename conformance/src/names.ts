/**
 * Generated names on both sides: every catalogue topology's `describe()` nodes as sorted lines
 * (`source <name> [<topics>]`, `processor <name> [<stores>]`, `sink <name> <topic>`). Changelog
 * topics are named after stores and repartition topics after nodes, so equal lines mean equal
 * internal topic names. The Kafka side answers a scenario with `describeOnly` set.
 */
import { catalogueEntry } from './catalogue.js';
import { generateScenario } from './generator.js';
import type { KafkaRunner } from './kafka-runner.js';
import type { Scenario } from './scenario.js';

/** Tributary's describe() of a scenario's topology, as the sorted node lines. */
export function tributaryNodes(scenario: Scenario): string[] {
  const description = catalogueEntry(scenario.topology).build(scenario.params).describe();
  const lines: string[] = [];
  for (const subtopology of description.subtopologies) {
    for (const node of subtopology.nodes) {
      if (node.kind === 'source') lines.push(`source ${node.name} [${[...node.topics].sort().join(', ')}]`);
      else if (node.kind === 'processor') lines.push(`processor ${node.name} [${[...node.stores].sort().join(', ')}]`);
      else lines.push(`sink ${node.name} ${node.topic}`);
    }
  }
  return lines.sort();
}

/** Kafka Streams' describe() of each scenario's topology, as the sorted node lines, in order. */
export async function kafkaNodes(runner: KafkaRunner, scenarios: readonly Scenario[]): Promise<(readonly string[])[]> {
  const results = await runner.run(scenarios.map((scenario) => ({ ...scenario, steps: [], describeOnly: true })));
  return results.map((result, index) => {
    const nodes = result.nodes;
    if (nodes === undefined) throw new Error(`the Kafka runner did not describe ${scenarios[index]!.id}: ${result.error ?? 'no nodes'}`);
    return nodes;
  });
}

/** The scenarios whose names are compared: each entry with the parameters of seeds 1 to `seeds`, duplicates dropped. */
export function namingScenarios(names: readonly string[], seeds: number): Scenario[] {
  const scenarios = new Map<string, Scenario>();
  for (const name of names) {
    for (let seed = 1; seed <= seeds; seed++) {
      const scenario = generateScenario(catalogueEntry(name), seed, false);
      const key = `${name} ${JSON.stringify(scenario.params)}`;
      if (!scenarios.has(key)) scenarios.set(key, { ...scenario, steps: [] });
    }
  }
  return [...scenarios.values()];
}
