/**
 * The seeded random source of the repository's tests, benchmarks and conformance suite
 * (mulberry32: small, fast and well distributed), so a seed names the same data on any machine.
 */

/** A float in [0, 1) after each call, the same sequence for the same `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
