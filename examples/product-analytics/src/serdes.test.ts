import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Headers, UniqueCountSketch } from '@tributary/streams';
import { FunnelAggregateSerde, type FunnelAggregate } from './serdes.js';

/**
 * The sketch of users 'user-0', 'user-1' and 'user-2' as the dense-only sketch wrote it before
 * sparse sketches (a precision byte 12, then 4,096 registers), gzipped and base64-encoded: what
 * the window stores and changelogs of that version hold after the counts' JSON.
 */
const denseSketchOfThreeUsers = 'H4sIAAAAAAACA+3XMREAAAjEsGdiwb9eDKCASyR06+TQgaQkAAAAeDNsC+RKw20BEAAA';

const counts = { views: 3, clicks: 1, addToCarts: 0, purchases: 1, revenue: 19.99, name: 'Lamp', category: 'home', lastEventAt: 1_767_225_600_000 };
const headers = new Headers();

describe('FunnelAggregateSerde', () => {
  it('reads a window aggregate written with the dense sketch, and writes it back sparse', () => {
    const json = Buffer.from(JSON.stringify(counts), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const sketch = gunzipSync(Buffer.from(denseSketchOfThreeUsers, 'base64'));
    expect(sketch.length).toBe(1 + 4_096);
    const before = Buffer.concat([length, json, sketch]);

    const aggregate = FunnelAggregateSerde.deserialize('product-windows-changelog', before, headers);
    expect({ ...aggregate, users: undefined }).toEqual({ ...counts, users: undefined });
    expect(aggregate.users.count()).toBe(3);
    expect(aggregate.users.with('user-1')).toBe(aggregate.users); // already counted
    const after = FunnelAggregateSerde.serialize('product-windows-changelog', aggregate, headers);
    expect(after.length).toBeLessThan(4 + json.length + 16);
    const again = FunnelAggregateSerde.deserialize('product-windows-changelog', after, headers);
    expect(again.users.toBytes().equals(aggregate.users.toBytes())).toBe(true);
    expect(again.users.count()).toBe(3);
  });

  it('round-trips aggregates whose sketch is sparse or dense', () => {
    for (const users of [0, 5, 5_000]) {
      let sketch = UniqueCountSketch.empty(12);
      for (let user = 0; user < users; user++) sketch = sketch.with(`user-${user}`);
      const aggregate: FunnelAggregate = { ...counts, users: sketch };
      const back = FunnelAggregateSerde.deserialize('t', FunnelAggregateSerde.serialize('t', aggregate, headers), headers);
      expect(back.users.count(), `${users} users`).toBe(sketch.count());
      expect(back.users.isSparse, `${users} users`).toBe(users < 1_000);
      expect(back.views).toBe(3);
    }
  });
});
