import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tributary/streams';
import { nodeSatisfies, requireNode } from './node-version.js';

const platformaticNode = [
  [22, 22],
  [24, 6],
] as const;

describe('the Node versions a client needs', () => {
  it('takes each listed line from its minor on, and every later major', () => {
    expect(['22.22.0', 'v22.23.1', '24.6.0', '24.11.1', '25.0.0', '26.1.0'].every((version) => nodeSatisfies(version, platformaticNode))).toBe(true);
    expect(['20.19.5', '22.21.9', '23.11.0', '24.5.0', '18.0.0'].some((version) => nodeSatisfies(version, platformaticNode))).toBe(false);
  });

  it('fails with a ConfigError naming the versions needed and the way out', () => {
    expect(() => requireNode('@platformatic/kafka', '20.20.2', platformaticNode)).toThrow(ConfigError);
    expect(() => requireNode('@platformatic/kafka', '20.20.2', platformaticNode)).toThrow("@platformatic/kafka needs Node >= 22.22 or 24.6; this is Node 20.20.2. Run on a newer Node, or leave the option 'client' out");
    expect(() => requireNode('@platformatic/kafka', '24.6.0', platformaticNode)).not.toThrow();
  });
});
