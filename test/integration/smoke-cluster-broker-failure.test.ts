/**
 * Broker failures (issue #12): the flagship on a three-broker cluster of the test's own
 * (replication 3, min.insync.replicas 2) works through a backlog plus live input while the broker
 * leading most of its partitions is killed with kill -9 and restarted, then another is shut down
 * cleanly and restarted (smoke/flagship-broker-failure.ts). Exactly-once: nothing lost, nothing
 * duplicated, every product and category window exact, read_committed. At-least-once (its
 * output sends several partitions per produce request, which a client retries across a leader
 * change): nothing lost, every product window exact, no category window low (a replay behind the
 * category repartition topic may count an event twice), the duplicates reported.
 *
 * `FAILURE_CYCLES=<n>` kills n times instead of once: `pnpm test:failures:long` runs 20.
 * `FAILURE_GUARANTEES=exactly_once,at_least_once` picks the guarantees run (default: exactly_once,
 * to keep the suite's time; `pnpm test:failures` runs both).
 */
import { describe, expect, it } from 'vitest';
import { exactlyOnceUnderTest } from './helpers/client-under-test.js';
import { runBrokerFailureScenario } from './smoke/flagship-broker-failure.js';
import type { WindowComparison } from './smoke/flagship-verify.js';

const cycles = Number(process.env.FAILURE_CYCLES ?? '1');
if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`FAILURE_CYCLES must be a whole number of at least 1, got '${process.env.FAILURE_CYCLES}'.`);
const long = cycles > 1;
/** The exactly-once `TRIBUTARY_EXACTLY_ONCE` names: `exactly_once` (v1) by default, `exactly_once_v2` on platformatic. */
const exactlyOnce = exactlyOnceUnderTest();
const guarantees = (process.env.FAILURE_GUARANTEES ?? 'exactly_once').split(',').map((name) => name.trim());
for (const guarantee of guarantees) {
  if (guarantee !== 'exactly_once' && guarantee !== 'at_least_once') throw new Error(`FAILURE_GUARANTEES lists exactly_once and at_least_once, comma-separated; got '${guarantee}'.`);
}

/**
 * Default: 20k events of backlog and up to 40k live at 400/s while one broker is killed and
 * another stopped. Long: live input at 300/s for as long as the cycles take (up to 400k events).
 */
const scenario = {
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

const timeout = (long ? 150_000 * cycles : 420_000) + 300_000;

/** The run's name in logs and log files: `cluster-eos`, `cluster-alos-20-kills`. */
function nameOf(guarantee: 'exactly_once' | 'at_least_once'): string {
  const base = guarantee === 'at_least_once' ? 'cluster-alos' : exactlyOnce === 'exactly_once' ? 'cluster-eos' : 'cluster-eos-v2';
  return long ? `${base}-${cycles}-kills` : base;
}

async function runAndReport(guarantee: 'exactly_once' | 'at_least_once') {
  const options = { ...scenario, name: nameOf(guarantee), guarantee: guarantee === 'exactly_once' ? exactlyOnce : guarantee };
  const result = await runBrokerFailureScenario(options);
  const { summary, failures, appWarnings, maxResumeMs } = result;
  const lost = summary.products.lostEvents + summary.categories.lostEvents;
  const duplicated = summary.products.duplicatedEvents + summary.categories.duplicatedEvents;
  console.log(
    `FAILURE ${options.name}: in=${summary.expectation.eventsIn} events (unique ${summary.expectation.unique}), ` +
      `out=${summary.outputRecords.products + summary.outputRecords.categories} records (${summary.outputRecords.products} product, ${summary.outputRecords.categories} category), ` +
      `lost=${lost}, duplicated=${duplicated}, category windows high=${summary.categories.high}, broker kill -9=${failures.filter((failure) => failure.kind === 'kill -9').length}, controlled shutdowns=${failures.filter((failure) => failure.kind === 'SIGTERM').length}, ` +
      `max time to resumed output=${maxResumeMs ?? 'not measured'} ms, stream-thread replacements=${appWarnings.filter((warning) => warning.includes('Replacing the stream thread')).length}, app warnings and errors=${appWarnings.length}`,
  );
  for (const warning of new Set(appWarnings)) console.log(`FAILURE ${options.name}: app said ${warning}`);
  expect(failures.map((failure) => failure.kind)).toEqual([...Array<string>(cycles).fill('kill -9'), 'SIGTERM']);
  // Everything the flagship touches is replicated 3 times: inputs, outputs, changelogs, repartition topics, Kafka's own.
  expect([...result.replicationFactors].filter(([, factor]) => factor !== 3)).toEqual([]);
  expect(result.replicationFactors.size).toBeGreaterThanOrEqual(9);
  expect(summary.expectation.unique).toBeGreaterThan(scenario.backlogEvents);
  return summary;
}

describe('failure: the flagship on a three-broker cluster', () => {
  if (guarantees.includes('at_least_once')) {
    it(`at_least_once through ${cycles} broker kill(s) and a controlled shutdown: nothing lost, every product window exact, no category window low`, { timeout }, async () => {
      const summary = await runAndReport('at_least_once');
      expect(verdicts(summary.products)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
      expect(verdicts(summary.categories)).toMatchObject({ missing: 0, low: 0, wrong: 0, lostEvents: 0 });
    });
  }

  if (guarantees.includes('exactly_once')) {
    it(`${exactlyOnce} through ${cycles} broker kill(s) and a controlled shutdown: every window exact`, { timeout }, async () => {
      const summary = await runAndReport('exactly_once');
      expect(verdicts(summary.products)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
      expect(verdicts(summary.categories)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
      expect(summary.openTransactions).toEqual([]);
    });
  }
});

