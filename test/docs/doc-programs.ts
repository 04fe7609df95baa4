/**
 * Turns a guide's programs (markdown-blocks.ts) into TypeScript modules, type-checks them all in
 * one compiler program against the built packages (resolved from the repository's node_modules,
 * as a user's project resolves them), and runs the runnable ones through vitest's module loader.
 *
 * Every generated file has the page's line numbers: a block's lines sit at the lines they have in
 * the Markdown (other lines are blank), so a compiler error or a stack frame names the guide's
 * line. A file's imports are merged into its first line, so blocks that each show their imports
 * do not import a name twice.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { DocTestAnnotationError, runnableBlocks, type CodeBlock, type Program, type Snippet } from './markdown-blocks.js';
import { takeRegisteredTests } from './runtime.js';

/** A generated module of a program: `index.ts`, or the file a `// name.ts` line opens. */
export interface GeneratedFile {
  readonly name: string;
  readonly text: string;
  /** The page line of each merged import on line 1, by column range, for error messages. */
  readonly importOrigins: readonly ImportOrigin[];
}

interface ImportOrigin {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

type Mode = 'check' | 'run';

/** A `// name.ts` line (with an optional `: comment`) starts that file of the program. */
const fileMarker = /^\/\/ ([\w.-]+\.ts)(?::.*)?$/;
const arrowComment = /^\/\/\s*→\s*(.*)$/;
const arrowAnywhere = /\/\/\s*→/;
const runtimeModule = join(dirname(fileURLToPath(import.meta.url)), 'runtime.ts');

function placeSnippet(lines: string[], snippet: Snippet): void {
  snippet.lines.forEach((text, offset) => (lines[snippet.line - 1 + offset] = text));
}

/** Splits a program's blocks into files, each as long as the page, with every line at its page line. */
function layOut(program: Program, blocks: readonly CodeBlock[], mode: Mode): Map<string, string[]> {
  const { page } = program;
  const files = new Map<string, string[]>();
  const fileNamed = (name: string): string[] => {
    let lines = files.get(name);
    if (lines === undefined) {
      lines = Array.from({ length: page.lineCount }, () => '');
      if (page.pagePrelude !== undefined) placeSnippet(lines, page.pagePrelude);
      files.set(name, lines);
    }
    return lines;
  };
  let current = 'index.ts';
  for (const block of blocks) {
    // A prelude goes into the file the block starts in, which its first line may name.
    const opening = fileMarker.exec(block.lines.find((text) => text.trim() !== '') ?? '');
    if (opening !== null) current = opening[1]!;
    if (block.prelude !== undefined) placeSnippet(fileNamed(current), block.prelude);
    block.lines.forEach((text, offset) => {
      const marker = fileMarker.exec(text);
      if (marker !== null) current = marker[1]!;
      fileNamed(current)[block.line - 1 + offset] = text;
    });
    if (block.check !== undefined) placeSnippet(fileNamed(current), block.check);
    for (const output of block.outputs) {
      const location = JSON.stringify(`${page.path}:${output.line}`);
      fileNamed(current)[output.line - 1] =
        mode === 'check' ? `void (${output.expression});` : `__docTest.expectText(${location}, ${JSON.stringify(output.expression)}, ${output.expression}, ${JSON.stringify(output.text)});`;
    }
  }
  return files;
}

interface MergedImport {
  readonly module: string;
  readonly named: Map<string, { imported: string; typeOnly: boolean; line: number }>;
  readonly others: Map<string, number>;
}

/** Blanks every import declaration of `text` and returns them merged, one statement per module, for line 1. */
function mergeImports(path: string, text: string, mode: Mode): { body: string; header: string; origins: ImportOrigin[] } {
  const source = ts.createSourceFile('file.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const merged = new Map<string, MergedImport>();
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  let body = text;
  for (const statement of [...source.statements].reverse()) {
    if (!ts.isImportDeclaration(statement)) continue;
    body = body.slice(0, statement.getStart(source)) + body.slice(statement.getStart(source), statement.end).replace(/[^\n]/g, ' ') + body.slice(statement.end);
  }
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const module = (statement.moduleSpecifier as ts.StringLiteral).text;
    const entry = merged.get(module) ?? { module, named: new Map(), others: new Map() };
    merged.set(module, entry);
    const clause = statement.importClause;
    const line = lineOf(statement);
    if (clause === undefined) {
      entry.others.set('', line);
      continue;
    }
    const typeOnly = clause.isTypeOnly ? 'type ' : '';
    if (clause.name !== undefined) entry.others.set(`${typeOnly}${clause.name.text}`, line);
    const bindings = clause.namedBindings;
    if (bindings !== undefined && ts.isNamespaceImport(bindings)) entry.others.set(`${typeOnly}* as ${bindings.name.text}`, line);
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        const local = element.name.text;
        const imported = element.propertyName?.text ?? local;
        const known = entry.named.get(local);
        if (known !== undefined && known.imported !== imported) throw new DocTestAnnotationError(path, lineOf(element), `'${local}' is imported twice in one program, as different names`);
        entry.named.set(local, { imported, typeOnly: (known?.typeOnly ?? true) && (clause.isTypeOnly || element.isTypeOnly), line: known?.line ?? lineOf(element) });
      }
    }
  }
  let header = mode === 'run' ? `import * as __docTest from ${JSON.stringify(runtimeModule)}; ` : '';
  const origins: ImportOrigin[] = [];
  for (const entry of merged.values()) {
    const target = JSON.stringify(mode === 'run' && entry.module === 'vitest' ? runtimeModule : entry.module);
    for (const [other, line] of entry.others) {
      const statement = other === '' ? `import ${target}; ` : `import ${other} from ${target}; `;
      origins.push({ start: header.length, end: header.length + statement.length, line });
      header += statement;
    }
    if (entry.named.size === 0) continue;
    header += 'import { ';
    for (const [local, { imported, typeOnly, line }] of entry.named) {
      const specifier = `${typeOnly ? 'type ' : ''}${imported === local ? local : `${imported} as ${local}`}, `;
      origins.push({ start: header.length, end: header.length + specifier.length, line });
      header += specifier;
    }
    header += `} from ${target}; `;
  }
  return { body, header, origins };
}

/** Rewrites each `statement; // → claim` so that running it checks the claim (`run`), or type-checks the claim as an expression (`check`). */
function rewriteArrows(path: string, text: string, mode: Mode): string {
  const source = ts.createSourceFile('file.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  const arrowLines = new Set<number>();
  const visit = (node: ts.Node): void => {
    const comment = ts.getTrailingCommentRanges(text, node.end)?.[0];
    const arrow = comment === undefined || !ts.isStatement(node) ? null : arrowComment.exec(text.slice(comment.pos, comment.end));
    if (arrow !== null) {
      const line = source.getLineAndCharacterOfPosition(node.end).line + 1;
      const location = JSON.stringify(`${path}:${line}`);
      const claim = arrow[1]!.trim();
      const isLog =
        ts.isExpressionStatement(node) &&
        ts.isCallExpression(node.expression) &&
        node.expression.expression.getText(source) === 'console.log';
      if (!isLog) {
        const parsed = ts.createSourceFile('claim.ts', `(${claim});`, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS) as ts.SourceFile & { parseDiagnostics: readonly ts.Diagnostic[] };
        if (claim === '' || parsed.parseDiagnostics.length > 0) throw new DocTestAnnotationError(path, line, `\`// → ${claim}\` is not a JavaScript expression of the value (only a console.log's may show printed text)`);
      }
      if (mode === 'check') {
        if (!isLog) edits.push({ start: node.end, end: node.end, text: ` void (() => (${claim}));` });
      } else if (isLog) {
        const callee = (node.expression as ts.CallExpression).expression;
        edits.push({ start: callee.getStart(source), end: callee.end, text: `__docTest.printed(${location}, ${JSON.stringify(claim)})` });
      } else if (ts.isExpressionStatement(node)) {
        const expression = node.expression.getText(source);
        edits.push({ start: node.getStart(source), end: node.end, text: `__docTest.expectValue(${location}, ${JSON.stringify(claim)}, (${expression}), () => (${claim}));` });
      } else if (ts.isVariableStatement(node) && node.declarationList.declarations.length === 1 && ts.isIdentifier(node.declarationList.declarations[0]!.name)) {
        const name = node.declarationList.declarations[0]!.name.text;
        edits.push({ start: node.end, end: node.end, text: ` __docTest.expectValue(${location}, ${JSON.stringify(claim)}, ${name}, () => (${claim}));` });
      } else {
        throw new DocTestAnnotationError(path, line, '`// →` follows an expression, a console.log(...) or a `const name = ...;`, not this statement');
      }
      arrowLines.add(line);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  text.split('\n').forEach((lineText, index) => {
    if (arrowAnywhere.test(lineText) && !arrowLines.has(index + 1)) throw new DocTestAnnotationError(path, index + 1, '`// →` must end the line of the statement whose value it shows');
  });
  let result = text;
  let previousStart = Infinity;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    if (edit.end > previousStart) throw new DocTestAnnotationError(path, source.getLineAndCharacterOfPosition(edit.start).line + 1, 'a statement with a `// →` holds another one: keep one claim per statement');
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
    previousStart = edit.start;
  }
  return result;
}

/** The modules of a program: every block (`check`), or the blocks before its first `typecheck-only` one (`run`). */
export function generateFiles(program: Program, mode: Mode): GeneratedFile[] {
  const blocks = mode === 'check' ? program.blocks : runnableBlocks(program);
  if (mode === 'check') {
    for (const block of program.blocks.slice(runnableBlocks(program).length)) {
      const at = block.lines.findIndex((text) => arrowAnywhere.test(text));
      if (at !== -1) throw new DocTestAnnotationError(program.page.path, block.line + at, 'a `// →` in a block that does not run (typecheck-only) is never checked: remove it or make the block run');
      const output = block.outputs[0];
      if (output !== undefined) throw new DocTestAnnotationError(program.page.path, output.line, '`output of` an expression of a block that does not run (typecheck-only) is never checked');
    }
  }
  return [...layOut(program, blocks, mode)].map(([name, lines]) => {
    const { body, header, origins } = mergeImports(program.page.path, lines.join('\n'), mode);
    const withArrows = rewriteArrows(program.page.path, body, mode);
    const firstLine = withArrows.indexOf('\n');
    // Line 1 of a page is never inside a block (a fence or an annotation opens it), so the merged imports can take it.
    if (withArrows.slice(0, firstLine).trim() !== '') throw new DocTestAnnotationError(program.page.path, 1, 'a page cannot start with code');
    return { name, text: header + withArrows.slice(firstLine === -1 ? withArrows.length : firstLine), importOrigins: origins };
  });
}

/** The compiler options a careful user's project has: this repository's own (tsconfig.base.json), without emit. */
const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
};

/** Where a program's generated files go: `<workDirectory>/<page>/<first line>/`. */
function programDirectory(workDirectory: string, program: Program): string {
  return join(workDirectory, program.page.path, String(program.blocks[0]!.line - 1));
}

/**
 * Type-checks every program in one TypeScript program (virtual files under `workDirectory`, so
 * `@tributary/*` resolve from the repository's node_modules to the built packages). Returns each
 * program's errors as `page:line: message`, by program name.
 */
export function typeCheck(programs: readonly Program[], workDirectory: string): Map<string, string[]> {
  const virtual = new Map<string, { program: Program; file: GeneratedFile }>();
  const errors = new Map<string, string[]>(programs.map((program) => [program.name, []]));
  for (const program of programs) {
    try {
      for (const file of generateFiles(program, 'check')) virtual.set(join(programDirectory(workDirectory, program), file.name), { program, file });
    } catch (error) {
      if (!(error instanceof DocTestAnnotationError)) throw error;
      errors.get(program.name)!.push(error.message);
    }
  }
  const host = ts.createCompilerHost(compilerOptions);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const entry = virtual.get(fileName);
    return entry === undefined ? getSourceFile(fileName, languageVersion, onError, shouldCreate) : ts.createSourceFile(fileName, entry.file.text, languageVersion, true, ts.ScriptKind.TS);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName);
  const directoryExists = host.directoryExists?.bind(host);
  const virtualDirectories = new Set([...virtual.keys()].flatMap((fileName) => {
    const directories: string[] = [];
    for (let directory = dirname(fileName); directory !== dirname(directory); directory = dirname(directory)) directories.push(directory);
    return directories;
  }));
  host.directoryExists = (directory) => virtualDirectories.has(directory) || (directoryExists?.(directory) ?? ts.sys.directoryExists(directory));
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => virtual.get(fileName)?.file.text ?? readFile(fileName);
  const compiler = ts.createProgram({ rootNames: [...virtual.keys()], options: compilerOptions, host });
  for (const diagnostic of compiler.getOptionsDiagnostics()) errors.get(programs[0]!.name)?.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  for (const [fileName, { program, file }] of virtual) {
    const source = compiler.getSourceFile(fileName)!;
    for (const diagnostic of [...compiler.getSyntacticDiagnostics(source), ...compiler.getSemanticDiagnostics(source)]) {
      const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const pageLine = line === 0 ? (file.importOrigins.find((origin) => character >= origin.start && character < origin.end)?.line ?? 1) : line + 1;
      errors.get(program.name)!.push(`${program.page.path}:${pageLine}: TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
  }
  return errors;
}

/** Names the page line of the first frame of `error`'s stack inside the generated files, when there is one. */
function pageLocation(error: unknown, program: Program, directory: string): string {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frame = new RegExp(`${directory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[\\w.-]+\\.ts:(\\d+)`).exec(stack);
  return frame === null ? program.name : `${program.page.path}:${frame[1]}`;
}

/** Runs a program's runnable blocks: writes its files under `workDirectory`, imports each in order, then runs the tests it registered. */
export async function runProgram(program: Program, workDirectory: string): Promise<void> {
  const directory = programDirectory(workDirectory, program);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const files = generateFiles(program, 'run');
  for (const file of files) writeFileSync(join(directory, file.name), file.text);
  takeRegisteredTests();
  try {
    for (const file of files) await import(join(directory, file.name));
    for (const test of takeRegisteredTests()) await test.body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const location = pageLocation(error, program, directory);
    throw new Error(message.startsWith(program.page.path) ? message : `${location}: ${message}\n(generated files in ${relative(process.cwd(), directory)})`, { cause: error });
  }
}
