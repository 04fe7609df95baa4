import { describe, expect, it } from 'vitest';
import { Materialized, Repartitioned, Serdes, StreamsBuilder, TimeWindows, type Topology } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { CopartitionError, InternalTopicMismatchError } from '../errors.js';
import { internalTopicsToCreate, planTopics } from './topic-plan.js';

const internal = (topology: Topology) => topologyBuilder(topology)!;

describe('planTopics', () => {
  it('sizes a repartition topic by its upstream sources and its store changelog by its sub-topology', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .selectKey((_key, value) => value)
      .groupByKey()
      .count(Materialized.as('counts'));
    const plan = planTopics(internal(builder.build()), 'app', new Map([['clicks', 6]]));
    const topics = [...plan.internalTopics.values()];
    const repartition = topics.find((topic) => topic.kind === 'repartition')!;
    expect(repartition.name).toMatch(/^app-.*-repartition$/);
    expect(repartition.partitions).toBe(6);
    expect(plan.internalTopics.get('app-counts-changelog')).toMatchObject({ partitions: 6, configs: { 'cleanup.policy': 'compact' } });
    expect([...plan.tasksPerSubtopology.values()]).toEqual([6, 6]);
  });

  it('takes a fixed count from Repartitioned and passes it downstream', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .repartition(Repartitioned.numberOfPartitions(2))
      .groupByKey()
      .count(Materialized.as('counts'));
    const plan = planTopics(internal(builder.build()), 'app', new Map([['clicks', 6]]));
    expect([...plan.internalTopics.values()].find((topic) => topic.kind === 'repartition')!.partitions).toBe(2);
    expect(plan.internalTopics.get('app-counts-changelog')!.partitions).toBe(2);
  });

  it('gives windowed changelogs compact,delete with retention', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(60_000))
      .count(Materialized.as('per-minute'));
    const plan = planTopics(internal(builder.build()), 'app', new Map([['clicks', 3]]));
    const changelog = plan.internalTopics.get('app-per-minute-changelog')!;
    expect(changelog.configs['cleanup.policy']).toBe('compact,delete');
    expect(Number(changelog.configs['retention.ms'])).toBeGreaterThan(60_000);
  });

  it('rejects joined topics with different partition counts, naming them and their counts', () => {
    const builder = new StreamsBuilder();
    const table = builder.table<string, string>('customers', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    builder.stream<string, string>('orders', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).join(table, (order, customer) => `${order}/${customer}`).to('enriched');
    const topology = internal(builder.build());
    expect(() => planTopics(topology, 'app', new Map([['orders', 3], ['customers', 3]]))).not.toThrow();
    const attempt = () => planTopics(topology, 'app', new Map([['orders', 3], ['customers', 2]]));
    expect(attempt).toThrow(CopartitionError);
    expect(attempt).toThrow(/orders \(3 partitions\).*customers \(2 partitions\)/);
  });

  it('sizes a repartition topic joined with a table to the table topic', () => {
    const builder = new StreamsBuilder();
    const table = builder.table<string, string>('customers', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    builder
      .stream<string, string>('orders', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .selectKey((_key, value) => value)
      .join(table, (order, customer) => `${order}/${customer}`)
      .to('enriched');
    const plan = planTopics(internal(builder.build()), 'app', new Map([['orders', 8], ['customers', 4]]));
    expect([...plan.internalTopics.values()].find((topic) => topic.kind === 'repartition')!.partitions).toBe(4);
  });

  it('reports existing internal topics with the wrong partition count', () => {
    const builder = new StreamsBuilder();
    builder.stream<string, string>('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).groupByKey().count(Materialized.as('counts'));
    const plan = planTopics(internal(builder.build()), 'app', new Map([['clicks', 4]]));
    expect(internalTopicsToCreate(plan, new Map())).toHaveLength(1);
    expect(internalTopicsToCreate(plan, new Map([['app-counts-changelog', 4]]))).toHaveLength(0);
    expect(() => internalTopicsToCreate(plan, new Map([['app-counts-changelog', 2]]))).toThrow(InternalTopicMismatchError);
    expect(() => internalTopicsToCreate(plan, new Map([['app-counts-changelog', 2]]))).toThrow(/app-counts-changelog has 2 partitions but needs 4/);
  });
});
