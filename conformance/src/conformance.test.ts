/**
 * Tributary against Kafka Streams 3.9, record for record: every catalogue topology over a fixed
 * set of seeded inputs, with record caches off and on, through Kafka's own TopologyTestDriver (a
 * JVM; the jar is built with Maven when older than its sources) and through Tributary's. Fails
 * naming every differing scenario, its first differing record and, for the first of each
 * topology, the shrunk input. Differences listed in `conformance/exceptions.json` do not fail it.
 * Longer fuzzing: `pnpm conformance --seeds 200`.
 */
import { describe, expect, it } from 'vitest';
import { catalogue } from './catalogue.js';
import { formatReport, runSuite } from './suite.js';

/** Seeds per topology: 27 topologies × 6 seeds × caches off and on = 324 scenario runs. */
const seeds = 6;

describe('conformance with Kafka Streams 3.9', () => {
  it(`gives Kafka's output records, byte for byte, on ${catalogue.length * seeds * 2} scenario runs`, async () => {
    const report = await runSuite({ seeds, log: (line) => console.log(line) });
    const text = formatReport(report);
    expect(report.runs).toBe(catalogue.length * seeds * 2);
    const failing = report.differing.filter((entry) => entry.exception === undefined);
    if (failing.length > 0) expect.fail(`Tributary differs from Kafka Streams on ${failing.length} of ${report.runs} scenario runs:\n${text}`);
  });

  // Every topology with internal topics: their changelogs (tables, aggregations, windowed and
  // session aggregations, suppression buffers, stream-stream join stores, cached tables and
  // joins, a Processor API store) and repartition topics (stream repartitions with their null-key
  // filter, KTable groupBy changes) are compared byte for byte too, with caches off and on. The
  // others (stateless ones, and the global join, whose store has no changelog) have none.
  const internalTopologies = [
    'group-by-count',
    'group-by-key-aggregate',
    'select-key-reduce',
    'cogroup',
    'to-table',
    'tumbling-count',
    'hopping-aggregate',
    'sliding-reduce',
    'session-aggregate',
    'tumbling-suppress',
    'session-suppress',
    'time-limit-suppress',
    'table-filter-map-values',
    'table-old-values',
    'table-group-by-aggregate',
    'table-group-by-reduce',
    'table-table-join',
    'foreign-key-join',
    'stream-stream-join',
    'rekeyed-join',
    'stream-table-join',
    'punctuators',
  ];
  // Seed 4 included: its tumbling-suppress count of 1 at timestamp 1 is a bare value that starts
  // with its own timestamp, which Kafka logs as it is.
  const internalSeeds = 4;
  const internalRuns = internalTopologies.length * 2 * internalSeeds;

  it(`gives Kafka's changelog and repartition records, byte for byte, on ${internalRuns} scenario runs with internal topics`, async () => {
    const log = (line: string) => console.log(line);
    const report = await runSuite({ seeds: internalSeeds, topologies: internalTopologies, internalTopics: true, log });
    expect(report.runs).toBe(internalRuns);
    const failing = report.differing.filter((entry) => entry.exception === undefined);
    if (failing.length > 0) expect.fail(`Tributary's internal topics differ from Kafka Streams' on ${failing.length} of ${report.runs} scenario runs:\n${formatReport(report)}`);
  });
});
