import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { defaultPartition } from '../../internal/murmur2.js';

/** The record collector picks each record's partition itself (one topic-partition per send): it must agree with kafkajs'. */
describe('the collector partitioner on kafkajs', () => {
  it("picks the partition kafkajs' default partitioner writes a key to", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (bytes, count) => {
        const partitionMetadata = Array.from({ length: count }, (_, partition) => ({ partitionId: partition, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
        const written = partitioner({ topic: 't', partitionMetadata, message: { key: Buffer.from(bytes), value: null } });
        expect(defaultPartition(bytes, count)).toBe(written);
      }),
      { numRuns: 500 },
    );
  });
});
