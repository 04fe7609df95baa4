/** Types for hyperloglog-lite, which ships none. */
declare module 'hyperloglog-lite' {
  interface HyperLogLogState {
    n: number;
    buckets: Buffer;
  }
  interface HyperLogLogSketch {
    add(hash: readonly number[] | null): HyperLogLogSketch;
    count(): number;
    relative_error(): number;
    output(): HyperLogLogState;
    merge(state: HyperLogLogState): void;
  }
  interface HyperLogLogFactory {
    (precision: number): HyperLogLogSketch;
    hash(value: string): number[];
  }
  const HyperLogLog: HyperLogLogFactory;
  export = HyperLogLog;
}
