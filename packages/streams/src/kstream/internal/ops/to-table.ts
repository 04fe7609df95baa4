/**
 * `KStream.toTable`: read a stream as a table, each record the latest value of its key (Kafka's
 * `KStreamImpl.toTable`, a `KTableSource` below the stream). A stream whose key may have changed
 * is repartitioned first, as Kafka Streams does.
 */
import type { Materialized } from '../../materialized.js';
import type { Named } from '../../named.js';
import type { KStreamImpl } from '../kstream-impl.js';
import type { KTableNode } from '../ktable-impl.js';
import { tableStoreName } from '../table-store.js';
import { addTableSource } from './table-source.js';

/** Adds the table node (and the repartition before it when the key may have changed). */
export function streamToTable<K, V>(stream: KStreamImpl<K, V>, named: Named | undefined, materialized: Materialized<K, V> | undefined): KTableNode<K, V> {
  const topology = stream.topology;
  const name = topology.nameOr(named?.name, 'KSTREAM-TOTABLE-');
  const storeName = tableStoreName(topology, materialized, 'KSTREAM-TOTABLE-');
  const keySerde = materialized?.keySerde ?? stream.keySerde;
  const valueSerde = materialized?.valueSerde ?? stream.valueSerde;
  const parent = stream.repartitionRequired ? stream.repartitionThrough(name, keySerde, valueSerde, undefined) : stream;
  return addTableSource(topology, parent.nodeName, name, storeName, materialized, { keySerde: parent.keySerde, valueSerde: parent.valueSerde });
}
