/**
 * The bound on a LevelDB store's in-memory index (`indexMaxEntries`): an index is authoritative
 * while it holds every entry of its store, and is dropped for good (until the store is reopened)
 * the moment it would hold more, so a store's heap does not grow with its number of keys.
 */
import { StoreIndexFullError } from '../errors.js';

/** The error of an iteration that needed the dropped index of the store at `path`. */
export function indexFullError(path: string, limit: number, iteration: string): StoreIndexFullError {
  return new StoreIndexFullError(
    `${iteration} on the LevelDB store at ${path} needs its in-memory index, which the store dropped when it grew past ${limit} entries ('indexMaxEntries') to keep its memory bounded. Point reads and per-key window and session fetches still work. If this store must serve ${iteration}, raise its 'indexMaxEntries' (LevelStores options; about 100 bytes of heap per entry) above its number of entries and reopen it.`,
    path,
  );
}
