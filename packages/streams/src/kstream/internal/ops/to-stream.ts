/**
 * `KTable.toStream`: a table's updates as a stream, each change's new value under its key, a
 * delete as a null value (Kafka's `KTableImpl.toStream` with its `KStreamMapValues` of the change).
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { Named } from '../../named.js';
import type { Change } from '../change.js';
import type { KStreamNode } from '../kstream-impl.js';
import type { KTableImpl } from '../ktable-impl.js';

class TableToStreamProcessor<K, V> implements Processor<K, Change<V>, K, V | null> {
  private context!: ProcessorContext<K, V | null>;

  init(context: ProcessorContext<K, V | null>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    this.context.forward(record.withValue(record.value.newValue));
  }
}

function tableToStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => new TableToStreamProcessor<K, V>();
}

/** Adds the node, named by `named` or generated; the stream is keyed as the table is, so it needs no repartition. */
export function tableToStream<K, V>(table: KTableImpl<K, V>, named: Named | undefined): KStreamNode<K, V> {
  const topology = table.topology;
  const name = topology.nameOr(named?.name, 'KTABLE-TOSTREAM-');
  topology.addProcessor(name, tableToStreamProcessor<K, V>(), [table.nodeName]);
  return { nodeName: name, keySerde: table.keySerde, valueSerde: table.valueSerde, repartitionRequired: false };
}
