/** The shrinker, against a synthetic difference: no JVM needed. */
import { describe, expect, it } from 'vitest';
import type { InputStep, Scenario } from './scenario.js';
import { shrinkScenario } from './shrink.js';

function scenario(stepValues: readonly string[]): Scenario {
  const steps: InputStep[] = stepValues.map((value, index) => ({ topic: 'a', key: 'k', value, ts: index }));
  return { id: 'synthetic/1/cache-off', topology: 'filter-map-values', params: {}, cache: false, seed: 1, steps };
}

function values(shrunk: Scenario): (string | null)[] {
  return shrunk.steps.map((step) => ('value' in step ? step.value : null));
}

describe('shrinkScenario', () => {
  it('keeps only the steps the difference needs, in their order', async () => {
    const input = scenario(Array.from({ length: 40 }, (_, index) => String(index)));
    // "Differs" while both 7 and 31 are still there.
    const shrunk = await shrinkScenario(input, async (candidate) => values(candidate).includes('7') && values(candidate).includes('31'));
    expect(values(shrunk)).toEqual(['7', '31']);
    expect(shrunk.id).toBe('synthetic/1/cache-off/shrunk');
  });

  it('gives up after maxAttempts candidates with the smallest failing input so far', async () => {
    const input = scenario(Array.from({ length: 64 }, (_, index) => String(index)));
    let attempts = 0;
    const shrunk = await shrinkScenario(
      input,
      async (candidate) => {
        attempts++;
        return values(candidate).includes('5');
      },
      { maxAttempts: 3 },
    );
    expect(attempts).toBe(3);
    expect(shrunk.steps.length).toBeLessThan(64);
    expect(values(shrunk)).toContain('5');
  });

  it('returns an empty input when the sides differ on no input at all', async () => {
    const shrunk = await shrinkScenario(scenario(['1', '2', '3']), async () => true);
    expect(shrunk.steps).toEqual([]);
  });
});
