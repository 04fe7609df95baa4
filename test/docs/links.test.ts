/**
 * Every link in the repository's Markdown (the guides in `docs/`, every README, DEVELOPERS.md)
 * points at a file inside the repository that exists, and a `#fragment` at a heading that
 * exists; so does every relative path written as code (`../x.md`). Links rot silently when a
 * file moves; this fails instead.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownFiles, repositoryRoot as root } from './markdown-files.js';

/** The text outside fenced code blocks, with inline code spans blanked out, and the code spans. */
function split(markdown: string): { prose: string; codeSpans: string[] } {
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const codeSpans: string[] = [];
  const prose = withoutFences.replace(/`([^`\n]+)`/g, (_match, code: string) => {
    codeSpans.push(code);
    return '``';
  });
  return { prose, codeSpans };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const withoutFences = readFileSync(file, 'utf8').replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** What is wrong with `target` linked from `file`, or undefined when it resolves. */
export function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:, ...
  const [path, fragment] = target.split('#', 2) as [string, string | undefined];
  const resolved = path === '' ? file : resolve(dirname(file), decodeURI(path));
  if (resolved !== root && !resolved.startsWith(root + sep)) return `points outside the repository (${resolved})`;
  if (!existsSync(resolved)) return `names a file that does not exist (${relative(root, resolved)})`;
  if (fragment !== undefined && fragment !== '' && resolved.endsWith('.md') && statSync(resolved).isFile() && !anchors(resolved).has(fragment)) {
    return `names a heading that ${relative(root, resolved)} does not have (#${fragment})`;
  }
  return undefined;
}

/** Every broken link and relative code path of one Markdown file, as `file: target: problem`. */
function brokenLinks(file: string): string[] {
  const { prose, codeSpans } = split(readFileSync(file, 'utf8'));
  const targets: string[] = [];
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
  for (const match of prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(match[1]!);
  // A path written as code that starts with ./ or ../ is a link in all but name.
  for (const code of codeSpans) if (/^\.\.?\/[^\s]*\.[a-z]+$/i.test(code)) targets.push(code);
  const problems: string[] = [];
  for (const target of targets) {
    const problem = brokenLink(file, target);
    if (problem !== undefined) problems.push(`${relative(root, file)}: ${target}: ${problem}`);
  }
  return problems;
}

describe('links in the Markdown', () => {
  const files = markdownFiles(root);

  it('finds the guides and the READMEs', () => {
    const names = files.map((file) => relative(root, file).split(sep).join('/'));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'DEVELOPERS.md', 'docs/getting-started.md', 'docs/running-on-kafka.md', 'examples/product-analytics/README.md']));
  });

  it('point at files inside the repository that exist, and at headings those files have', () => {
    expect(files.flatMap(brokenLinks)).toEqual([]);
  });

  it('are checked: a missing file, a path outside the repository and a missing heading are each reported', () => {
    const readme = join(root, 'examples', 'product-analytics', 'README.md');
    expect(brokenLink(readme, '../../docs/running-on-kafka.md')).toBeUndefined();
    expect(brokenLink(readme, '../../docs/running-on-kafka.md#exactly-once')).toBeUndefined();
    expect(brokenLink(readme, 'https://kafka.apache.org/')).toBeUndefined();
    expect(brokenLink(readme, '../../../shared/product-analytics.md')).toMatch(/^points outside the repository/);
    expect(brokenLink(readme, '../../docs/no-such-guide.md')).toBe('names a file that does not exist (docs/no-such-guide.md)');
    expect(brokenLink(readme, '../../docs/running-on-kafka.md#no-such-heading')).toBe('names a heading that docs/running-on-kafka.md does not have (#no-such-heading)');
  });
});
