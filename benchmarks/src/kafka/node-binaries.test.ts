import { describe, expect, it } from 'vitest';
import { supportsPlatformatic } from './node-binaries.js';

describe('supportsPlatformatic', () => {
  it('takes the Node versions @platformatic/kafka 2.12 supports: 22.22 and later 22s, 24.6 and later', () => {
    expect(['22.22.0', '22.23.1', '24.6.0', '24.22.3', '26.0.0'].filter(supportsPlatformatic)).toEqual(['22.22.0', '22.23.1', '24.6.0', '24.22.3', '26.0.0']);
  });

  it('refuses the older ones, Node 20 and 23 included', () => {
    expect(['20.20.2', '22.21.9', '23.11.0', '24.5.0', '18.20.0'].filter(supportsPlatformatic)).toEqual([]);
  });
});
