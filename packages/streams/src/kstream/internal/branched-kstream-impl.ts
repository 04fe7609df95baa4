/**
 * The DSL's `split()` result (Kafka's `BranchedKStreamImpl`): collects branches, then adds one
 * branch node (`ops/split.ts`) with a pass-through child per branch, and hands each branch's
 * stream to its `Branched` function or consumer. Nothing is added to the topology until
 * `defaultBranch` or `noDefaultBranch` is called.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { Branched } from '../branched.js';
import type { Predicate } from '../functions.js';
import type { KStream } from '../kstream.js';
import { checkFunction } from './check-function.js';
import type { KStreamImpl } from './kstream-impl.js';
import { passThroughProcessor } from './ops/pass-through.js';
import { branchProcessor } from './ops/split.js';

export class BranchedKStreamImpl<K, V, P extends string> {
  private readonly predicates: Predicate<K, V>[] = [];
  private readonly branches: { name: string; branched: Branched<K, V, string> }[] = [];

  constructor(
    private readonly source: KStreamImpl<K, V>,
    private readonly prefix: P,
  ) {}

  branch(predicate: Predicate<K, V>, branched: Branched<K, V, string> = {}): this {
    this.predicates.push(checkFunction(predicate, 'branch'));
    // Kafka Streams consumes an index per branch as it is added.
    this.source.topology.newIndex();
    this.branches.push({ name: branched.name ?? String(this.branches.length + 1), branched });
    return this;
  }

  defaultBranch(branched: Branched<K, V, string> = {}): Record<string, KStream<K, V>> {
    this.predicates.push(() => true);
    this.source.topology.newIndex();
    this.branches.push({ name: branched.name ?? '0', branched });
    return this.build();
  }

  noDefaultBranch(): Record<string, KStream<K, V>> {
    return this.build();
  }

  private build(): Record<string, KStream<K, V>> {
    const source = this.source;
    const childNames = this.branches.map((branch) => `${this.prefix}${branch.name}`);
    const seen = new Set<string>();
    for (const childName of childNames) {
      if (seen.has(childName)) throw new TopologyError(`split() has two branches named '${childName}'; give each branch its own name.`);
      seen.add(childName);
    }
    // The branch node as a stream of its own, so that each branch's stream is made below it by the stream class.
    const branchNode = source.addNamedChild<K, V>(this.prefix, branchProcessor([...this.predicates], childNames), source.keySerde, source.valueSerde, source.repartitionRequired);
    const result: Record<string, KStream<K, V>> = {};
    this.branches.forEach((branch, index) => {
      const childName = childNames[index]!;
      const stream = branchNode.addNamedChild<K, V>(childName, passThroughProcessor(), source.keySerde, source.valueSerde, source.repartitionRequired);
      const { chain, consumer } = branch.branched;
      if (consumer !== undefined) {
        consumer(stream);
        return;
      }
      result[childName] = chain === undefined ? stream : chain(stream);
    });
    return result;
  }
}
