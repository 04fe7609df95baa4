/**
 * Shrinks a failing scenario's input by delta debugging (Zeller's ddmin over the input steps):
 * split the steps into chunks, drop a chunk whenever the two sides still differ without it, and
 * refine the chunks until no single step can go. Each candidate runs on both sides, through the
 * long-running Kafka JVM, so a shrink costs a few hundred small runs at most.
 */
import type { Scenario, Step } from './scenario.js';

/** Whether the two sides differ on a candidate scenario. */
export type DiffersCheck = (candidate: Scenario) => Promise<boolean>;

/** Options of {@link shrinkScenario}. */
export interface ShrinkOptions {
  /** Most candidates tried; the smallest failing input so far is returned when it is reached. Default 400. */
  readonly maxAttempts?: number;
}

/** The smallest input found on which the sides still differ (the scenario itself when nothing can go). */
export async function shrinkScenario(scenario: Scenario, differs: DiffersCheck, options: ShrinkOptions = {}): Promise<Scenario> {
  const maxAttempts = options.maxAttempts ?? 400;
  let attempts = 0;
  let steps: readonly Step[] = scenario.steps;
  let chunks = 2;
  while (steps.length >= 2 && attempts < maxAttempts) {
    const size = Math.ceil(steps.length / chunks);
    let reduced = false;
    for (let start = 0; start < steps.length && attempts < maxAttempts; start += size) {
      const candidate = [...steps.slice(0, start), ...steps.slice(start + size)];
      attempts++;
      if (await differs({ ...scenario, steps: candidate })) {
        steps = candidate;
        chunks = Math.max(chunks - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (size === 1) break;
    chunks = Math.min(chunks * 2, steps.length);
  }
  if (steps.length === 1 && attempts < maxAttempts && (await differs({ ...scenario, steps: [] }))) steps = [];
  return { ...scenario, id: `${scenario.id}/shrunk`, steps };
}
