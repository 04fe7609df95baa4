#!/usr/bin/env node
/**
 * The cost of adding a value to a `UniqueCountSketch` as windows grow: for windows of 10 to 3,000
 * distinct users, starts each window from `empty()`, adds its users copy-on-write with `with` (as
 * an aggregator does) or in place with `addInPlace` (as the owner of a sketch may), then encodes
 * and decodes it once (as a flush and a cache miss do), and prints CPU µs per value added, the
 * median of `--runs` runs. Run it on two builds of
 * `@tributary/streams` to compare sketch implementations.
 *
 *   pnpm --filter @tributary/benchmarks run bench:sketch-ops [-- --runs 5]
 */
import { UniqueCountSketch } from '@tributary/streams';
import { numberArgument } from './state-support.js';

const runs = numberArgument('--runs', 3);
const users = Array.from({ length: 5_000 }, (_, index) => `user-${index}`);
/** Users per window, and windows per run (about 200,000 values a run). */
const shapes = [
  [10, 20_000],
  [100, 2_000],
  [1_000, 200],
  [3_000, 70],
] as const;

let checksum = 0;
function microsecondsPerValue(windowUsers: number, windows: number, inPlace: boolean): number {
  const before = process.cpuUsage();
  for (let window = 0; window < windows; window++) {
    let sketch = UniqueCountSketch.empty();
    if (inPlace) for (let index = 0; index < windowUsers; index++) sketch.addInPlace(users[(index * 7 + window) % users.length]!);
    else for (let index = 0; index < windowUsers; index++) sketch = sketch.with(users[(index * 7 + window) % users.length]!);
    checksum += UniqueCountSketch.fromBytes(sketch.toBytes()).count();
  }
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / (windowUsers * windows);
}

const inPlace = typeof (UniqueCountSketch.prototype as Partial<UniqueCountSketch>).addInPlace === 'function';
console.log(`| users per window | µs per value, with (median) | ${inPlace ? 'µs per value, addInPlace (median) | ' : ''}encoded bytes per window |`);
console.log(`| --: | --: | ${inPlace ? '--: | ' : ''}--: |`);
for (const [windowUsers, windows] of shapes) {
  const median = (figures: number[]) => figures.sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(2);
  const copyOnWrite = median(Array.from({ length: runs }, () => microsecondsPerValue(windowUsers, windows, false)));
  const owned = inPlace ? `${median(Array.from({ length: runs }, () => microsecondsPerValue(windowUsers, windows, true)))} | ` : '';
  let sketch = UniqueCountSketch.empty();
  for (let index = 0; index < windowUsers; index++) sketch = sketch.with(users[index]!);
  console.log(`| ${windowUsers.toLocaleString('en-US')} | ${copyOnWrite} | ${owned}${sketch.toBytes().length.toLocaleString('en-US')} |`);
}
if (checksum <= 0) throw new Error('no sketch counted anything');
