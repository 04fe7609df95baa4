/** The repository's Markdown files, for the tests that hold the guides to the code (links.test.ts, guides.test.ts). */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** Build output, dependencies and scratch space: not the repository's own Markdown. */
const skippedDirectories = new Set(['node_modules', 'dist', '.git', '.scratch', 'target', 'api', 'coverage']);

/** Every `.md` file under `directory`, sorted, outside the skipped directories and the `except` ones (absolute paths). */
export function markdownFiles(directory: string, except: ReadonlySet<string> = new Set()): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirectories.has(entry.name) && !except.has(path)) files.push(...markdownFiles(path, except));
    } else if (entry.name.endsWith('.md')) files.push(path);
  }
  return files.sort();
}
