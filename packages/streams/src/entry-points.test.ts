/**
 * What each entry point holds: the main one what applications use, `engine` what drivers use.
 * Driver internals on the main entry point would be API that cannot change.
 */
import { describe, expect, it } from 'vitest';
import * as engine from './engine.js';
import * as streams from './index.js';
import { InternalTopologyBuilder } from './processor/internal/topology-builder.js';

describe('entry points', () => {
  it('keeps driver internals off the main entry point and on the engine one', () => {
    for (const name of ['resolveStreamsConfig', 'isRestorableStore', 'topologyBuilder', 'checkKnownOptions', 'DEFAULT_CACHE_MAX_BYTES']) expect(name in streams, name).toBe(false);
    for (const name of ['resolveStreamsConfig', 'isRestorableStore', 'topologyBuilder', 'checkKnownOptions', 'StreamTask', 'LocalRunner']) expect(typeof (engine as Record<string, unknown>)[name], name).toBe('function');
  });

  it('declares the contract between drivers and store backends on the engine entry point only', () => {
    const contract = ['isPreparableSupplier', 'preparableSupplierOf', 'isCachingStore', 'windowKey', 'parseWindowKey', 'sessionKey', 'parseSessionKey', 'SortedKeyIndex', 'TimeKeyedEntries'];
    for (const name of contract) expect(typeof (engine as Record<string, unknown>)[name], name).toBe('function');
    for (const name of contract) expect(name in streams, name).toBe(false);
  });

  it('names the per-store cache default for what it is', () => {
    expect(streams.DEFAULT_STORE_CACHE_MAX_BYTES).toBe(10 * 1024 * 1024);
  });
});

describe('Topology', () => {
  it('keeps its graph out of sight: no enumerable or named property, read by drivers through topologyBuilder()', () => {
    const builder = new streams.StreamsBuilder();
    builder.stream('in').to('out');
    const topology = builder.build();
    expect(Object.keys(topology)).toEqual([]);
    expect('internal' in topology).toBe(false);
    expect(JSON.stringify(topology)).toBe('{}');
    const graph = engine.topologyBuilder(topology);
    expect(graph).toBeInstanceOf(InternalTopologyBuilder);
    expect(graph!.sourceTopics()).toEqual(['in']);
  });

  it('is found by a copy of the package that shares no class with it, and anything else is not a topology', () => {
    const foreign = {};
    Object.defineProperty(foreign, Symbol.for('@tributary/streams/topology-builder'), { value: new InternalTopologyBuilder() });
    expect(engine.topologyBuilder(foreign as streams.Topology)).toBeDefined();
    expect(engine.topologyBuilder({} as streams.Topology)).toBeUndefined();
    expect(engine.topologyBuilder(null as unknown as streams.Topology)).toBeUndefined();
  });
});
