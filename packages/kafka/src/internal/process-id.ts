/**
 * The instance's process id, kept in its state directory across restarts, as Kafka Streams'
 * `StateDirectory.initializeProcessId` keeps it: the file `kafka-streams-process-metadata` in
 * `<stateDir>/<applicationId>` holds `{"processId":"<uuid>"}`. Under `exactly_once_v2` a stream
 * thread's transactional id is `<applicationId>-<processId>-<threadIndex>`, so an instance
 * restarted on its state directory (after a kill -9, say) initializes the same ids, which fences
 * the dead instance's producers and aborts their open transactions at once; with a new id those
 * transactions would hold back read_committed consumers until the brokers time them out.
 *
 * Only an instance holding the state directory lock reads or writes the file (so two live
 * instances never share an id), and only when its topology has persistent stores: without them
 * there is no lock, and Kafka Streams draws a new id per start.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@tributary/streams';
import { IllegalStateError } from '../errors.js';

/** The process file's name inside the application's state directory (Kafka Streams' name). */
export const PROCESS_FILE_NAME = 'kafka-streams-process-metadata';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The id a process file's text holds, or why it holds none (extra fields are ignored, as Kafka's reader ignores them). */
function parseProcessFile(text: string): { readonly processId: string } | { readonly problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `it is not JSON (${errorText(error)})` };
  }
  const processId = typeof parsed === 'object' && parsed !== null ? (parsed as { processId?: unknown }).processId : undefined;
  if (processId === undefined || processId === null) return { problem: 'it holds no processId' };
  if (typeof processId !== 'string' || !UUID_PATTERN.test(processId)) return { problem: `its processId ${JSON.stringify(processId)} is not a UUID` };
  return { processId: processId.toLowerCase() };
}

/**
 * The process id kept in `directory` (the application's state directory, whose lock the caller
 * holds), or a new one written there when the file is missing. A file that cannot be read or
 * holds no valid id is replaced by a new id, with a warning, as Kafka Streams does; a file that
 * cannot be written is an {@link IllegalStateError} naming it and the fix.
 */
export async function initializeProcessId(directory: string, logger: Logger): Promise<string> {
  const path = join(directory, PROCESS_FILE_NAME);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn(`Could not read the process file '${path}': ${errorText(error)}; this instance takes a new process id.`);
  }
  if (text !== undefined) {
    const read = parseProcessFile(text);
    if ('processId' in read) {
      logger.info(`Process id ${read.processId}, from '${path}'`);
      return read.processId;
    }
    logger.warn(`The process file '${path}' holds no process id: ${read.problem}. This instance takes a new one and writes it there.`);
  }
  const processId = randomUUID();
  // Written beside and renamed over, so a kill -9 mid-write leaves the old file or the new one, never half of one.
  const temporary = `${path}.${processId}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify({ processId })}\n`, { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw new IllegalStateError(
      `Could not write the process file '${path}', which keeps this instance's process id across restarts: ${errorText(error)}. Give a 'stateDir' this process can write to (or make '${path}' writable).`,
      { cause: error },
    );
  }
  logger.info(`No process id in '${path}': took the new process id ${processId}`);
  return processId;
}
