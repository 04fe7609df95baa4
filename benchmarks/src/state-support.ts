/**
 * What the state benchmarks (`state-memory.ts`, `sketch-state.ts`) share: their arguments, the
 * memory and disk figures they print, and the changelog file a load writes and a restore streams
 * back, as a restore streams it from Kafka.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { silentLogger, timestampedStoreValue } from '@tributary/streams';
import type { ChangelogRecord, StateStoreContext } from '@tributary/streams';

/** The positive integer after `name` on the command line, or `fallback`. */
export function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

/** Bytes as whole megabytes. */
export function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** The size of a directory (or file) on disk, in whole megabytes (`du -sk`). */
export function directoryMegabytes(path: string): string {
  return (Number(execFileSync('du', ['-sk', path]).toString().split('\t')[0]) / 1024).toFixed(0);
}

/** The bytes before a {@link ChangelogFile} record's key: topic index, timestamp, key length, value length. */
const headerBytes = 17;

/**
 * Appends changelog records to a file, length-prefixed: `topic index | timestamp (int64) | key
 * length | value length (-1: null) | key | value`. The timestamp is kept because a timestamped
 * store's changelog value is bare: its record timestamp is the value's (Kafka's format).
 */
export class ChangelogFile {
  private readonly descriptor: number;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  records = 0;

  constructor(readonly path: string) {
    this.descriptor = openSync(path, 'w');
  }

  append(topicIndex: number, key: Buffer, value: Buffer | null, timestamp: number): void {
    const length = headerBytes + key.length + (value?.length ?? 0);
    if (this.used + length > this.buffer.length) this.drain();
    this.buffer.writeUInt8(topicIndex, this.used);
    this.buffer.writeBigInt64BE(BigInt(timestamp), this.used + 1);
    this.buffer.writeInt32BE(key.length, this.used + 9);
    this.buffer.writeInt32BE(value === null ? -1 : value.length, this.used + 13);
    key.copy(this.buffer, this.used + headerBytes);
    value?.copy(this.buffer, this.used + headerBytes + key.length);
    this.used += length;
    this.records++;
  }

  close(): void {
    this.drain();
    closeSync(this.descriptor);
  }

  private drain(): void {
    writeSync(this.descriptor, this.buffer, 0, this.used);
    this.used = 0;
  }
}

/** Streams one store's records back from a {@link ChangelogFile}, a chunk of the file at a time. */
export async function* readChangelog(path: string, topicIndex: number): AsyncGenerator<ChangelogRecord> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let offset = 0;
    while (pending.length - offset >= headerBytes) {
      const keyLength = pending.readInt32BE(offset + 9);
      const valueLength = pending.readInt32BE(offset + 13);
      const end = offset + headerBytes + keyLength + Math.max(valueLength, 0);
      if (end > pending.length) break;
      if (pending[offset] === topicIndex) {
        const timestamp = Number(pending.readBigInt64BE(offset + 1));
        const key = Buffer.from(pending.subarray(offset + headerBytes, offset + headerBytes + keyLength));
        const value = valueLength < 0 ? null : Buffer.from(pending.subarray(offset + headerBytes + keyLength, end));
        yield { key, value, timestamp };
      }
      offset = end;
    }
    pending = pending.subarray(offset);
  }
}

/**
 * The records a timestamped store's handle restores from its changelog records: each bare value
 * back with its record timestamp in front (`timestamp + value`, the store's bytes), as the Kafka
 * runtime converts them (`timestampedStoreRecords`) before a handle writes them.
 */
export async function* timestampedRecords(records: AsyncIterable<ChangelogRecord>, storeName: string): AsyncGenerator<ChangelogRecord> {
  for await (const record of records) yield { key: record.key, value: timestampedStoreValue(record, storeName, undefined) };
}

/** A store context for restoring and reading stores outside a topology. */
export function contextFor(applicationId: string, stateDir: string): StateStoreContext {
  return {
    applicationId,
    taskId: { subtopology: 0, partition: 0 },
    appConfigs: {},
    stateDir,
    logger: silentLogger,
    currentStreamTimeMs: () => 0,
    changelogTopic: (name) => `${applicationId}-${name}-changelog`,
    logChange: () => {},
    recordDropped: () => {},
  };
}
