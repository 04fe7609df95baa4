import { describe, expect, it } from 'vitest';
import { JavaHashSetOrder, javaBytesHashCode } from './java-hash-set-order.js';

const add = (set: JavaHashSetOrder, ...keys: string[]): void => {
  for (const key of keys) set.add(key, Buffer.from(key, 'latin1'));
};
const order = (set: JavaHashSetOrder): string[] => set.ordered().map((key) => key.toString('latin1'));

describe('the iteration order of a Java HashSet<Bytes>', () => {
  it('hashes as Arrays.hashCode, bytes signed', () => {
    expect(javaBytesHashCode(Buffer.from('a'))).toBe(128);
    expect(javaBytesHashCode(Buffer.alloc(0))).toBe(1);
    // [-1, 0]: (31 + -1) * 31 + 0 = 930
    expect(javaBytesHashCode(Buffer.from([0xff, 0]))).toBe(930);
    // What Java 17's Arrays.hashCode("abcdefgh".getBytes()) printed (it wraps past 2^31).
    expect(javaBytesHashCode(Buffer.from('abcdefgh'))).toBe(-547780731);
  });

  it('iterates by bucket, then insertion order within a bucket, keeping its capacity across clear()', () => {
    const set = new JavaHashSetOrder();
    // 'a' hashes to 128 and 'q' to 144: both bucket 0 of 16; 'b' is bucket 1.
    // Each order below is what Java 17 printed for a HashSet of such keys, added in this order.
    add(set, 'b', 'q', 'a', 'q');
    expect(order(set)).toEqual(['q', 'a', 'b']);
    // Thirteen keys pass 16 * 0.75: 32 buckets, where 'a' stays in 0 and 'q' moves to 16.
    set.clear();
    add(set, 'q', 'a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm');
    expect(order(set)).toEqual(['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'q']);
    set.clear();
    add(set, 'q', 'a');
    expect(order(set)).toEqual(['a', 'q']);
  });
});
