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

  // Topologies whose store and internal topic names already match Kafka's: their changelogs
  // (tables, aggregations, windowed and session aggregations, suppression buffers, stream-stream
  // join stores, cached tables and joins) are compared byte for byte too, with caches off and on.
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
    'table-table-join',
    'foreign-key-join',
    'stream-stream-join',
    'stream-table-join',
  ];
  // With caches off only: with caches on, their table sources' changelogs still differ (the order
  // and tombstones of a table cache's flush).
  const internalTopologiesCacheOff = ['table-group-by-aggregate', 'table-group-by-reduce', 'table-old-values'];
  // Repartition topics (and outputs) but not changelogs, caches off and on: stream repartitions
  // with their null-key filter, above joins that keep or drop null keys, and KTable groupBy changes.
  const repartitionTopologies = ['rekeyed-join', 'table-group-by-aggregate', 'table-group-by-reduce', 'table-old-values'];
  const internalSeeds = 3;
  const internalRuns = (internalTopologies.length * 2 + internalTopologiesCacheOff.length + repartitionTopologies.length * 2) * internalSeeds;

  it(`gives Kafka's changelog and repartition records, byte for byte, on ${internalRuns} scenario runs with internal topics`, async () => {
    const log = (line: string) => console.log(line);
    const reports = [
      await runSuite({ seeds: internalSeeds, topologies: internalTopologies, internalTopics: true, log }),
      await runSuite({ seeds: internalSeeds, topologies: internalTopologiesCacheOff, internalTopics: true, caches: [false], log }),
      await runSuite({ seeds: internalSeeds, topologies: repartitionTopologies, internalTopics: 'repartition', log }),
    ];
    expect(reports.reduce((runs, report) => runs + report.runs, 0)).toBe(internalRuns);
    for (const report of reports) {
      const failing = report.differing.filter((entry) => entry.exception === undefined);
      if (failing.length > 0) expect.fail(`Tributary's internal topics differ from Kafka Streams' on ${failing.length} of ${report.runs} scenario runs:\n${formatReport(report)}`);
    }
  });
});
