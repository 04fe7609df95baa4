/**
 * `pnpm conformance [--seeds N] [--first-seed S] [--topology NAME ...] [--no-shrink]
 * [--internal-topics | --repartition-topics]`: runs the differential conformance suite for as
 * many seeds as asked (longer fuzzing than the test's fixed set) and exits non-zero when a
 * scenario differs outside the exception list. `--internal-topics` also compares changelog and
 * repartition topics; `--repartition-topics` repartition topics only.
 */
import { formatReport, runSuite } from './suite.js';

function parse(argv: readonly string[]): { seeds: number; firstSeed: number; topologies: string[]; shrink: boolean; internalTopics: boolean | 'repartition' } {
  const options: ReturnType<typeof parse> = { seeds: 20, firstSeed: 1, topologies: [], shrink: true, internalTopics: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const next = (): string => {
      const value = argv[++index];
      if (value === undefined) throw new Error(`${argument} needs a value`);
      return value;
    };
    const integer = (value: string): number => {
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${argument} takes a non-negative integer, got '${value}'`);
      return parsed;
    };
    if (argument === '--seeds') options.seeds = integer(next());
    else if (argument === '--first-seed') options.firstSeed = integer(next());
    else if (argument === '--topology') options.topologies.push(next());
    else if (argument === '--no-shrink') options.shrink = false;
    else if (argument === '--internal-topics') options.internalTopics = true;
    else if (argument === '--repartition-topics') options.internalTopics = 'repartition';
    else if (argument === '--') continue;
    else throw new Error(`Unknown argument '${argument}'. Usage: pnpm conformance [--seeds N] [--first-seed S] [--topology NAME ...] [--no-shrink] [--internal-topics | --repartition-topics]`);
  }
  return options;
}

const options = parse(process.argv.slice(2));
const report = await runSuite({
  seeds: options.seeds,
  firstSeed: options.firstSeed,
  shrink: options.shrink,
  internalTopics: options.internalTopics,
  log: (line) => console.error(line),
  ...(options.topologies.length === 0 ? {} : { topologies: options.topologies }),
});
console.log(formatReport(report));
process.exitCode = report.differing.some((entry) => entry.exception === undefined) ? 1 : 0;
