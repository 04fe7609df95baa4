/**
 * Reads a Markdown page's TypeScript code blocks and the `<!-- doc-test: ... -->` annotations
 * around them (DEVELOPERS.md, "Docs that run"), and groups the blocks into programs: a block
 * starts a program unless it says it continues the previous one. Nothing here compiles or runs
 * code; `doc-programs.ts` does.
 */

/** Lines of hidden code from an annotation, at their own lines of the page. */
export interface Snippet {
  /** 1-based line of the page holding `lines[0]`. */
  readonly line: number;
  readonly lines: readonly string[];
}

/** A fenced ```ts or ```typescript block with what its annotations say about it. */
export interface CodeBlock extends Snippet {
  /** It continues the previous block's program instead of starting its own. */
  readonly continues: boolean;
  /** Why this block (and what continues it) is type-checked but not run; undefined when it runs. */
  readonly typecheckOnly: string | undefined;
  /** Hidden code placed before the block (`prelude`). */
  readonly prelude: Snippet | undefined;
  /** Hidden code placed after the block (`check`), usually assertions of what the text says. */
  readonly check: Snippet | undefined;
  /** Output blocks after this one whose text an expression must print (`output of EXPR`). */
  readonly outputs: readonly OutputBlock[];
}

/** A non-TypeScript fenced block (```text) that must equal what an expression of the program gives. */
export interface OutputBlock {
  /** The line of the annotation, where the check goes in the program. */
  readonly line: number;
  readonly expression: string;
  readonly text: string;
}

/** One Markdown page's blocks. */
export interface Page {
  /** The page's path, relative to the repository (used in every message). */
  readonly path: string;
  readonly lineCount: number;
  /** Hidden code placed before every program of the page (`page prelude`). */
  readonly pagePrelude: Snippet | undefined;
  readonly blocks: readonly CodeBlock[];
}

/** A program: blocks that share one module scope (a block and the blocks that continue it). */
export interface Program {
  readonly page: Page;
  readonly blocks: readonly CodeBlock[];
  /** The name tests and messages use: the page and the lines its blocks start at. */
  readonly name: string;
}

/** A malformed annotation, or a block an annotation cannot apply to. */
export class DocTestAnnotationError extends Error {
  constructor(path: string, line: number, problem: string) {
    super(`${path}:${line}: ${problem} (DEVELOPERS.md, "Docs that run", lists the annotations).`);
    this.name = 'DocTestAnnotationError';
  }
}

const typeScriptLanguages = new Set(['ts', 'typescript']);
const fencePattern = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const annotationPattern = /^ {0,3}<!--\s*doc-test:\s*(.*)$/;

interface Annotation {
  readonly line: number;
  readonly head: string;
  readonly body: Snippet | undefined;
}

interface PendingBlock {
  continues: boolean;
  typecheckOnly: string | undefined;
  prelude: Snippet | undefined;
  outputExpression: { line: number; expression: string } | undefined;
}

function emptyPending(): PendingBlock {
  return { continues: false, typecheckOnly: undefined, prelude: undefined, outputExpression: undefined };
}

/** Reads an annotation starting at `start`: its head (the first line's text) and the lines of code after it, up to `-->`. */
function readAnnotation(path: string, lines: readonly string[], start: number, firstLine: string): { annotation: Annotation; next: number } {
  const oneLine = /^(.*?)\s*-->\s*$/.exec(firstLine);
  if (oneLine !== null) return { annotation: { line: start + 1, head: oneLine[1]!.trim(), body: undefined }, next: start + 1 };
  const body: string[] = [];
  for (let index = start + 1; index < lines.length; index++) {
    if (/^\s*-->\s*$/.test(lines[index]!)) {
      return { annotation: { line: start + 1, head: firstLine.trim(), body: { line: start + 2, lines: body } }, next: index + 1 };
    }
    if (lines[index]!.includes('-->')) throw new DocTestAnnotationError(path, index + 1, 'a multi-line doc-test annotation ends with `-->` on a line of its own');
    body.push(lines[index]!);
  }
  throw new DocTestAnnotationError(path, start + 1, 'the doc-test annotation is never closed with `-->`');
}

/** Applies one annotation to the block that follows (or, for `check`, the block before). */
function applyAnnotation(path: string, annotation: Annotation, pending: PendingBlock, blocks: CodeBlock[], sinceLastBlock: number): Snippet | undefined {
  const { head, body, line } = annotation;
  const needsBody = (kind: string): Snippet => {
    if (body === undefined || body.lines.every((text) => text.trim() === '')) {
      throw new DocTestAnnotationError(path, line, `\`${kind}\` takes code: write it on the lines after \`<!-- doc-test: ${kind}\`, then \`-->\` on a line of its own`);
    }
    return body;
  };
  const noBody = (kind: string): void => {
    if (body !== undefined) throw new DocTestAnnotationError(path, line, `\`${kind}\` takes no code: write \`<!-- doc-test: ${kind} -->\` on one line`);
  };
  const typecheckOnly = /^typecheck-only(?:\s*\((.*)\))?$/.exec(head);
  const output = /^output of\s+(.+)$/.exec(head);
  if (head === 'continues') {
    noBody(head);
    pending.continues = true;
  } else if (typecheckOnly !== null) {
    noBody('typecheck-only (why)');
    const reason = typecheckOnly[1]?.trim() ?? '';
    if (reason === '') throw new DocTestAnnotationError(path, line, '`typecheck-only` must say why the block cannot run, as `typecheck-only (needs a broker)`');
    pending.typecheckOnly = reason;
  } else if (head === 'prelude') {
    pending.prelude = needsBody(head);
  } else if (head === 'page prelude') {
    if (blocks.length > 0) throw new DocTestAnnotationError(path, line, '`page prelude` must come before the first code block of the page');
    return needsBody(head);
  } else if (head === 'check') {
    const previous = blocks.at(-1);
    if (previous === undefined || sinceLastBlock > 0) throw new DocTestAnnotationError(path, line, '`check` must follow a ```ts block, with only blank lines between');
    if (previous.check !== undefined) throw new DocTestAnnotationError(path, line, 'a block has one `check`');
    blocks[blocks.length - 1] = { ...previous, check: needsBody(head) };
  } else if (output !== null) {
    noBody('output of EXPR');
    if (blocks.length === 0) throw new DocTestAnnotationError(path, line, '`output of` must come after the ```ts block whose program gives the output');
    pending.outputExpression = { line, expression: output[1]!.trim() };
  } else {
    throw new DocTestAnnotationError(path, line, `unknown doc-test annotation '${head}': use continues, typecheck-only (why), prelude, page prelude, check or output of EXPR`);
  }
  return undefined;
}

/** The TypeScript blocks of a Markdown page, with their annotations. */
export function readPage(path: string, markdown: string): Page {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let pagePrelude: Snippet | undefined;
  let pending = emptyPending();
  let pendingSince: number | undefined;
  /** Prose lines since the last code block (a `check` must follow its block directly). */
  let sinceLastBlock = 0;
  let index = 0;
  while (index < lines.length) {
    const text = lines[index]!;
    const annotation = annotationPattern.exec(text);
    if (annotation !== null) {
      const read = readAnnotation(path, lines, index, annotation[1]!);
      pendingSince ??= read.annotation.line;
      const prelude = applyAnnotation(path, read.annotation, pending, blocks, sinceLastBlock);
      if (prelude !== undefined) pagePrelude = prelude;
      if (read.annotation.head === 'check' || prelude !== undefined) pendingSince = undefined;
      index = read.next;
      continue;
    }
    const fence = fencePattern.exec(text);
    if (fence !== null) {
      const marker = fence[1]!;
      const language = fence[2]!.toLowerCase();
      const end = lines.findIndex((candidate, at) => at > index && candidate.trim().startsWith(marker[0]!.repeat(marker.length)) && candidate.trim().replaceAll(marker[0]!, '') === '');
      if (end === -1) throw new DocTestAnnotationError(path, index + 1, 'a fenced code block is never closed');
      const body = { line: index + 2, lines: lines.slice(index + 1, end) };
      if (typeScriptLanguages.has(language)) {
        if (pending.outputExpression !== undefined) throw new DocTestAnnotationError(path, pending.outputExpression.line, '`output of` must come right before the output block (```text) it checks');
        if (pending.continues && blocks.length === 0) throw new DocTestAnnotationError(path, index + 1, '`continues`, but no code block comes before it');
        blocks.push({ ...body, continues: pending.continues, typecheckOnly: pending.typecheckOnly, prelude: pending.prelude, check: undefined, outputs: [] });
      } else if (pending.outputExpression !== undefined) {
        const owner = blocks.at(-1)!;
        const output: OutputBlock = { ...pending.outputExpression, text: body.lines.join('\n') };
        blocks[blocks.length - 1] = { ...owner, outputs: [...owner.outputs, output] };
        if (pending.continues || pending.typecheckOnly !== undefined || pending.prelude !== undefined) {
          throw new DocTestAnnotationError(path, index + 1, 'only `output of` applies to an output block');
        }
      } else if (pendingSince !== undefined) {
        throw new DocTestAnnotationError(path, pendingSince, `the doc-test annotation is followed by a \`\`\`${language} block, not a \`\`\`ts block`);
      }
      pending = emptyPending();
      pendingSince = undefined;
      sinceLastBlock = 0;
      index = end + 1;
      continue;
    }
    if (text.trim() !== '') {
      if (pendingSince !== undefined) throw new DocTestAnnotationError(path, pendingSince, 'a doc-test annotation must be followed by its code block, with only blank lines between');
      sinceLastBlock++;
    }
    index++;
  }
  if (pendingSince !== undefined) throw new DocTestAnnotationError(path, pendingSince, 'the doc-test annotation is not followed by a code block');
  return { path, lineCount: lines.length, pagePrelude, blocks };
}

/** The page's programs: each block starts one, unless it continues the one before. */
export function programsOf(page: Page): Program[] {
  const groups: CodeBlock[][] = [];
  for (const block of page.blocks) {
    if (block.continues) groups.at(-1)!.push(block);
    else groups.push([block]);
  }
  return groups.map((blocks) => ({ page, blocks, name: `${page.path}, ${blocks.length === 1 ? 'line' : 'lines'} ${blocks.map((block) => block.line - 1).join(', ')}` }));
}

/** The blocks of a program that run: those before its first `typecheck-only` block. */
export function runnableBlocks(program: Program): readonly CodeBlock[] {
  const first = program.blocks.findIndex((block) => block.typecheckOnly !== undefined);
  return first === -1 ? program.blocks : program.blocks.slice(0, first);
}
