import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger, type Logger } from '@tributary/streams';
import { IllegalStateError } from '../errors.js';
import { initializeProcessId, PROCESS_FILE_NAME } from './process-id.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function tempDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-process-id-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** A logger that keeps its warnings. */
function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: { ...silentLogger, warn: (message) => lines.push(message) }, lines };
}

async function processFile(directory: string): Promise<unknown> {
  return JSON.parse(await readFile(join(directory, PROCESS_FILE_NAME), 'utf8'));
}

describe('initializeProcessId', () => {
  it('draws a UUID in a new state directory, keeps it in kafka-streams-process-metadata, and returns it again on every restart', async () => {
    const directory = await tempDir();
    const first = await initializeProcessId(directory, silentLogger);
    expect(first).toMatch(uuid);
    expect(await processFile(directory)).toEqual({ processId: first });
    expect(await initializeProcessId(directory, silentLogger)).toBe(first);
    expect(await initializeProcessId(directory, silentLogger)).toBe(first);
    // Another state directory is another instance.
    expect(await initializeProcessId(await tempDir(), silentLogger)).not.toBe(first);
  });

  it("reads Kafka Streams' own file, ignoring fields it does not know", async () => {
    const directory = await tempDir();
    await writeFile(join(directory, PROCESS_FILE_NAME), '{"processId":"8D9E0F12-3456-4789-ABCD-EF0123456789","future":1}');
    expect(await initializeProcessId(directory, silentLogger)).toBe('8d9e0f12-3456-4789-abcd-ef0123456789');
  });

  it.each([
    ['corrupt JSON (a write cut short)', '{"processId":"8d9e0f12-34', 'not JSON'],
    ['no processId', '{"other":"x"}', 'holds no processId'],
    ['a null processId', '{"processId":null}', 'holds no processId'],
    ['a processId that is not a UUID', '{"processId":"instance-1"}', 'is not a UUID'],
    ['an empty file', '', 'not JSON'],
  ])('replaces a file with %s by a new id, with a warning naming the file, as Kafka Streams does', async (_, text, problem) => {
    const directory = await tempDir();
    await writeFile(join(directory, PROCESS_FILE_NAME), text);
    const { logger, lines } = warnings();
    const processId = await initializeProcessId(directory, logger);
    expect(processId).toMatch(uuid);
    expect(await processFile(directory)).toEqual({ processId });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(join(directory, PROCESS_FILE_NAME));
    expect(lines[0]).toContain(problem);
    expect(await initializeProcessId(directory, logger)).toBe(processId);
    expect(lines).toHaveLength(1);
  });

  it('fails with a clear error, naming the file and the fix, when the id cannot be kept in the state directory', async () => {
    // Not a directory: writing in it fails with ENOTDIR, whoever runs the test (root ignores file modes).
    const notDirectory = join(await tempDir(), 'state-file');
    await writeFile(notDirectory, 'not a directory');
    const error = await initializeProcessId(notDirectory, silentLogger).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IllegalStateError);
    expect((error as IllegalStateError).code).toBe('ILLEGAL_STATE');
    expect((error as Error).message).toContain(`Could not write the process file '${join(notDirectory, PROCESS_FILE_NAME)}'`);
    expect((error as Error).message).toContain('ENOTDIR');
    expect((error as Error).message).toContain("Give a 'stateDir' this process can write to");
  });

  it('warns about a process file it cannot read, and fails clearly when it cannot replace it either; leaves no temporary file', async () => {
    const directory = await tempDir();
    // A directory where the file should be: reading it fails (EISDIR), and so does renaming a file over it.
    await mkdir(join(directory, PROCESS_FILE_NAME, 'inside'), { recursive: true });
    const { logger, lines } = warnings();
    const error = await initializeProcessId(directory, logger).catch((caught: unknown) => caught);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Could not read the process file .*EISDIR.*takes a new process id/);
    expect(error).toBeInstanceOf(IllegalStateError);
    expect((error as Error).message).toContain(`Could not write the process file '${join(directory, PROCESS_FILE_NAME)}'`);
    expect(await readdir(directory)).toEqual([PROCESS_FILE_NAME]);
  });
});
