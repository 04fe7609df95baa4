/**
 * The client dimension: the kafkajs scenarios' twins on @platformatic/kafka (group
 * `platformatic`). The ceiling is a pipe written on @platformatic/kafka itself
 * (`pipe-platformatic.ts`); the Tributary rows are the same apps with `client:
 * platformaticClient(...)` (`app.ts`), each thread's own supplier in worker threads
 * (`flagship.ts`' `createOptions()`). They run on the Node `node-binaries.ts` picks for
 * @platformatic/kafka; `--app-node 24` runs the kafkajs rows on that Node too.
 */
import type { Context, ModeSettings } from './context.js';
import { runLatency } from './latency.js';
import type { ScenarioResult } from './report.js';
import { runCeiling, runFlagship } from './throughput.js';

/** A scenario as the runner lists it. */
interface Scenario {
  readonly group: string;
  readonly result: ScenarioResult;
  readonly run: (context: Context) => Promise<ScenarioResult['runs'][number]>;
}

const group = 'platformatic';
const client = 'platformatic';
const guarantees = [
  ['alo', 'at_least_once', 'at-least-once'],
  ['eos', 'exactly_once', 'exactly-once'],
] as const;

/** `ceiling-pf`, `tributary-pf-pipe-alo-1t`, `tributary-pf-{alo,eos}-{1,N}t`: throughput rows, in the order they run. */
export function platformaticThroughputScenarios(mode: ModeSettings): Scenario[] {
  const list: Scenario[] = [
    { group, result: { id: 'ceiling-pf', kind: 'throughput', label: 'ceiling: @platformatic/kafka pipe, no processing', client, runs: [] }, run: (context) => runCeiling(context, client) },
    {
      group,
      result: { id: 'tributary-pf-pipe-alo-1t', kind: 'throughput', label: 'Tributary stateless pipe (bytes in, bytes out), at-least-once, 1 thread', client, runs: [] },
      run: (context) => runFlagship(context, { implementation: 'tributary', guarantee: 'at_least_once', client, threads: 1, topology: 'pipe' }),
    },
  ];
  for (const [short, guarantee, words] of guarantees) {
    for (const threads of new Set([1, mode.cores])) {
      list.push({
        group,
        result: { id: `tributary-pf-${short}-${threads}t`, kind: 'throughput', label: `Tributary, ${words}, ${threads} thread${threads > 1 ? 's' : ''}`, client, runs: [], reference: `kstreams-${short}-${threads}t` },
        run: (context) => runFlagship(context, { implementation: 'tributary', guarantee, client, threads }),
      });
    }
  }
  return list;
}

/** `latency-tributary-pf-{alo,eos}`: the latency rows, one thread. */
export function platformaticLatencyScenarios(): Scenario[] {
  return guarantees.map(([short, guarantee, words]) => ({
    group,
    result: { id: `latency-tributary-pf-${short}`, kind: 'latency', label: `Tributary, ${words}`, client, runs: [] },
    run: (context: Context) => runLatency(context, { implementation: 'tributary', guarantee, client, threads: 1 }),
  }));
}

/**
 * `list` with each @platformatic/kafka row moved to just after its kafkajs twin (`ceiling-pf`
 * after `ceiling`, `tributary-pf-alo-1t` after `tributary-alo-1t`, ...), so that within a round
 * the two run back to back and the load of the moment hits both alike. Rows without a twin in
 * the list keep their place.
 */
export function besideTheirTwins<T extends { readonly result: { readonly id: string } }>(list: readonly T[]): T[] {
  const ids = new Set(list.map((scenario) => scenario.result.id));
  const twinOf = (scenario: T): string | undefined => {
    const twin = scenario.result.id.replace('-pf', '');
    return twin !== scenario.result.id && ids.has(twin) ? twin : undefined;
  };
  const ordered: T[] = [];
  for (const scenario of list) {
    if (twinOf(scenario) !== undefined) continue;
    ordered.push(scenario);
    ordered.push(...list.filter((candidate) => twinOf(candidate) === scenario.result.id));
  }
  return ordered;
}
