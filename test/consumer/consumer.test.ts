/**
 * The consumer test: Tributary as a user outside this repository gets it. It packs the four
 * published packages with pnpm (the command getting-started.md gives; `pnpm publish` packs the
 * same way), checks each tarball, installs them and prom-client (@tributary/prometheus' peer
 * dependency) with plain npm (--prefer-offline) into a fresh project under the system temp directory, then compiles fixture/consumer.ts with tsc (no
 * skipLibCheck, so the packages' own .d.ts files are checked) under moduleResolution nodenext,
 * bundler and node10, to ESM and to CommonJS, and runs each output with node; and compiles and
 * runs each package README's example. Needs `pnpm run build` first.
 * TRIBUTARY_CONSUMER_KEEP=1 keeps the temp project and prints where it is.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAll, packProblems, packWithNpm, publishedPackages, publishingProblems, repositoryLicense, type PackedPackage } from './packing.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const fixture = join(root, 'test/consumer/fixture');

interface Variant {
  readonly name: string;
  /** The variant folder's package.json `type`, which decides a `.ts` file's output format under nodenext. */
  readonly type: 'module' | 'commonjs';
  readonly compilerOptions: { readonly module: string; readonly moduleResolution: string; readonly esModuleInterop?: boolean };
  readonly source: 'consumer.ts' | 'consumer-require.cts';
}

/** A user's setups: each moduleResolution, emitting ESM and emitting CommonJS. */
const variants: readonly Variant[] = [
  { name: 'nodenext-esm', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, source: 'consumer.ts' },
  { name: 'nodenext-cjs', type: 'commonjs', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, source: 'consumer.ts' },
  { name: 'bundler-esm', type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' }, source: 'consumer.ts' },
  // `bundler` needs an ES module setting; `preserve` keeps `import = require` as require(), resolved with the `require` condition.
  { name: 'bundler-cjs', type: 'commonjs', compilerOptions: { module: 'preserve', moduleResolution: 'bundler' }, source: 'consumer-require.cts' },
  { name: 'node10-esm', type: 'module', compilerOptions: { module: 'es2022', moduleResolution: 'node10' }, source: 'consumer.ts' },
  // What `module: commonjs` implies, and what `tsc --init` projects of the past years use.
  { name: 'node10-cjs', type: 'commonjs', compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }, source: 'consumer.ts' },
];

/** The environment without what `pnpm test` exports to its children (npm_config_*, pnpm's own), so npm runs as a user's would. */
function userEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(name)) environment[name] = value;
  }
  return environment;
}

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a command, failing with its output when it fails. */
function run(command: string, args: readonly string[], cwd: string, environment: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(command, args, { cwd, env: environment, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}${failed.message}`);
  }
}

/** The first ```ts block of a README. */
function firstTypeScriptBlock(readme: string): string {
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (block === null) throw new Error('no ```ts block in the README');
  return block[1]!;
}

/** What a README example says it prints: the `// → ...` comment after each `console.log(...);` (as test/docs/ reads it). */
function documentedOutput(example: string): string[] {
  return [...example.matchAll(/^console\.log\(.*\); \/\/ → (.*)$/gm)].map((line) => line[1]!);
}

/** Options every consumer project shares: strict, and the packages' own .d.ts files checked. */
const sharedCompilerOptions = { target: 'es2022', lib: ['es2022'], types: ['node'], strict: true, skipLibCheck: false, noEmitOnError: true, rootDir: '.', outDir: 'out', composite: true };

/** Writes one consumer project (a folder with its package.json `type`, tsconfig.json and sources). */
function writeProject(folder: string, type: 'module' | 'commonjs', compilerOptions: object, files: Readonly<Record<string, string>>): void {
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), `${JSON.stringify({ type })}\n`);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(folder, file), text);
  writeFileSync(join(folder, 'tsconfig.json'), `${JSON.stringify({ compilerOptions: { ...sharedCompilerOptions, ...compilerOptions }, files: Object.keys(files) }, null, 2)}\n`);
}

/** The compiled file of a source: `.ts` to `.js`, `.cts` to `.cjs`. */
function outputOf(folder: string, source: string): string {
  return join(folder, 'out', source.replace(/\.cts$/, '.cjs').replace(/\.ts$/, '.js'));
}

const environment = userEnvironment();
let workDirectory = '';
let project = '';
const packed: PackedPackage[] = [];
const readmeExamples: { file: string; code: string }[] = [];
/** What `tsc -b` printed over every consumer project (empty when all compiled). */
let compilerOutput = '';

beforeAll(() => {
  for (const { name, directory } of publishedPackages) {
    if (!existsSync(join(root, directory, 'dist/index.js'))) throw new Error(`${name} is not built: run \`pnpm run build\` first.`);
  }
  workDirectory = mkdtempSync(join(tmpdir(), 'tributary-consumer-'));
  const started = Date.now();
  packed.push(...packAll(root, workDirectory, environment));
  const packedAt = Date.now();

  project = join(workDirectory, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'tributary-consumer', private: true }, null, 2)}\n`);
  // As the guide's "Install from a clone" does: every tarball at once, so the packages' exact pins on each other are met by them.
  // prom-client is @tributary/prometheus' peer dependency: the user installs it, as its README says.
  const tools = [`typescript@${installedVersion('typescript')}`, `@types/node@${installedVersion('@types/node')}`, `prom-client@${installedVersion('prom-client')}`];
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...packed.map((entry) => entry.tarball), ...tools], project, environment);
  const installedAt = Date.now();

  for (const variant of variants) {
    writeProject(join(project, variant.name), variant.type, variant.compilerOptions, { [variant.source]: readFileSync(join(fixture, variant.source), 'utf8') });
  }
  for (const { directory } of publishedPackages) {
    readmeExamples.push({ file: `${basename(directory)}.ts`, code: firstTypeScriptBlock(readFileSync(join(root, directory, 'README.md'), 'utf8')) });
  }
  writeProject(join(project, 'readmes'), 'module', { module: 'nodenext' }, Object.fromEntries(readmeExamples.map((example) => [example.file, example.code])));
  // One build over every project: tsc -b shares the parsed declaration files between them, half the time of one tsc each.
  const projects = [...variants.map((variant) => ({ path: variant.name })), { path: 'readmes' }];
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify({ files: [], references: projects }, null, 2)}\n`);
  try {
    execFileSync(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.json'], { cwd: project, env: environment, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    compilerOutput = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
  console.log(`consumer: packed in ${packedAt - started} ms, npm install in ${installedAt - packedAt} ms, tsc -b in ${Date.now() - installedAt} ms, in ${workDirectory}`);
}, 300_000);

afterAll(() => {
  if (workDirectory === '') return;
  if (process.env['TRIBUTARY_CONSUMER_KEEP'] === '1') console.log(`consumer: kept ${workDirectory}`);
  else rmSync(workDirectory, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('hold no workspace: ranges, a README, the LICENSE and every file their entry points name', () => {
    const license = repositoryLicense(root);
    expect(packed.map((entry) => entry.name).sort()).toEqual(publishedPackages.map((entry) => entry.name).sort());
    expect(packed.flatMap((entry) => packProblems(entry, license))).toEqual([]);
  });

  it('say where they come from and how npm publishes them (public, with provenance)', () => {
    const directoryOf = new Map<string, string>(publishedPackages.map((entry) => [entry.name, entry.directory]));
    expect(packed.flatMap((entry) => publishingProblems(entry, directoryOf.get(entry.name)!))).toEqual([]);
  });

  it('would be caught packed with npm, which leaves workspace: ranges in', () => {
    const npmDestination = join(workDirectory, 'npm-pack');
    mkdirSync(npmDestination);
    const packedWithNpm = packWithNpm(root, 'packages/level', npmDestination, environment);
    expect(packProblems(packedWithNpm, repositoryLicense(root))).toEqual([expect.stringMatching(/^@tributary\/level: the packed package.json still holds a 'workspace:' range/)]);
  });

  it('install as one copy of each package, the tarballs, with nothing fetched in their place', () => {
    for (const entry of packed) {
      const installed = JSON.parse(readFileSync(join(project, 'node_modules', entry.name, 'package.json'), 'utf8')) as { version: string };
      expect(installed.version).toBe((JSON.parse(entry.manifestText) as { version: string }).version);
    }
    // A nested copy would mean npm fetched a @tributary package from the registry instead of using the tarball.
    for (const { name } of publishedPackages) {
      for (const other of publishedPackages) expect(existsSync(join(project, 'node_modules', name, 'node_modules', other.name))).toBe(false);
    }
  });
});

describe('the package READMEs', () => {
  it('have examples that compile against the tarballs and print what they say (the Kafka one needs a broker: compiled only)', () => {
    const folder = join(project, 'readmes');
    for (const example of readmeExamples) {
      expect(existsSync(outputOf(folder, example.file)), `${example.file} did not compile:\n${compilerOutput}`).toBe(true);
    }
    for (const example of readmeExamples.filter((entry) => entry.file !== 'kafka.ts')) {
      const expected = documentedOutput(example.code);
      expect(expected.length, `${example.file} documents what it prints`).toBeGreaterThan(0);
      const printed = run(process.execPath, [outputOf(folder, example.file)], folder, environment);
      expect(printed.trimEnd().split('\n'), example.file).toEqual(expected);
    }
  });
});

describe.each(variants)('a consumer compiled with $name', (variant) => {
  it('type-checks against the packages and runs', () => {
    const folder = join(project, variant.name);
    const output = outputOf(folder, variant.source);
    expect(existsSync(output), `${variant.name} did not compile:\n${compilerOutput}`).toBe(true);
    const javascript = readFileSync(output, 'utf8');
    // The output is in the format the variant claims, so the run below exercises that build of the packages.
    if (variant.type === 'commonjs') expect(javascript).toMatch(/require\("@tributary\/streams\/test"\)/);
    else expect(javascript).toMatch(/from '@tributary\/streams\/test'|from "@tributary\/streams\/test"/);
    // Node 20.19+ can require() ES modules; turn that off so a CommonJS consumer must find the CommonJS build.
    const nodeFlags = variant.type === 'commonjs' && process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];
    expect(run(process.execPath, [...nodeFlags, output], folder, environment)).toContain('consumer ok');
  });
});
