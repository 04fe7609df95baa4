/**
 * Exactly-once through broker failures (issue #12): the flagship on a three-broker cluster of the
 * test's own (replication 3, min.insync.replicas 2) works through a backlog plus live input while
 * the broker leading most of its partitions is killed with kill -9 and restarted, then another is
 * shut down cleanly and restarted (smoke/flagship-broker-failure.ts). Nothing lost, nothing
 * duplicated: every product and category window exact, read_committed.
 *
 * `FAILURE_CYCLES=<n>` kills n times instead of once: `pnpm test:failures:long` runs 20.
 */
import { describe, expect, it } from 'vitest';
import { exactlyOnceUnderTest } from './helpers/client-under-test.js';
import { runBrokerFailureScenario } from './smoke/flagship-broker-failure.js';
import type { WindowComparison } from './smoke/flagship-verify.js';

const cycles = Number(process.env.FAILURE_CYCLES ?? '1');
if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`FAILURE_CYCLES must be a whole number of at least 1, got '${process.env.FAILURE_CYCLES}'.`);
const long = cycles > 1;

/** The exactly-once `TRIBUTARY_EXACTLY_ONCE` names: `exactly_once` (v1) by default, `exactly_once_v2` on platformatic. */
const guarantee = exactlyOnceUnderTest();

/**
 * Default: 20k events of backlog and up to 40k live at 400/s while one broker is killed and
 * another stopped. Long: live input at 300/s for as long as the cycles take (up to 400k events).
 */
const scenario = {
  name: `cluster-${guarantee === 'exactly_once' ? 'eos' : 'eos-v2'}${long ? `-${cycles}-kills` : ''}`,
  guarantee,
  seed: 121,
  commitIntervalMs: 500,
  backlogEvents: 20_000,
  liveEvents: long ? 400_000 : 40_000,
  liveRatePerSecond: long ? 300 : 400,
  brokerKills: cycles,
  controlledShutdowns: 1,
  downMs: 4000,
  pauseBetweenKillsMs: 20_000,
} as const;

function verdicts(comparison: WindowComparison) {
  const { expected, compared, low, high, wrong, lostEvents, duplicatedEvents } = comparison;
  return { missing: expected - compared, low, high, wrong, lostEvents, duplicatedEvents };
}

describe('failure: the flagship on a three-broker cluster', () => {
  it(`${guarantee} through ${cycles} broker kill(s) and a controlled shutdown: every window exact`, { timeout: (long ? 150_000 * cycles : 420_000) + 300_000 }, async () => {
    const { summary, failures, replicationFactors, appWarnings, maxResumeMs } = await runBrokerFailureScenario(scenario);
    const lost = summary.products.lostEvents + summary.categories.lostEvents;
    const duplicated = summary.products.duplicatedEvents + summary.categories.duplicatedEvents;
    console.log(
      `FAILURE ${scenario.name}: in=${summary.expectation.eventsIn} events (unique ${summary.expectation.unique}), ` +
        `out=${summary.outputRecords.products + summary.outputRecords.categories} records (${summary.outputRecords.products} product, ${summary.outputRecords.categories} category), ` +
        `lost=${lost}, duplicated=${duplicated}, broker kill -9=${failures.filter((failure) => failure.kind === 'kill -9').length}, controlled shutdowns=${failures.filter((failure) => failure.kind === 'SIGTERM').length}, ` +
        `max time to resumed output=${maxResumeMs ?? 'not measured'} ms, stream-thread replacements=${appWarnings.filter((warning) => warning.includes('Replacing the stream thread')).length}, app warnings and errors=${appWarnings.length}`,
    );
    for (const warning of new Set(appWarnings)) console.log(`FAILURE ${scenario.name}: app said ${warning}`);

    expect(failures.map((failure) => failure.kind)).toEqual([...Array<string>(cycles).fill('kill -9'), 'SIGTERM']);
    // Everything the flagship touches is replicated 3 times: inputs, outputs, changelogs, repartition topics, Kafka's own.
    expect([...replicationFactors].filter(([, factor]) => factor !== 3)).toEqual([]);
    expect(replicationFactors.size).toBeGreaterThanOrEqual(9);
    expect(summary.expectation.unique).toBeGreaterThan(scenario.backlogEvents);
    expect(verdicts(summary.products)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
    expect(verdicts(summary.categories)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
    expect(summary.openTransactions).toEqual([]);
  });
});
