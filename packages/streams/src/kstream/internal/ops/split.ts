/**
 * `split()`: send each record to the first branch whose predicate accepts it (Kafka's
 * `KStreamBranch`). The branches are collected by `BranchedKStreamImpl`
 * (`branched-kstream-impl.ts`), which adds this node and one pass-through child per branch.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { Predicate } from '../../functions.js';

class BranchProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>;

  /** `predicates[i]` guards `childNames[i]`; a default branch has a predicate that is always true. */
  constructor(
    private readonly predicates: readonly Predicate<K, V>[],
    private readonly childNames: readonly string[],
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    const predicates = this.predicates;
    for (let index = 0; index < predicates.length; index++) {
      if (predicates[index]!(record.key, record.value)) {
        this.context.forward(record, this.childNames[index]);
        return;
      }
    }
  }
}

/** The predicates and child names are read when the task starts, after every branch is added. */
export function branchProcessor<K, V>(predicates: readonly Predicate<K, V>[], childNames: readonly string[]): ProcessorSupplier<K, V, K, V> {
  return () => new BranchProcessor(predicates, childNames);
}
