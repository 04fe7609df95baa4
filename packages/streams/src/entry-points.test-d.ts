import { describe, expectTypeOf, it } from 'vitest';
import type * as streams from './index.js';
import type * as engine from './engine.js';

describe('entry points (types)', () => {
  it('has no driver types on the main entry point', () => {
    // @ts-expect-error drivers import RecordCollector from @tributary/streams/engine
    type Collector = streams.RecordCollector;
    // @ts-expect-error drivers import ConsumedRecord from @tributary/streams/engine
    type Consumed = streams.ConsumedRecord;
    // @ts-expect-error drivers import ResolvedStreamsConfig from @tributary/streams/engine
    type Resolved = streams.ResolvedStreamsConfig;
    expectTypeOf<engine.RecordCollector>().toHaveProperty('send');
    expectTypeOf<engine.ConsumedRecord>().toHaveProperty('offset');
    // DropReason is the key of every driver's public dropped-record counters.
    expectTypeOf<'late-record'>().toExtend<streams.DropReason>();
    void (0 as unknown as [Collector, Consumed, Resolved]);
  });

  it('does not let an application reach Topology.internal', () => {
    // @ts-expect-error the graph is private; drivers read it with topologyBuilder()
    void ((topology: streams.Topology) => topology.internal);
  });
});
