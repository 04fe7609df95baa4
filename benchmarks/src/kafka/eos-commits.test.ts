import { KafkaStreams, type KafkaStreamsOptions } from '@tributary/kafka';
import { describe, expect, it } from 'vitest';
import { eosCommitScenarios, refusesUnknownGuarantee } from './eos-commits.js';
import { buildPipe } from './pipe-topology.js';

/** What the runtime says when `new KafkaStreams` refuses these options. */
function refusal(options: Partial<KafkaStreamsOptions>): string {
  const topology = buildPipe({ eventsTopic: 'in', catalogTopic: 'catalog', outputPrefix: 'out-', emitFinalOnly: false });
  try {
    new KafkaStreams(topology, { applicationId: 'check', bootstrapServers: 'localhost:9092', ...options });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the runtime accepted the options');
}

describe('refusesUnknownGuarantee', () => {
  it("recognizes the runtime's refusal of a guarantee it does not know", () => {
    const message = refusal({ processingGuarantee: 'exactly_twice' as KafkaStreamsOptions['processingGuarantee'] });
    expect(refusesUnknownGuarantee(message, 'exactly_twice')).toBe(true);
  });

  it('takes no other refusal for it: those fail the scenario', () => {
    const otherOption = refusal({ processingGuarantee: 'exactly_once', commitIntervalMs: -1 });
    expect(refusesUnknownGuarantee(otherOption, 'exactly_once')).toBe(false);
    expect(refusesUnknownGuarantee(`Option 'processingGuarantee' must be 'at_least_once' or 'exactly_once', got "exactly_twice".`, 'exactly_once_v2')).toBe(false);
    expect(refusesUnknownGuarantee('Connection refused: got "exactly_once_v2"', 'exactly_once_v2')).toBe(false);
  });
});

describe('eosCommitScenarios', () => {
  it('pairs per-task v1 with per-thread v2 at 4 and at 32 partitions, on @platformatic/kafka', () => {
    const rows = eosCommitScenarios().map(({ group, result }) => [group, result.id, result.kind, result.partitions, result.client]);
    expect(rows).toEqual([
      ['eos-commits', 'eos-p4-v1-pf', 'commits', 4, 'platformatic'],
      ['eos-commits', 'eos-p4-v2-pf', 'commits', 4, 'platformatic'],
      ['eos-commits', 'eos-p32-v1-pf', 'commits', 32, 'platformatic'],
      ['eos-commits', 'eos-p32-v2-pf', 'commits', 32, 'platformatic'],
    ]);
  });
});
