import { describe, expect, it } from 'vitest';
import { Serdes } from '../serde/serdes.js';
import { Stores } from './stores.js';
import { isCachingStore, isPreparableSupplier, preparableSupplierOf, type StoreHandle } from './store-suppliers.js';

describe('the driver-store contract guards', () => {
  it('find a supplier that opens asynchronously, and none for in-memory stores', () => {
    const inMemory = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('memory'), Serdes.String(), Serdes.String());
    expect(preparableSupplierOf(inMemory)).toBeUndefined();
    const handle = { path: '/tmp/x' } as StoreHandle;
    const persistent = { ...Stores.inMemoryKeyValueStore('disk'), prepare: () => Promise.resolve(handle) };
    const builder = Stores.keyValueStoreBuilder(persistent, Serdes.String(), Serdes.String());
    expect(preparableSupplierOf(builder)).toBe(persistent);
    expect(isPreparableSupplier({ prepare: 'not a function' })).toBe(false);
    expect(isPreparableSupplier(null)).toBe(false);
  });

  it('tell a store whose cache a driver can bound from one that does not cache', () => {
    const supplier = Stores.inMemoryKeyValueStore('counts');
    expect(isCachingStore(Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String()).withCachingEnabled().build())).toBe(true);
    expect(isCachingStore(Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String()).withCachingDisabled().build())).toBe(false);
  });
});
