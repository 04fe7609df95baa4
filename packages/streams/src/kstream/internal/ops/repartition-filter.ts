/**
 * The filter before every stream repartition sink (Kafka Streams' `KSTREAM-FILTER-…` node from
 * `KStreamImpl.createRepartitionedSource`): it drops records with a null key, which no key
 * partitioner can place and which the aggregations and joins downstream would drop anyway. As in
 * Kafka Streams 3.9 (KIP-962), it keeps them when the repartitioned records can reach a join that
 * keeps null keys (left or outer stream joins): those joins emit such records joined with null.
 * Which of the two it is can only be known once the topology is complete, so it is decided when a
 * task first builds the node.
 */
import type { InternalTopologyBuilder } from '../../../processor/internal/topology-builder.js';
import { internalContext } from '../../../processor/internal/task-context.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';

class RepartitionFilterProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>;

  constructor(private readonly dropsNullKeys: boolean) {}

  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    if (!this.dropsNullKeys || (record.key !== null && record.key !== undefined)) {
      this.context.forward(record);
      return;
    }
    // Kafka Streams drops these without a word; Tributary counts them and says so at debug level.
    const task = internalContext(this.context);
    task.config.logger.debug('A record with a null key was dropped before a repartition topic.', { processor: task.currentNode?.name, source: task.describeSource() });
    task.metrics.recordDropped('null-key');
  }
}

/** The filter named `filterName` in `topology`; see the module comment. */
export function repartitionFilterProcessor<K, V>(topology: InternalTopologyBuilder, filterName: string): ProcessorSupplier<K, V, K, V> {
  let dropsNullKeys: boolean | undefined;
  return () => {
    dropsNullKeys ??= !topology.feedsNullKeyJoin(filterName);
    return new RepartitionFilterProcessor<K, V>(dropsNullKeys);
  };
}
