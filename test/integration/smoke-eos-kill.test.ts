/**
 * Failure survival under exactly-once (issue #6), after Apache Kafka's EOS system tests: the
 * at-least-once kill scenario again, with a 2 s commit interval so most kills land inside an open
 * transaction. Every input record must come out exactly once, the final aggregates and counts
 * must be the known answer, and no transaction may be left open.
 *
 * On a build without `processingGuarantee: 'exactly_once'` this fails at option validation (the
 * instances exit with the ConfigError before RUNNING, and the test says so), on purpose: it is
 * never skipped.
 */
import { describe, expect, it } from 'vitest';
import { exactlyOnceUnderTest } from './helpers/client-under-test.js';
import { runKillScenario } from './smoke/smoke-scenario.js';

describe(`smoke: kill -9 under ${exactlyOnceUnderTest()}`, () => {
  it('writes every record once, with exact aggregates, while instances are killed and restarted in turn', { timeout: 200_000 }, async () => {
    const summary = await runKillScenario({ name: 'eos-kill', guarantee: exactlyOnceUnderTest(), commitIntervalMs: 2000 });
    expect(summary.killsSurvived).toBeGreaterThanOrEqual(3);
    expect(summary.recordsIn).toBe(summary.expectedRecords);
    expect(summary.lost).toBe(0);
    expect(summary.duplicated).toBe(0);
    expect(summary.unexpected).toBe(0);
    expect(summary.aggregateErrors).toEqual([]);
    expect(summary.bucketErrors).toEqual([]);
    expect(summary.openTransactions).toEqual([]);
  });
});
