import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tributary/streams';
import { nodeSatisfies } from './client/node-version.js';

// The unit tests run on Node 20 and again on Node 24 (.ci/run): each run checks its own side.
const supported = nodeSatisfies(process.versions.node, [
  [22, 22],
  [24, 6],
]);

describe('@tributary/kafka/platformatic', () => {
  it(`${supported ? 'imports' : 'refuses to import, with a ConfigError,'} on Node ${process.versions.node}`, async () => {
    const loading = import('./platformatic.js');
    if (!supported) {
      await expect(loading).rejects.toThrow(ConfigError);
      await expect(loading).rejects.toThrow(`needs Node >= 22.22 or 24.6; this is Node ${process.versions.node}`);
      return;
    }
    const { platformaticClient } = await loading;
    expect(() => platformaticClient({ brokers: [] })).toThrow(ConfigError);
    expect(() => platformaticClient({ brokers: ['localhost'] })).toThrow("option 'brokers' must be a non-empty list of 'host:port' strings");
    expect(() => platformaticClient({ brokers: ['localhost:9092'], partitionFetchMaxBytes: 0 })).toThrow("option 'partitionFetchMaxBytes' must be a whole number of bytes");
    expect(() => platformaticClient({ brokers: ['localhost:9092'], fetchMaxBytes: 2 ** 31 })).toThrow("option 'fetchMaxBytes' must be a whole number of bytes");
    platformaticClient({ brokers: ['localhost:9092'], partitionFetchMaxBytes: 1024 * 1024, fetchMaxBytes: 50 * 1024 * 1024 }).shutdown();
    const supplier = platformaticClient({ brokers: ['localhost:9092'] });
    expect(supplier.name).toBe('platformatic');
    supplier.shutdown();
  });
});
