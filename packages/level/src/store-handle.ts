/**
 * What a driver holds for each opened LevelDB store. The contract is the engine's
 * (`StoreHandle` in `@tributary/streams/engine`, which every driver codes against); these are
 * its names in this package, kept for code written against them.
 */
import type { RestoreOptions as EngineRestoreOptions, StoreHandle } from '@tributary/streams/engine';

/** Options of {@link PersistentStoreHandle.restore}: the engine's `RestoreOptions`. */
export type RestoreOptions = EngineRestoreOptions;

/**
 * One opened LevelDB store of one task, as `supplier.prepare(context)` returns it: the engine's
 * `StoreHandle`, which a driver (the test driver, the embedded runner, `KafkaStreams`) uses to
 * restore the store, wait for its writes after a commit and checkpoint it. Applications never
 * need it.
 */
export type PersistentStoreHandle = StoreHandle;
