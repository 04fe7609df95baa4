/**
 * What a guide's program imports when it runs (doc-programs.ts rewrites its imports to here):
 * the checks of its `// →` comments and `output of` annotations, and `vitest` as a guide
 * shows it (`expect` itself; `it` and `describe` collect the tests, which the harness runs after
 * the program, since vitest allows no test inside a running test).
 */
import { formatWithOptions, inspect } from 'node:util';
import { expect } from 'vitest';

export { expect };

interface RegisteredTest {
  readonly name: string;
  readonly body: () => unknown;
}

const registered: RegisteredTest[] = [];

/** `it` of a guide's program: runs after the program has loaded, in order. */
export function it(name: string, body: () => unknown): void {
  registered.push({ name, body });
}

export { it as test };

/** `describe` of a guide's program: its tests join the program's. */
export function describe(_name: string, body: () => void): void {
  body();
}

/** The tests the program registered, removed from the list. */
export function takeRegisteredTests(): RegisteredTest[] {
  return registered.splice(0);
}

/** A guide's claim about an output (a `// →` comment, an output block) that the code does not bear out. */
export class DocOutputMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocOutputMismatchError';
  }
}

function show(value: unknown): string {
  return inspect(value, { depth: null, breakLength: Infinity });
}

/** `expression; // → expected`: the expression's value equals the comment's (as vitest's `toEqual` compares). */
export function expectValue(location: string, claim: string, actual: unknown, expected: () => unknown): void {
  try {
    expect(actual).toEqual(expected());
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DocOutputMismatchError(`${location}: the guide says → ${claim}\nbut the code gives ${show(actual)}\n${detail}`);
  }
}

/** `console.log(...); // → text`: prints as `console.log` does, and what it prints must be the comment's text. */
export function printed(location: string, claim: string): (...values: unknown[]) => void {
  return (...values) => {
    const text = formatWithOptions({ colors: false }, ...values);
    console.log(text);
    if (text !== claim) throw new DocOutputMismatchError(`${location}: the guide says console.log prints → ${claim}\nbut it prints ${text}`);
  };
}

/** `<!-- doc-test: output of EXPR -->` before an output block: `String(EXPR)` is the block's text, trailing blanks aside. */
export function expectText(location: string, expression: string, actual: unknown, text: string): void {
  const got = String(actual).trimEnd();
  if (got !== text.trimEnd()) {
    throw new DocOutputMismatchError(`${location}: the output block below differs from what ${expression} gives.\nThe guide shows:\n${text.trimEnd()}\nThe code gives:\n${got}`);
  }
}
