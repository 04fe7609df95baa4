import { describe, expect, it } from 'vitest';
import { besideTheirTwins, platformaticLatencyScenarios, platformaticThroughputScenarios } from './platformatic-scenarios.js';

const scenario = (id: string) => ({ result: { id } });
const ids = (list: readonly { result: { id: string } }[]) => list.map((entry) => entry.result.id);

describe('the @platformatic/kafka scenarios', () => {
  it('mirror the kafkajs ones: the ceiling, the stateless pipe, the flagship per guarantee and thread count, latency', () => {
    const mode = { name: 'quick', events: 50_000, runs: 1, partitions: 4, cores: 2, latencyRate: 2_000, latencySeconds: 30, latencyWarmupSeconds: 10, recoveryKeys: 1, recoveryEvents: 1, stateKeys: 1, runTimeoutMs: 1 } as const;
    const list = [...platformaticThroughputScenarios(mode), ...platformaticLatencyScenarios()];
    expect(ids(list)).toEqual(['ceiling-pf', 'tributary-pf-pipe-alo-1t', 'tributary-pf-alo-1t', 'tributary-pf-alo-2t', 'tributary-pf-eos-1t', 'tributary-pf-eos-2t', 'latency-tributary-pf-alo', 'latency-tributary-pf-eos']);
    expect(new Set(list.map((entry) => `${entry.group} ${entry.result.client ?? 'kafkajs'}`))).toEqual(new Set(['platformatic platformatic']));
  });
});

describe('besideTheirTwins', () => {
  it('runs each @platformatic/kafka row right after its kafkajs twin', () => {
    const list = ['ceiling', 'tributary-pipe-alo-1t', 'tributary-alo-1t', 'engine', 'ceiling-pf', 'tributary-pf-pipe-alo-1t', 'tributary-pf-alo-1t', 'latency-tributary-alo', 'latency-tributary-pf-alo'].map(scenario);
    expect(ids(besideTheirTwins(list))).toEqual(['ceiling', 'ceiling-pf', 'tributary-pipe-alo-1t', 'tributary-pf-pipe-alo-1t', 'tributary-alo-1t', 'tributary-pf-alo-1t', 'engine', 'latency-tributary-alo', 'latency-tributary-pf-alo']);
  });

  it('leaves a row without its twin in the list where it was', () => {
    const list = ['tributary-pf-alo-1t', 'engine', 'ceiling-pf', 'eos-p4-v1-pf', 'ceiling'].map(scenario);
    expect(ids(besideTheirTwins(list))).toEqual(['tributary-pf-alo-1t', 'engine', 'eos-p4-v1-pf', 'ceiling', 'ceiling-pf']);
  });
});
