/**
 * What the state benchmarks (`state-memory.ts`, `sketch-state.ts`) share: their arguments, the
 * memory and disk figures they print, and the changelog file a load writes and a restore streams
 * back, as a restore streams it from Kafka.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { silentLogger } from '@tributary/streams';
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

/** Appends changelog records to a file, length-prefixed: `topic index | key length | value length (-1: null) | key | value`. */
export class ChangelogFile {
  private readonly descriptor: number;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  records = 0;

  constructor(readonly path: string) {
    this.descriptor = openSync(path, 'w');
  }

  append(topicIndex: number, key: Buffer, value: Buffer | null): void {
    const length = 9 + key.length + (value?.length ?? 0);
    if (this.used + length > this.buffer.length) this.drain();
    this.buffer.writeUInt8(topicIndex, this.used);
    this.buffer.writeInt32BE(key.length, this.used + 1);
    this.buffer.writeInt32BE(value === null ? -1 : value.length, this.used + 5);
    key.copy(this.buffer, this.used + 9);
    value?.copy(this.buffer, this.used + 9 + key.length);
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
    while (pending.length - offset >= 9) {
      const keyLength = pending.readInt32BE(offset + 1);
      const valueLength = pending.readInt32BE(offset + 5);
      const end = offset + 9 + keyLength + Math.max(valueLength, 0);
      if (end > pending.length) break;
      if (pending[offset] === topicIndex) {
        const key = Buffer.from(pending.subarray(offset + 9, offset + 9 + keyLength));
        const value = valueLength < 0 ? null : Buffer.from(pending.subarray(offset + 9 + keyLength, end));
        yield { key, value };
      }
      offset = end;
    }
    pending = pending.subarray(offset);
  }
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
