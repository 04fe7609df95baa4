/**
 * One store's LevelDB, opened asynchronously before its task starts and then used synchronously:
 * reads are the write buffer, then batches in flight, then `getSync`; writes are buffered and
 * applied in one `batch()` per flush, on a promise chain the driver awaits at commit. Every batch
 * also writes the store's flush sequence, and a checkpoint records the sequence it reflects, so a
 * reopened store can tell whether its data is exactly its checkpoint's (kept) or newer (wiped).
 *
 * A driver that commits offsets or transactions (the Kafka runtime) holds each flush in memory
 * until its commit (`holdFlushesUntilCommit`): then the files never hold a write that was not
 * committed, its checkpoints say so (`laterFlushesCommitted`), and a reopened store with newer
 * data than such a checkpoint is kept, its changelog replayed from the checkpoint over it (every
 * key written since has its latest value in the changelog after that offset), as Kafka Streams'
 * transactional stores (KIP-892) are. Only the checkpoint syncs the disk: what it vouches for
 * must survive a power loss; a newer flush lost with the page cache is replayed like any other.
 *
 * Key space: `0x00` + name holds metadata, `0x01` + the backend's own encoding holds data, and
 * `0x02` + the backend's own encoding holds what a backend derives from its data (the per-key
 * directories of window and session stores).
 */
import { mkdirSync, accessSync, constants, existsSync, statSync } from 'node:fs';
import { open, rename, rm, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StateDirectoryError, StoreCorruptError, StoreLockedError, StoreWriteError } from '../errors.js';
import type { ResolvedLevelStoreOptions } from '../options.js';
import { WriteLayer } from './write-layer.js';

/** The first byte of every data key. */
export const dataPrefix = 0x01;
/** The first byte of every directory key (derived from data, deleted with it). */
export const directoryPrefix = 0x02;
const dataStart = Buffer.from([dataPrefix]);
const dataEnd = Buffer.from([dataPrefix + 1]);
const checkpointFile = '.checkpoint';

/** What `.checkpoint` holds. */
interface CheckpointContents {
  readonly offset: number;
  readonly flushSequence: number;
  /**
   * Whether every batch after `flushSequence` holds committed writes only (the store held its
   * flushes until their commit): newer data is then kept at open, and replayed over. Absent in
   * checkpoints of stores that write at flush, whose newer data may be uncommitted (wiped).
   */
  readonly laterFlushesCommitted?: true;
}

/** A flush held until the driver's commit (or several, merged: see `flush`). */
interface HeldFlush {
  readonly layer: WriteLayer;
  readonly clears: ReadonlyArray<{ readonly gte: Buffer; readonly lt: Buffer }>;
  sequence: number;
  sync: boolean;
}

/** Metadata keys by name: a store sets some of them with every batch, so each is built once. */
const metaKeys = new Map<string, Buffer>();

function metaKey(name: string): Buffer {
  let key = metaKeys.get(name);
  if (key === undefined) {
    key = Buffer.concat([Buffer.from([0]), Buffer.from(name, 'latin1')]);
    metaKeys.set(name, key);
  }
  return key;
}
const flushSequenceKey = metaKey('flush-sequence');
const formatKey = metaKey('format');

function encodeNumber(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleBE(value, 0);
  return bytes;
}

/** Why LevelDB refused to open, from classic-level's error or its cause. */
function errorCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown } | undefined)?.code;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (cause === 'LEVEL_LOCKED' || cause === 'LEVEL_CORRUPTION' || cause === 'LEVEL_IO_ERROR') return cause;
  return typeof direct === 'string' ? direct : undefined;
}

/** Creates `path` (and its parents) for the owner only, after checking the state directory. */
export function ensureStoreDirectory(stateDir: string | undefined, path: string, store: string): void {
  if (stateDir === undefined || stateDir === '') {
    throw new StateDirectoryError(
      'LEVEL_STATE_DIR_MISSING',
      `LevelDB store '${store}' needs a state directory, and its task has none: set 'stateDir' in the streams config (or the driver's options).`,
      undefined,
    );
  }
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) {
    throw new StateDirectoryError('LEVEL_STATE_DIR_MISSING', `The state directory ${stateDir} of LevelDB store '${store}' does not exist: create it, or point 'stateDir' at one that does.`, stateDir);
  }
  try {
    accessSync(stateDir, constants.W_OK);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new StateDirectoryError(
      'LEVEL_STATE_DIR_NOT_WRITABLE',
      `The state directory ${stateDir} (store directory ${path}) is not writable by this process: give its user write permission, or point 'stateDir' elsewhere.`,
      stateDir,
      { cause: error },
    );
  }
}

export class LevelDatabase {
  /** Writes since the last flush, by key. */
  private writes = new WriteLayer();
  /** Flushed writes whose batch has not completed yet (held ones included), oldest first. */
  private readonly inFlight: WriteLayer[] = [];
  /** Flushes held until the next `commit` (see `holdFlushesUntilCommit`), oldest first. */
  private held: HeldFlush[] = [];
  private holdsFlushes = false;
  /** The sequence of the last batch written, and of the last one written with `sync` (or synced after). */
  private writtenSequence: number;
  private syncedSequence: number;
  /**
   * The checkpoint on disk when it trusts later flushes to be committed: the first flush written
   * at once (not held) rewrites it without that trust, before its batch lands.
   */
  private trustingCheckpoint: CheckpointContents | undefined;
  /** Range deletes to run after the next batch. */
  private clears: Array<{ readonly gte: Buffer; readonly lt: Buffer }> = [];
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closing: Promise<void> | undefined;
  /** The number of batches ever applied (and made to reach the disk) since the store was last wiped. */
  flushSequence: number;
  /** The checkpoint's offset, if the store reflects one. */
  checkpoint: number | undefined;

  private constructor(
    readonly path: string,
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly sync: boolean,
    flushSequence: number,
    checkpoint: CheckpointContents | undefined,
    /** Whether open found data newer than (or without) a checkpoint and wiped it. */
    readonly wiped: boolean,
  ) {
    this.flushSequence = flushSequence;
    this.writtenSequence = flushSequence;
    this.syncedSequence = flushSequence;
    this.checkpoint = checkpoint?.offset;
    this.trustingCheckpoint = checkpoint?.laterFlushesCommitted === true ? checkpoint : undefined;
  }

  /**
   * Opens (creating) the database at `path`. Data with no checkpoint, or a checkpoint of an older
   * flush, is wiped: it may hold writes the changelog never committed (exactly-once), so the
   * store is rebuilt from the changelog instead; unless the checkpoint says every later flush was
   * committed (`laterFlushesCommitted`), when it is kept and the checkpoint's offset still holds,
   * or unless `dataOnlyOnDisk` (no changelog to rebuild it from: the embedded runner), when it is
   * kept as of its last flush, each flush being one atomic batch, and the checkpoint's offset (if
   * any) is the one reported.
   */
  static async open(path: string, store: string, format: string, options: ResolvedLevelStoreOptions, dataOnlyOnDisk = false): Promise<LevelDatabase> {
    const db = new ClassicLevel<Buffer, Buffer>(path, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
      cacheSize: options.cacheSize,
      writeBufferSize: options.writeBufferSize,
    });
    try {
      await db.open({ createIfMissing: true });
    } catch (error) {
      throw openError(error, path, store);
    }
    try {
      const storedFormat = db.getSync(formatKey)?.toString('latin1');
      // An older layout of the same kind of store is rebuilt from the changelog, like unflushed data.
      const outdated = storedFormat !== undefined && storedFormat !== format && isOlderFormat(storedFormat, format);
      if (storedFormat !== undefined && storedFormat !== format && !outdated) {
        throw new StoreCorruptError(
          `The directory ${path} of store '${store}' holds a '${storedFormat}' store, not a '${format}' one: two stores of different kinds share a name, or the directory was copied. Rename the store, or delete the directory to rebuild it from its changelog.`,
          path,
        );
      }
      const stored = db.getSync(flushSequenceKey);
      let flushSequence = stored === undefined ? 0 : stored.readDoubleBE(0);
      const checkpoint = await readCheckpoint(path);
      let hasData = stored !== undefined;
      if (!hasData) for await (const _ of db.keys({ gte: dataStart, lt: dataEnd, limit: 1 })) hasData = true;
      let wiped = false;
      if (outdated || (hasData && !vouchesFor(checkpoint, flushSequence) && !dataOnlyOnDisk)) {
        await db.clear();
        await rm(join(path, checkpointFile), { force: true });
        flushSequence = 0;
        wiped = true;
      }
      await db.put(formatKey, Buffer.from(format, 'latin1'));
      return new LevelDatabase(path, db, options.syncOnCommit, flushSequence, wiped || hasData === false ? undefined : checkpoint, wiped);
    } catch (error) {
      await db.close().catch(() => {});
      if (error instanceof StoreCorruptError) throw error;
      throw openError(error, path, store);
    }
  }

  /**
   * Data keys (with the data prefix) in byte order, from `from` (default: the first) and at most
   * `limit` of them: how a backend loads its index.
   */
  async *dataKeys(from: Buffer = dataStart, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
    const options = limit === Number.POSITIVE_INFINITY ? { gte: from, lt: dataEnd } : { gte: from, lt: dataEnd, limit };
    for await (const key of this.db.keys(options)) yield key;
  }

  /** A stored metadata number, or `undefined`. */
  metaNumber(name: string): number | undefined {
    return this.read(metaKey(name))?.readDoubleBE(0);
  }

  /** Sets a metadata number, written with the next batch. */
  setMetaNumber(name: string, value: number): void {
    this.write(metaKey(name), encodeNumber(value));
  }

  /** The value of data key `key`, buffered writes first. */
  read(key: Buffer): Buffer | undefined {
    if (this.writes.size === 0 && this.inFlight.length === 0) return this.getSync(key);
    const buffered = this.writes.get(key);
    if (buffered !== undefined) return buffered ?? undefined;
    for (let index = this.inFlight.length - 1; index >= 0; index--) {
      const written = this.inFlight[index]!.get(key);
      if (written !== undefined) return written ?? undefined;
    }
    return this.getSync(key);
  }

  private getSync(key: Buffer): Buffer | undefined {
    try {
      return this.db.getSync(key);
    } catch (error) {
      throw this.readError(error);
    }
  }

  /** Buffers a write until the next flush; a later write of the key replaces it. */
  write(key: Buffer, value: Buffer | null): void {
    this.writes.set(key, value);
  }

  /** Deletes `[gte, lt)` after the next batch (expired segments). */
  clearRange(gte: Buffer, lt: Buffer): void {
    this.clears.push({ gte, lt });
  }

  /**
   * From now on, keeps each flush in memory (readable) until the next {@link commit} instead of
   * writing it at once, so the files hold committed writes only, and checkpoints say so. Call
   * before the first flush of the store's task.
   */
  holdFlushesUntilCommit(): void {
    this.holdsFlushes = true;
  }

  /**
   * Writes the buffered writes in one batch, on the chain `commit` awaits (or, holding flushes,
   * keeps them for the next `commit`). Returns at once. `sync` overrides the store's
   * `syncOnCommit` (a restore syncs only its last batch).
   */
  flush(sync = this.sync): void {
    this.throwIfFailed();
    if (this.writes.size === 0 && this.clears.length === 0) return;
    this.flushSequence++;
    const last = this.held.at(-1);
    if (last !== undefined && last.clears.length === 0 && this.clears.length === 0) {
      // A commit that did not come (its offsets refused, say) left a flush held: one layer takes
      // both, so reads do not walk a layer per commit while commits keep failing.
      last.layer.absorb(this.writes);
      this.writes = new WriteLayer();
      last.sequence = this.flushSequence;
      last.sync ||= sync;
      return;
    }
    const held: HeldFlush = { layer: this.writes, clears: this.clears, sequence: this.flushSequence, sync };
    this.writes = new WriteLayer();
    this.clears = [];
    this.inFlight.push(held.layer);
    if (this.holdsFlushes) {
      this.held.push(held);
      return;
    }
    const trusting = this.trustingCheckpoint;
    if (trusting !== undefined) {
      // This batch may hold writes nobody commits: the checkpoint must stop vouching for what follows it.
      this.trustingCheckpoint = undefined;
      this.chain = this.chain.then(async () => {
        if (this.failure !== undefined) return;
        try {
          await this.writeCheckpointFile({ offset: trusting.offset, flushSequence: trusting.flushSequence });
        } catch (error) {
          this.failure = error;
        }
      });
    }
    this.writeBatch(held);
  }

  /** Puts one flush's batch on the chain. */
  private writeBatch({ layer, clears, sequence, sync }: HeldFlush): void {
    const db = this.db;
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        // A chained batch hands each operation to LevelDB's WriteBatch as it goes: faster than
        // an array batch, which copies every operation into a new object first.
        const batch = db.batch();
        layer.forEach((key, value) => {
          if (value === null) batch.del(key);
          else batch.put(key, value);
        });
        batch.put(flushSequenceKey, encodeNumber(sequence));
        await batch.write({ sync });
        this.writtenSequence = sequence;
        if (sync) this.syncedSequence = sequence;
        for (const range of clears) await db.clear(range);
        this.inFlight.shift();
      } catch (error) {
        this.failure = error;
      }
    });
  }

  /**
   * Writes the flushes held so far (when the store holds them) and waits until every flush so far
   * is on disk; throws a {@link StoreWriteError} if one failed.
   */
  async commit(): Promise<void> {
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      for (const flush of held) this.writeBatch(flush);
    }
    await this.chain;
    this.throwIfFailed();
  }

  /**
   * Records that the store reflects its changelog up to `offset`: writes the flushes so far (see
   * {@link commit}), syncs LevelDB's log so they survive a power loss, then writes `.checkpoint`
   * atomically (temporary file, fsync, rename). The checkpoint vouches for the flushes made
   * before this call only: one made while it waits would hold writes past `offset`, so the
   * sequence is taken now, and such a batch on disk counts as newer data at the next open (wiped
   * and restored, unless the store holds its flushes until commit: then it is committed data).
   */
  async writeCheckpoint(offset: number): Promise<void> {
    const contents: CheckpointContents = this.holdsFlushes ? { offset, flushSequence: this.flushSequence, laterFlushesCommitted: true } : { offset, flushSequence: this.flushSequence };
    await this.commit();
    if (this.syncedSequence < contents.flushSequence) {
      // LevelDB's log is sequential: one synced write makes every batch before it durable.
      this.chain = this.chain.then(async () => {
        if (this.failure !== undefined) return;
        try {
          const written = this.writtenSequence;
          await this.db.put(flushSequenceKey, encodeNumber(written), { sync: true });
          this.syncedSequence = Math.max(this.syncedSequence, written);
        } catch (error) {
          this.failure = error;
        }
      });
      await this.commit();
    }
    try {
      await this.writeCheckpointFile(contents);
    } catch (error) {
      throw new StoreWriteError(`Could not write the checkpoint of the store at ${this.path}: check the disk has space and the directory is writable.`, this.path, { cause: error });
    }
    this.checkpoint = offset;
    if (!this.holdsFlushes) this.trustingCheckpoint = undefined;
  }

  private async writeCheckpointFile(contents: CheckpointContents): Promise<void> {
    const temporary = join(this.path, `${checkpointFile}.tmp`);
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(contents));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(this.path, checkpointFile));
  }

  /**
   * Closes the database once every flush so far is written. Buffered writes, and flushes held
   * for a commit that did not come, are dropped.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.writes = new WriteLayer();
      this.clears = [];
      this.held = [];
      this.closing = this.chain.then(() => this.db.close());
    }
    return this.closing;
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  private throwIfFailed(): void {
    if (this.failure === undefined) return;
    throw new StoreWriteError(
      `LevelDB could not write the store at ${this.path} (${String((this.failure as Error).message ?? this.failure)}): check disk space and permissions; the task must restart and restore from its changelog.`,
      this.path,
      { cause: this.failure },
    );
  }

  private readError(error: unknown): Error {
    if (errorCode(error) === 'LEVEL_CORRUPTION') {
      return new StoreCorruptError(`The LevelDB store at ${this.path} is corrupt: stop the application, delete that directory and restart; the store is rebuilt from its changelog.`, this.path, {
        cause: error,
      });
    }
    return error as Error;
  }
}

/** Whether `stored` is an earlier version of `current`'s kind (`kind:version`). */
function isOlderFormat(stored: string, current: string): boolean {
  const [storedKind, storedVersion] = stored.split(':');
  const [currentKind, currentVersion] = current.split(':');
  return storedKind === currentKind && Number(storedVersion) < Number(currentVersion);
}

function openError(error: unknown, path: string, store: string): Error {
  const code = errorCode(error);
  if (code === 'LEVEL_LOCKED') {
    return new StoreLockedError(
      `The LevelDB directory ${path} of store '${store}' is locked by another process (or another instance in this one) that has it open: stop that instance, or give this one its own 'stateDir' (two instances of one application on one machine need different state directories).`,
      path,
      { cause: error },
    );
  }
  if (code === 'LEVEL_CORRUPTION') {
    return new StoreCorruptError(`The LevelDB store at ${path} ('${store}') is corrupt: delete that directory and restart; the store is rebuilt from its changelog.`, path, { cause: error });
  }
  const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
  if (/permission|EACCES|read-only/i.test(String(cause))) {
    return new StateDirectoryError('LEVEL_STATE_DIR_NOT_WRITABLE', `The LevelDB directory ${path} of store '${store}' is not writable (${cause}): fix its permissions, or point 'stateDir' elsewhere.`, path, {
      cause: error,
    });
  }
  return new StoreCorruptError(`LevelDB could not open the store at ${path} ('${store}'): ${cause}. If the files are damaged, delete that directory and restart; the store is rebuilt from its changelog.`, path, {
    cause: error,
  });
}

/**
 * Whether `checkpoint` vouches for data whose last batch is `flushSequence`: its own flush, or
 * (when every later flush was committed) an older one.
 */
function vouchesFor(checkpoint: CheckpointContents | undefined, flushSequence: number): boolean {
  if (checkpoint === undefined) return false;
  if (checkpoint.flushSequence === flushSequence) return true;
  return checkpoint.laterFlushesCommitted === true && checkpoint.flushSequence < flushSequence;
}

async function readCheckpoint(path: string): Promise<CheckpointContents | undefined> {
  let text: string;
  try {
    text = await readFile(join(path, checkpointFile), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CheckpointContents>;
    if (typeof parsed.offset === 'number' && typeof parsed.flushSequence === 'number') {
      return parsed.laterFlushesCommitted === true ? { offset: parsed.offset, flushSequence: parsed.flushSequence, laterFlushesCommitted: true } : { offset: parsed.offset, flushSequence: parsed.flushSequence };
    }
  } catch {
    // A torn or damaged checkpoint counts as none: the store is wiped and restored.
  }
  return undefined;
}
