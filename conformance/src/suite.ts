/**
 * Runs the conformance suite: for each catalogue topology and seed, the scenario with record
 * caches off and on, through Kafka Streams (one JVM, one batch) and through Tributary, then
 * compares every pair. Differing scenarios are reported with their first difference; the first
 * of each topology is also shrunk to a small input.
 */
import { catalogue, catalogueEntry } from './catalogue.js';
import { firstDifference, formatDifference, formatSteps, type Difference } from './diff.js';
import { exceptionFor, loadExceptions, type ConformanceException } from './exceptions.js';
import { generateScenario } from './generator.js';
import { KafkaRunner, ensureJar } from './kafka-runner.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { shrinkScenario } from './shrink.js';
import { runTributary } from './tributary-runner.js';

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  /** Seeds per topology. */
  readonly seeds: number;
  /** The first seed; seeds run from it upwards. Default 1. */
  readonly firstSeed?: number;
  /** Only these catalogue topologies. Default: all. */
  readonly topologies?: readonly string[];
  /** Shrinks the first differing scenario of each topology. Default true. */
  readonly shrink?: boolean;
  /** No shrink starts once this many ms were spent shrinking. Default 120 000. */
  readonly shrinkBudgetMs?: number;
  /**
   * Also compares changelog and repartition topics (names and bytes); `'repartition'` compares
   * repartition topics but no changelogs. Default false.
   */
  readonly internalTopics?: boolean | 'repartition';
  /** The record cache settings each scenario runs with: off, on, or both (the default). */
  readonly caches?: readonly boolean[];
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A scenario on which the two sides differ. */
interface DifferingScenario {
  readonly scenario: Scenario;
  readonly difference: Difference;
  /** The exception that accepts it, if any: then it does not fail the suite. */
  readonly exception: ConformanceException | undefined;
  /** The shrunk input and its own first difference, for the first of each topology. */
  readonly shrunk?: { readonly scenario: Scenario; readonly difference: Difference };
}

/** What a suite run found. */
export interface SuiteReport {
  /** Scenario runs compared (each scenario counts once, both sides run it). */
  readonly runs: number;
  readonly differing: readonly DifferingScenario[];
  readonly millis: number;
}

/** Runs the suite; see the module comment. */
export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const entries = options.topologies === undefined ? catalogue : options.topologies.map(catalogueEntry);
  const firstSeed = options.firstSeed ?? 1;
  const exceptions = loadExceptions();
  ensureJar(log);
  const scenarios: Scenario[] = [];
  for (const entry of entries) {
    for (let seed = firstSeed; seed < firstSeed + options.seeds; seed++) {
      for (const cache of options.caches ?? [false, true]) {
        const scenario = generateScenario(entry, seed, cache);
        scenarios.push(options.internalTopics === undefined || options.internalTopics === false ? scenario : { ...scenario, internalTopics: true });
      }
    }
  }
  const kafka = new KafkaRunner();
  try {
    const kafkaResults = await kafka.run(scenarios);
    log(`conformance: Kafka Streams ran ${scenarios.length} scenarios in ${Date.now() - started} ms`);
    const differing: DifferingScenario[] = [];
    const shrunkTopologies = new Set<string>();
    const shrinkBudgetMs = options.shrinkBudgetMs ?? 120_000;
    let shrinkingMs = 0;
    const compare = (kafkaResult: ScenarioResult, tributaryResult: ScenarioResult): Difference | undefined =>
      options.internalTopics === 'repartition' ? firstDifference(withoutChangelogs(kafkaResult), withoutChangelogs(tributaryResult)) : firstDifference(kafkaResult, tributaryResult);
    for (const [index, scenario] of scenarios.entries()) {
      const difference = compare(kafkaResults[index]!, runTributary(scenario));
      if (difference === undefined) continue;
      const exception = exceptionFor(scenario, exceptions);
      let shrunk: DifferingScenario['shrunk'];
      if ((options.shrink ?? true) && exception === undefined && !shrunkTopologies.has(scenario.topology) && shrinkingMs < shrinkBudgetMs) {
        shrunkTopologies.add(scenario.topology);
        const shrinkStarted = Date.now();
        const small = await shrinkScenario(scenario, async (candidate) => {
          const [kafkaResult] = await kafka.run([candidate]);
          return compare(kafkaResult!, runTributary(candidate)) !== undefined;
        });
        shrinkingMs += Date.now() - shrinkStarted;
        const [kafkaResult] = await kafka.run([{ ...small, id: scenario.id }]);
        const smallDifference = compare(kafkaResult!, runTributary({ ...small, id: scenario.id }));
        if (smallDifference !== undefined) shrunk = { scenario: small, difference: smallDifference };
      }
      differing.push(shrunk === undefined ? { scenario, difference, exception } : { scenario, difference, exception, shrunk });
    }
    return { runs: scenarios.length, differing, millis: Date.now() - started };
  } finally {
    await kafka.close();
  }
}

/** A result without its changelog records, for comparing outputs and repartition topics only. */
function withoutChangelogs(result: ScenarioResult): ScenarioResult {
  return { ...result, records: result.records.filter((record) => !record.topic.endsWith('-changelog')) };
}

/** The report as text: every differing scenario with its first difference, shrunk inputs in full. */
export function formatReport(report: SuiteReport): string {
  const failing = report.differing.filter((entry) => entry.exception === undefined);
  const lines = [
    `conformance: ${report.runs} scenario runs, ${failing.length} differ${report.differing.length > failing.length ? `, ${report.differing.length - failing.length} more excepted` : ''} (${report.millis} ms)`,
  ];
  for (const entry of report.differing) {
    lines.push(formatDifference(entry.scenario, entry.difference));
    if (entry.exception !== undefined) lines.push(`  excepted: ${entry.exception.reason} (${entry.exception.kafkaSource})`);
    if (entry.shrunk !== undefined) {
      lines.push(`  shrunk to ${entry.shrunk.scenario.steps.length} of ${entry.scenario.steps.length} steps:`);
      lines.push(formatSteps(entry.shrunk.scenario));
      lines.push(`  ${formatDifference(entry.shrunk.scenario, entry.shrunk.difference).replace(/\n/g, '\n  ')}`);
    }
  }
  return lines.join('\n');
}
