/**
 * Packing the published packages as a release does (`pnpm pack` makes the tarball that
 * `pnpm publish` uploads) and checking each tarball before anyone installs it: no `workspace:`
 * range left in its package.json, a README and the LICENSE inside, every file its entry points
 * name present, and the metadata npm publishes it with.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The packages published to npm, by directory in the repository. */
export const publishedPackages = [
  { name: '@tributary/streams', directory: 'packages/streams' },
  { name: '@tributary/level', directory: 'packages/level' },
  { name: '@tributary/kafka', directory: 'packages/kafka' },
  { name: '@tributary/prometheus', directory: 'packages/prometheus' },
] as const;

/** What a packed tarball holds. */
export interface PackedPackage {
  readonly name: string;
  readonly tarball: string;
  /** The packed package.json, as text (what `npm install` reads). */
  readonly manifestText: string;
  /** Paths inside the tarball, relative to its `package/` folder. */
  readonly files: readonly string[];
}

/**
 * Packs the published packages as the guides tell users to (getting-started.md, "Install from a
 * clone"): `pnpm -r --filter "./packages/*" pack`, run at the repository's root.
 */
export function packAll(root: string, destination: string, environment: NodeJS.ProcessEnv): PackedPackage[] {
  const output = execFileSync('pnpm', ['-r', '--filter', './packages/*', 'pack', '--json', '--pack-destination', destination], { cwd: root, env: environment, encoding: 'utf8' });
  const packed = JSON.parse(output.slice(output.indexOf('['))) as { name: string; filename: string }[];
  return packed.map((entry) => readTarball(entry.name, resolve(destination, entry.filename)));
}

/** Packs one package with npm, which leaves `workspace:*` in: here to prove the checks catch it. */
export function packWithNpm(root: string, directory: string, destination: string, environment: NodeJS.ProcessEnv): PackedPackage {
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: join(root, directory), env: environment, encoding: 'utf8' });
  const [packed] = JSON.parse(output.slice(output.indexOf('['))) as [{ name: string; filename: string }];
  return readTarball(packed.name, resolve(destination, packed.filename));
}

function readTarball(name: string, tarball: string): PackedPackage {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('package/'))
    .map((line) => line.slice('package/'.length));
  const manifestText = execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  return { name, tarball, manifestText, files };
}

/** Every file path a manifest's entry points name: `main`, `module`, `types`, `bin`, each `exports` target and `typesVersions` mapping. */
export function entryPointFiles(manifest: Record<string, unknown>): string[] {
  const targets: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
  };
  collect([manifest['main'], manifest['module'], manifest['types'], manifest['bin'], manifest['exports'], manifest['typesVersions']]);
  return [...new Set(targets.filter((target) => !target.includes('*')).map((target) => target.replace(/^\.\//, '')))];
}

/** What is wrong with a packed package, one sentence each (none for a good one). */
export function packProblems(packed: PackedPackage, license: string): string[] {
  const problems: string[] = [];
  const manifest = JSON.parse(packed.manifestText) as Record<string, unknown>;
  if (packed.manifestText.includes('workspace:')) {
    problems.push(`${packed.name}: the packed package.json still holds a 'workspace:' range, which npm cannot install: pack and publish with pnpm (pnpm pack, pnpm publish), never npm.`);
  }
  for (const file of entryPointFiles(manifest)) {
    if (!packed.files.includes(file)) problems.push(`${packed.name}: package.json names ${file}, which is not in the tarball: build first (pnpm run build) or fix 'files'/'exports'.`);
  }
  if (!packed.files.includes('README.md')) problems.push(`${packed.name}: no README.md in the tarball.`);
  if (!packed.files.includes('LICENSE')) problems.push(`${packed.name}: no LICENSE in the tarball.`);
  else if (execFileSync('tar', ['-xzOf', packed.tarball, 'package/LICENSE'], { encoding: 'utf8' }) !== license) problems.push(`${packed.name}: its LICENSE differs from the repository's: copy LICENSE over it.`);
  const leaked = packed.files.filter((file) => file.startsWith('src/') || /\.test(-d)?\.[cm]?[jt]s$/.test(file));
  if (leaked.length > 0) problems.push(`${packed.name}: sources or tests in the tarball: ${leaked.join(', ')}.`);
  return problems;
}

/** What a published package's manifest must say for npm and its users, one sentence per gap. */
export function publishingProblems(packed: PackedPackage, directory: string): string[] {
  const manifest = JSON.parse(packed.manifestText) as {
    license?: string;
    repository?: { url?: string; directory?: string };
    publishConfig?: { access?: string; provenance?: boolean };
    engines?: { node?: string };
    private?: boolean;
  };
  const problems: string[] = [];
  if (manifest.private === true) problems.push(`${packed.name}: marked private, so it is never published.`);
  if (manifest.license !== 'Apache-2.0') problems.push(`${packed.name}: license is ${String(manifest.license)}, not Apache-2.0.`);
  if (manifest.repository?.url === undefined || manifest.repository.directory !== directory) problems.push(`${packed.name}: repository must give the url and directory '${directory}'.`);
  if (manifest.publishConfig?.access !== 'public' || manifest.publishConfig.provenance !== true) problems.push(`${packed.name}: publishConfig must set access 'public' (scoped packages are private by default) and provenance true.`);
  if (manifest.engines?.node === undefined) problems.push(`${packed.name}: no engines.node.`);
  return problems;
}

/** The repository's LICENSE text. */
export function repositoryLicense(root: string): string {
  return readFileSync(join(root, 'LICENSE'), 'utf8');
}
