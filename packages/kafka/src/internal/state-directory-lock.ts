/**
 * The lock on an application's state directory (`<stateDir>/<applicationId>`), as Kafka Streams'
 * `StateDirectory` takes one: a second instance of the application on the same directory fails
 * to start instead of opening the same stores. The lock is a `.lock` file created exclusively and
 * holding the owner's process id. A lock whose process no longer runs (killed with `kill -9`) is
 * stale and taken over; the worker threads of `numStreamThreads` run under their process's lock,
 * which the main thread holds.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IllegalStateError, StateDirectoryLockedError } from '../errors.js';

/** The lock file's name inside the application's state directory. */
export const LOCK_FILE_NAME = '.lock';
/** Owner-only, as Kafka Streams sets its state directory. */
const DIRECTORY_MODE = 0o700;

/** What a lock file holds: the owner's pid on the first line, then the holder's token. */
function lockText(token: string): string {
  return `${process.pid}\n${token}\n`;
}

function parsePid(text: string): number | undefined {
  const pid = Number(text.split('\n', 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this id runs (one we may not signal runs too). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates `stateDir` and the application's directory in it, owner-only (0700). The application's
 * directory is set to 0700 even when it existed; `stateDir` only when this call created it, since
 * it may be a directory the user shares with other things.
 */
export async function createStateDirectory(stateDir: string, applicationId: string): Promise<string> {
  const directory = join(stateDir, applicationId);
  try {
    const created = await mkdir(stateDir, { recursive: true, mode: DIRECTORY_MODE });
    if (created !== undefined) await chmod(stateDir, DIRECTORY_MODE);
    await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
    await chmod(directory, DIRECTORY_MODE);
  } catch (error) {
    throw new IllegalStateError(`Could not create the state directory '${directory}' (option 'stateDir'): ${errorText(error)}. Give a 'stateDir' this process can write to.`, { cause: error });
  }
  return directory;
}

/** A held lock on an application's state directory. */
export class StateDirectoryLock {
  private released = false;

  private constructor(
    readonly directory: string,
    private readonly path: string,
    private readonly token: string,
  ) {}

  /**
   * Takes the lock on `directory`, or throws a {@link StateDirectoryLockedError} naming the
   * directory, the process that holds it and the fix. A lock left by a process that no longer
   * runs is taken over.
   */
  static async acquire(directory: string, applicationId: string): Promise<StateDirectoryLock> {
    const path = join(directory, LOCK_FILE_NAME);
    const token = randomUUID();
    // Two rounds: the second after removing a stale lock. A third means another process is taking it over too.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(path, lockText(token), { flag: 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new IllegalStateError(`Could not create the lock file '${path}' of the state directory: ${errorText(error)}. Give a 'stateDir' this process can write to.`, { cause: error });
        }
        let holder = parsePid(await readFile(path, 'utf8').catch(() => ''));
        if (holder === undefined) {
          // Created a moment ago by a holder that has not written its pid yet?
          await new Promise((resolve) => setTimeout(resolve, 100));
          holder = parsePid(await readFile(path, 'utf8').catch(() => ''));
        }
        if (holder !== undefined && processRuns(holder)) throw lockedError(directory, applicationId, path, holder);
        // The holder died without releasing it (kill -9, a crash): the lock is stale.
        await rm(path, { force: true });
        continue;
      }
      // Another process that found the same stale lock may have removed this one and written its own.
      const written = await readFile(path, 'utf8').catch(() => '');
      if (written === lockText(token)) return new StateDirectoryLock(directory, path, token);
      throw lockedError(directory, applicationId, path, parsePid(written));
    }
    const text = await readFile(path, 'utf8').catch(() => '');
    throw lockedError(directory, applicationId, path, parsePid(text));
  }

  /** Removes the lock file, if it is still this holder's. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const text = await readFile(this.path, 'utf8').catch(() => '');
    if (text === lockText(this.token)) await rm(this.path, { force: true });
  }
}

function lockedError(directory: string, applicationId: string, path: string, holder: number | undefined): StateDirectoryLockedError {
  const who = holder === undefined ? 'another application instance' : holder === process.pid ? `another KafkaStreams in this process (pid ${holder})` : `process ${holder}`;
  return new StateDirectoryLockedError(
    `The state directory '${directory}' of application '${applicationId}' is locked by ${who}: two instances of an application cannot share a state directory. ` +
      `Give each instance its own 'stateDir' (or close the other one first); to run more threads in one process, use 'numStreamThreads'. If no such process runs, delete '${path}'.`,
    directory,
    holder,
  );
}
