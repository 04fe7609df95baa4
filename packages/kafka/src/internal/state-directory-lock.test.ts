import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { StateDirectoryLockedError } from '../errors.js';
import { createStateDirectory, LOCK_FILE_NAME, StateDirectoryLock } from './state-directory-lock.js';

async function tempDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-lock-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('createStateDirectory', () => {
  it('creates the state directory and the application directory owner-only (0700)', async () => {
    const parent = await tempDir();
    const stateDir = join(parent, 'state');
    const directory = await createStateDirectory(stateDir, 'orders-app');
    expect(directory).toBe(join(stateDir, 'orders-app'));
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
  });
});

describe('StateDirectoryLock', () => {
  it('lets one holder at a time lock an application directory, naming the directory, the holder and the fix', async () => {
    const directory = await createStateDirectory(await tempDir(), 'orders-app');
    const first = await StateDirectoryLock.acquire(directory, 'orders-app');
    const error = await StateDirectoryLock.acquire(directory, 'orders-app').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateDirectoryLockedError);
    expect((error as StateDirectoryLockedError).code).toBe('STATE_DIRECTORY_LOCKED');
    expect((error as StateDirectoryLockedError).directory).toBe(directory);
    expect((error as StateDirectoryLockedError).holderPid).toBe(process.pid);
    expect((error as Error).message).toContain(`'${directory}'`);
    expect((error as Error).message).toContain("own 'stateDir'");
    expect((error as Error).message).toContain('numStreamThreads');
    await first.release();
    const second = await StateDirectoryLock.acquire(directory, 'orders-app');
    expect((await readFile(join(directory, LOCK_FILE_NAME), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await second.release();
  });

  it('takes over a lock left by a process that no longer runs (kill -9)', async () => {
    const directory = await createStateDirectory(await tempDir(), 'orders-app');
    const pid = deadPid();
    await writeFile(join(directory, LOCK_FILE_NAME), `${pid}\nstale-token\n`);
    const lock = await StateDirectoryLock.acquire(directory, 'orders-app');
    expect((await readFile(join(directory, LOCK_FILE_NAME), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('refuses a lock held by another live process, naming its pid', async () => {
    const directory = await createStateDirectory(await tempDir(), 'orders-app');
    // The parent of this process runs (the test runner).
    await writeFile(join(directory, LOCK_FILE_NAME), `${process.ppid}\nother-token\n`);
    const error = await StateDirectoryLock.acquire(directory, 'orders-app').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateDirectoryLockedError);
    expect((error as Error).message).toContain(`process ${process.ppid}`);
  });

  it('takes over an empty or unreadable lock file (a holder killed before it wrote its pid)', async () => {
    const directory = await createStateDirectory(await tempDir(), 'orders-app');
    await writeFile(join(directory, LOCK_FILE_NAME), '');
    const lock = await StateDirectoryLock.acquire(directory, 'orders-app');
    await lock.release();
  });

  it('release() leaves a lock that another holder took over in place', async () => {
    const directory = await createStateDirectory(await tempDir(), 'orders-app');
    const lock = await StateDirectoryLock.acquire(directory, 'orders-app');
    await writeFile(join(directory, LOCK_FILE_NAME), `${process.ppid}\nother-token\n`);
    await lock.release();
    expect(await readFile(join(directory, LOCK_FILE_NAME), 'utf8')).toBe(`${process.ppid}\nother-token\n`);
  });
});
