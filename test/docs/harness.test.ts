/**
 * The docs test's harness catches a guide that drifted: a block that no longer compiles, a `// →`
 * claim or an output block the code does not bear out, a failing test in a block, and every
 * misused annotation; and it runs what is right (fixtures/drift.md).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateFiles, runProgram, typeCheck } from './doc-programs.js';
import { DocTestAnnotationError, programsOf, readPage, runnableBlocks, type Program } from './markdown-blocks.js';
import { repositoryRoot as root } from './markdown-files.js';

const workDirectory = join(root, '.scratch/doc-tests/harness');
const page = readPage('test/docs/fixtures/drift.md', readFileSync(join(root, 'test/docs/fixtures/drift.md'), 'utf8'));
const [good, broken, wrongValue, wrongOutput, failingTest, twoFiles] = programsOf(page) as [Program, Program, Program, Program, Program, Program];
let errors = new Map<string, string[]>();

beforeAll(() => {
  rmSync(workDirectory, { recursive: true, force: true });
  errors = typeCheck(programsOf(page), workDirectory);
}, 60_000);

describe('the programs of a page', () => {
  it('start at each block, or go on where a block continues the one before; typecheck-only stops the run there', () => {
    expect(programsOf(page).map((program) => program.blocks.map((block) => block.line - 1))).toEqual([[6], [26], [35], [48], [67], [81, 99]]);
    expect(runnableBlocks(twoFiles).map((block) => block.line - 1)).toEqual([81]);
    expect(twoFiles.blocks[1]!.typecheckOnly).toBe('needs a broker');
  });

  it('split a block at `// name.ts` lines into files, keeping every line at its line of the page', () => {
    const files = generateFiles(twoFiles, 'check');
    expect(files.map((file) => file.name)).toEqual(['shout.ts', 'main.ts']);
    const lines = files[0]!.text.split('\n');
    expect(lines[81]).toBe('// shout.ts');
    expect(lines.length).toBe(page.lineCount);
  });
});

describe('type-checking', () => {
  it('passes the blocks that compile, across files and into the typecheck-only block', () => {
    expect(errors.get(good.name)).toEqual([]);
    expect(errors.get(twoFiles.name)).toEqual([]);
  });

  it('names the page line of an import or a call the API no longer has', () => {
    expect(errors.get(broken.name)).toEqual([
      // The imports are merged into line 1 of the generated file; the message names the line the import came from.
      expect.stringMatching(/^test\/docs\/fixtures\/drift\.md:28: TS2724: '"@tributary\/streams"' has no exported member named 'KStreamBuilder'\. Did you mean 'StreamsBuilder'\?/),
      expect.stringMatching(/^test\/docs\/fixtures\/drift\.md:30: TS2339: Property 'filterValues' does not exist on type 'KStream<unknown, unknown>'/),
      expect.stringMatching(/^test\/docs\/fixtures\/drift\.md:30: TS7006: Parameter 'word' implicitly has an 'any' type/),
    ]);
  });
});

describe('running', () => {
  it('runs a right program, its `// →` claims, hidden prelude and check, and the files it imports', async () => {
    await runProgram(good, workDirectory);
    await runProgram(twoFiles, workDirectory);
  });

  it('fails on a `// →` claim the code does not bear out, naming the line and both values', async () => {
    await expect(runProgram(wrongValue, workDirectory)).rejects.toThrow(
      /^test\/docs\/fixtures\/drift\.md:43: the guide says → \[1, 2, 3\]\nbut the code gives \[ 2, 3 \]/,
    );
  });

  it('fails on an output block the code does not print', async () => {
    await expect(runProgram(wrongOutput, workDirectory)).rejects.toThrow(
      /^test\/docs\/fixtures\/drift\.md:55: the output block below differs from what String\(builder\.build\(\)\.describe\(\)\) gives\.[\s\S]*--> KSTREAM-SINK-0000000001/,
    );
  });

  it('fails on a failing test in a block, and on a console.log that prints other text than it says', async () => {
    await expect(runProgram(failingTest, workDirectory)).rejects.toThrow(/drift\.md:73: the guide says console\.log prints → \{ a: 2 \}\nbut it prints \{ a: 1 \}/);
    const testOnly = programsOf(readPage('test-only.md', ['# x', '', '```ts', "import { expect, it } from 'vitest';", "it('adds', () => expect(1 + 1).toBe(3));", '```', ''].join('\n')))[0]!;
    await expect(runProgram(testOnly, join(workDirectory, 'test-only'))).rejects.toThrow(/^test-only\.md:5: expected 2 to be 3/);
  });
});

describe('annotations', () => {
  const pageOf = (...lines: string[]): (() => unknown) => () => {
    const read = readPage('page.md', ['# x', '', ...lines, ''].join('\n'));
    return programsOf(read).map((program) => generateFiles(program, 'check'));
  };
  const block = ['```ts', 'const x = 1;', '```'];

  it.each([
    ['an unknown annotation', pageOf('<!-- doc-test: skip -->', ...block), /page\.md:3: unknown doc-test annotation 'skip'/],
    ['typecheck-only without a reason', pageOf('<!-- doc-test: typecheck-only -->', ...block), /page\.md:3: `typecheck-only` must say why/],
    ['continues with no block before', pageOf('<!-- doc-test: continues -->', ...block), /page\.md:4: `continues`, but no code block comes before it/],
    ['an annotation followed by prose', pageOf('<!-- doc-test: continues -->', 'Some prose.', ...block), /page\.md:3: a doc-test annotation must be followed by its code block/],
    ['an annotation before a sh block', pageOf(...block, '<!-- doc-test: continues -->', '```sh', 'ls', '```'), /page\.md:6: the doc-test annotation is followed by a ```sh block/],
    ['a prelude without code', pageOf('<!-- doc-test: prelude', '-->', ...block), /page\.md:3: `prelude` takes code/],
    ['a check after prose', pageOf(...block, 'Prose.', '<!-- doc-test: check', 'x;', '-->'), /page\.md:7: `check` must follow a ```ts block/],
    ['an unclosed annotation', pageOf('<!-- doc-test: prelude', 'const y = 2;'), /page\.md:3: the doc-test annotation is never closed/],
    ['a `// →` in a typecheck-only block', pageOf('<!-- doc-test: typecheck-only (needs a broker) -->', '```ts', 'const x = 1; // → 1', '```'), /page\.md:5: a `\/\/ →` in a block that does not run/],
    ['an `output of` after a typecheck-only block', pageOf('<!-- doc-test: typecheck-only (needs a broker) -->', ...block, '<!-- doc-test: output of x -->', '```text', '1', '```'), /page\.md:7: `output of` an expression of a block that does not run/],
    ['a `// →` after no statement', pageOf('```ts', 'const x = [', '  1, // → 1', '];', '```'), /page\.md:5: `\/\/ →` must end the line of the statement/],
    ['a `// →` that is not an expression', pageOf('```ts', 'const x = 1; // → one, as a number', '```'), /page\.md:4: `\/\/ → one, as a number` is not a JavaScript expression/],
  ])('refuses %s', (_what, read, message) => {
    expect(read).toThrow(DocTestAnnotationError);
    expect(read).toThrow(message);
  });
});
