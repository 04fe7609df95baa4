import { describe, expect, it } from 'vitest';
import { TopologyError } from '../../errors/streams-error.js';
import { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import { Serdes } from '../../serde/serdes.js';
import { StreamsBuilder } from '../streams-builder.js';
import { KTableImpl } from './ktable-impl.js';
import { storeValueGetter } from './ktable-value-getter.js';

describe('table conversions', () => {
  it("make a table's toStream() and groupBy() results from the builder that made the table", () => {
    const builder = new StreamsBuilder();
    const table = builder.table('rows', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    table.toStream().to('out');
    table.groupBy((key, value) => ({ key: value, value: key })).count().toStream().to('counts');
    const nodes = builder
      .build()
      .describe()
      .subtopologies.flatMap((subtopology) => subtopology.nodes.map((node) => node.name));
    expect(nodes).toEqual([
      'KSTREAM-SOURCE-0000000001',
      'KTABLE-SOURCE-0000000002',
      'KTABLE-TOSTREAM-0000000003',
      'KSTREAM-SINK-0000000004',
      'KTABLE-SELECT-0000000005',
      'KSTREAM-SINK-0000000007',
      'KSTREAM-SOURCE-0000000008',
      'KTABLE-AGGREGATE-0000000009',
      'KTABLE-TOSTREAM-0000000010',
      'KSTREAM-SINK-0000000011',
    ]);
  });

  it('refuse a table whose topology no StreamsBuilder created, with a TopologyError', () => {
    const topology = new InternalTopologyBuilder();
    const table = new KTableImpl<string, string>(topology, 'rows', undefined, undefined, undefined, () => storeValueGetter('rows-store'), () => false);
    expect(() => table.toStream()).toThrow(TopologyError);
    expect(() => table.groupBy((key, value) => ({ key: value, value: key }))).toThrow(/no StreamsBuilder created/);
  });
});
