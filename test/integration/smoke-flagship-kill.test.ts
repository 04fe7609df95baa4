/**
 * The flagship survives kill -9 (issue #12): examples/product-analytics works through a backlog
 * of 80k generated events while its one instance is killed with SIGKILL four times (twice just
 * after a commit started) and restarted on the LevelDB state each kill left. The answer is
 * recomputed from the input topics (smoke/flagship-verify.ts) and every window compared.
 *
 * Exactly-once: every product and category window exact. At-least-once: product windows exact
 * too (de-duplication and the product windows share a sub-topology, so state restored in step
 * with the committed offsets counts each event once), category windows never low (they sit
 * behind a repartition topic, where a replay may count an event twice).
 */
import { describe, expect, it } from 'vitest';
import { exactlyOnceUnderTest } from './helpers/client-under-test.js';
import { runFlagshipKillScenario, type FlagshipKillResult } from './smoke/flagship-scenario.js';
import type { WindowComparison } from './smoke/flagship-verify.js';

/**
 * 80k events (about 40 s of event time, two windows per product and category). The instance is
 * killed once it has committed past each fifth of the backlog, at once or about when it begins
 * a commit (a commit interval, plus a little, after it reported one). Commits every 200 ms: on an
 * unloaded machine one 500 ms interval covered the last 26k events of the backlog, leaving no
 * lag for the third kill to find.
 */
const scenario = {
  events: 80_000,
  seed: 12,
  commitIntervalMs: 200,
  kills: [{}, { afterCommitMs: 220 }, {}, { afterCommitMs: 240 }],
} as const;

/** The counts a window check asserts on: windows missing from the output, verdicts, events lost and duplicated. */
function verdicts(comparison: WindowComparison) {
  const { expected, compared, low, high, wrong, lostEvents, duplicatedEvents } = comparison;
  return { missing: expected - compared, low, high, wrong, lostEvents, duplicatedEvents };
}

/**
 * What a failed window check prints, since a CI log keeps only its end: the run's summary, where
 * the kills struck, the repartition partitions left unread and the windows that were not exact.
 */
function explain({ summary, lagAtKills }: FlagshipKillResult): string {
  const samples = [...summary.products.samples, ...summary.categories.samples].map(({ window, verdict, expected, actual }) => `${verdict} ${window}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  return [summary.line, `lag at kills: ${lagAtKills.join(', ')}`, `repartition partitions unread: ${summary.unreadRepartitions.join('; ') || 'none'}`, ...samples].join('\n');
}

describe('smoke: the flagship under kill -9', () => {
  it('at_least_once: every product window exact, no category window low', { timeout: 240_000 }, async () => {
    const result = await runFlagshipKillScenario({ name: 'flagship-alos', guarantee: 'at_least_once', ...scenario });
    const { summary } = result;
    expect(summary.killsSurvived).toBeGreaterThanOrEqual(3);
    expect(summary.expectation.unique).toBeGreaterThan(75_000);
    expect(verdicts(summary.products), explain(result)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
    // A replay may count an event twice behind the category repartition topic, never lose one.
    expect(verdicts(summary.categories), explain(result)).toMatchObject({ missing: 0, low: 0, wrong: 0, lostEvents: 0 });
  });

  // The exactly-once `TRIBUTARY_EXACTLY_ONCE` names: `exactly_once` (v1) by default, `exactly_once_v2` on platformatic.
  const guarantee = exactlyOnceUnderTest();
  it(`${guarantee}: every window exact`, { timeout: 240_000 }, async () => {
    const result = await runFlagshipKillScenario({ name: guarantee === 'exactly_once' ? 'flagship-eos' : 'flagship-eos-v2', guarantee, ...scenario });
    const { summary } = result;
    expect(summary.killsSurvived).toBeGreaterThanOrEqual(3);
    expect(summary.expectation.unique).toBeGreaterThan(75_000);
    expect(verdicts(summary.products), explain(result)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
    expect(verdicts(summary.categories), explain(result)).toEqual({ missing: 0, low: 0, high: 0, wrong: 0, lostEvents: 0, duplicatedEvents: 0 });
    expect(summary.openTransactions).toEqual([]);
  });
});
