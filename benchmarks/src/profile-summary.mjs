/**
 * `node benchmarks/src/profile-summary.mjs <file.cpuprofile> [--top N] [--match REGEX]`: what a V8 CPU profile
 * (from `node --cpu-prof`) says about where the time went, in shares of samples, because the
 * benchmark machine is shared and absolute times are noise. Prints the functions with the most
 * self time, the functions with the most inclusive time, and self time per area (streams,
 * level, kafka, examples, kafkajs, LevelDB binding, node internals, V8). Frames of built
 * files are mapped back to their TypeScript source through the `.map` beside them.
 * Plain JavaScript so it runs without a build; see benchmarks/PROFILE.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  console.error('Usage: node benchmarks/src/profile-summary.mjs <file.cpuprofile> [--top N] [--match REGEX]');
  process.exit(1);
}
const topIndex = rest.indexOf('--top');
const top = topIndex === -1 ? 25 : Number(rest[topIndex + 1]);
const matchIndex = rest.indexOf('--match');
/** `--match REGEX`: also list the inclusive and self shares of every function whose name or location matches. */
const match = matchIndex === -1 ? undefined : new RegExp(rest[matchIndex + 1]);
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const profile = JSON.parse(readFileSync(file, 'utf8'));

const sourceMaps = new Map();
function sourceMapOf(path) {
  if (!sourceMaps.has(path)) {
    const mapPath = `${path}.map`;
    sourceMaps.set(path, existsSync(mapPath) ? new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8'))) : undefined);
  }
  return sourceMaps.get(path);
}

/** `path:line` of a frame, in the TypeScript source when the built file has a source map. */
function locationOf(callFrame) {
  const { url, lineNumber, columnNumber } = callFrame;
  if (url === '') return '';
  if (!url.startsWith('file://')) return `${url}:${lineNumber + 1}`;
  const path = fileURLToPath(url);
  const map = sourceMapOf(path);
  const entry = map?.findEntry(lineNumber, columnNumber);
  if (entry !== undefined && entry.originalSource !== undefined) {
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(path), entry.originalSource);
    return `${relative(repositoryRoot, source)}:${entry.originalLine + 1}`;
  }
  return `${relative(repositoryRoot, path)}:${lineNumber + 1}`;
}

/** The area a frame belongs to, from its (mapped) location. */
function areaOf(name, location) {
  if (location === '') return name.startsWith('(') ? name : 'V8 builtins / native';
  if (location.startsWith('node:')) return 'node internals';
  if (location.includes('node_modules/kafkajs/')) return 'kafkajs';
  if (/node_modules\/(classic-level|abstract-level|level-|maybe-combine-errors|module-error)/.test(location)) return 'LevelDB binding (classic-level)';
  if (location.includes('node_modules/')) return 'other node_modules';
  const match = /^(packages\/[^/]+|examples\/[^/]+|benchmarks)\//.exec(location);
  return match === null ? location : match[1];
}

const nodes = new Map();
for (const node of profile.nodes) nodes.set(node.id, node);
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const functions = new Map();
function functionOf(node) {
  if (node.summary === undefined) {
    const name = node.callFrame.functionName || '(anonymous)';
    const location = locationOf(node.callFrame);
    const key = `${name} ${location}`;
    let summary = functions.get(key);
    if (summary === undefined) {
      summary = { name, location, area: areaOf(name, location), self: 0, inclusive: 0, seen: 0 };
      functions.set(key, summary);
    }
    node.summary = summary;
  }
  return node.summary;
}

let total = 0;
let idle = 0;
const areas = new Map();
for (const [sampleIndex, id] of profile.samples.entries()) {
  const leaf = nodes.get(id);
  if (leaf.callFrame.functionName === '(idle)') {
    idle++;
    continue;
  }
  total++;
  const own = functionOf(leaf);
  own.self++;
  areas.set(own.area, (areas.get(own.area) ?? 0) + 1);
  // Inclusive: each function once per sample, however deep it recurses.
  for (let current = id; current !== undefined; current = parents.get(current)) {
    const summary = functionOf(nodes.get(current));
    if (summary.seen !== sampleIndex + 1) {
      summary.seen = sampleIndex + 1;
      summary.inclusive++;
    }
  }
}

const percent = (count) => `${((100 * count) / total).toFixed(1)}%`;
const row = (cells) => `| ${cells.join(' | ')} |`;
const durationSeconds = (profile.endTime - profile.startTime) / 1e6;
console.log(`${file}: ${total} busy samples (${idle} idle) over ${durationSeconds.toFixed(1)} s; shares are of busy samples.\n`);

console.log(`Top ${top} functions by self time\n`);
console.log(row(['#', 'self', 'function', 'location', 'area']));
console.log(row(['--:', '--:', '---', '---', '---']));
const bySelf = [...functions.values()].sort((a, b) => b.self - a.self).slice(0, top);
for (const [index, summary] of bySelf.entries()) console.log(row([index + 1, percent(summary.self), `\`${summary.name}\``, summary.location, summary.area]));

const inclusiveTop = Math.min(top, 15);
console.log(`\nTop ${inclusiveTop} functions by inclusive time (a function's own and its callees' samples)\n`);
console.log(row(['#', 'inclusive', 'self', 'function', 'location', 'area']));
console.log(row(['--:', '--:', '--:', '---', '---', '---']));
const uninteresting = new Set(['(root)', '(program)', '(anonymous)']);
const byInclusive = [...functions.values()].filter((summary) => !uninteresting.has(summary.name) && summary.location !== '' && !summary.location.startsWith('node:')).sort((a, b) => b.inclusive - a.inclusive).slice(0, inclusiveTop);
for (const [index, summary] of byInclusive.entries()) console.log(row([index + 1, percent(summary.inclusive), percent(summary.self), `\`${summary.name}\``, summary.location, summary.area]));

console.log('\nSelf time by area\n');
console.log(row(['area', 'self']));
console.log(row(['---', '--:']));
for (const [area, count] of [...areas.entries()].sort((a, b) => b[1] - a[1])) console.log(row([area, percent(count)]));

if (match !== undefined) {
  console.log(`\nFunctions matching ${match}\n`);
  console.log(row(['inclusive', 'self', 'function', 'location']));
  console.log(row(['--:', '--:', '---', '---']));
  const matching = [...functions.values()].filter((summary) => match.test(`${summary.name} ${summary.location}`)).sort((a, b) => b.inclusive - a.inclusive);
  for (const summary of matching) console.log(row([percent(summary.inclusive), percent(summary.self), `\`${summary.name}\``, summary.location]));
}
