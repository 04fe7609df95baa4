/**
 * Every ```ts block of the repository's Markdown (the guides in docs/, every README) type-checked
 * against the built packages and, unless annotated `typecheck-only`, run, with every `// →`
 * claim and `output of` block checked: a guide cannot drift from the code. The annotations are
 * in DEVELOPERS.md, "Docs that run". Needs `pnpm run build` first.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runProgram, typeCheck } from './doc-programs.js';
import { markdownFiles, repositoryRoot as root } from './markdown-files.js';
import { programsOf, readPage, runnableBlocks, type Program } from './markdown-blocks.js';

const workDirectory = join(root, '.scratch/doc-tests/guides');
/** The harness's own fixtures hold broken blocks on purpose (harness.test.ts). */
const fixtures = join(root, 'test/docs/fixtures');

const pages = markdownFiles(root, new Set([fixtures]))
  .map((file) => readPage(relative(root, file), readFileSync(file, 'utf8')))
  .filter((page) => page.blocks.length > 0);
const programs = pages.flatMap(programsOf);
let errors = new Map<string, string[]>();

beforeAll(() => {
  rmSync(workDirectory, { recursive: true, force: true });
  errors = typeCheck(programs, workDirectory);
}, 60_000);

it('finds the code blocks of every guide and README', () => {
  const guides = ['getting-started', 'tables-windows-joins', 'state-stores', 'processor-api', 'running-on-kafka', 'operating'].map((name) => `docs/${name}.md`);
  const readmes = ['README.md', 'packages/streams/README.md', 'packages/level/README.md', 'packages/kafka/README.md', 'packages/prometheus/README.md'];
  expect(pages.map((page) => page.path)).toEqual(expect.arrayContaining([...guides, ...readmes]));
});

/** A program's test title: the lines its blocks start at, and how far it runs. */
function titleOf(program: Program): string {
  const lines = `${program.blocks.length === 1 ? 'line' : 'lines'} ${program.blocks.map((block) => block.line - 1).join(', ')}`;
  const runs = runnableBlocks(program).length;
  if (runs === program.blocks.length) return `${lines}: compiles and runs`;
  const stopped = program.blocks[runs]!;
  return `${lines}: compiles${runs > 0 ? `, runs up to line ${stopped.line - 1}` : ''} (typecheck-only: ${stopped.typecheckOnly})`;
}

for (const page of pages) {
  describe(page.path, () => {
    for (const program of programs.filter((candidate) => candidate.page === page)) {
      it(titleOf(program), async () => {
        expect(errors.get(program.name), 'type errors').toEqual([]);
        if (runnableBlocks(program).length > 0) await runProgram(program, workDirectory);
      });
    }
  });
}
