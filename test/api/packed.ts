/**
 * The package as users get it: `npm pack` (of the build that `npm test` made just before), the
 * tarball unpacked into `node_modules/switchyard` of a fresh temporary project whose
 * dependencies are linked from this repository's node_modules (no network).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A temporary project with the packed switchyard installed. */
export interface PackedProject {
  readonly dir: string;
  /** Paths inside the tarball (without the leading `package/`). */
  readonly files: readonly string[];
  /** Runs `node` in the project with the given arguments; rejects on a non-zero exit. */
  node(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  remove(): void;
}

/**
 * Packs the package and installs it into a fresh temporary project.
 * @returns the project
 */
export async function packedProject(): Promise<PackedProject> {
  if (!existsSync(join(ROOT, 'dist/src/index.js'))) {
    throw new Error('dist/src/index.js is missing: run `npm run build` (npm test builds before the tests)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-packed-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 << 20 });
  const info = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const tgz = join(dir, info[0]!.filename.replace(/^@[^/]+\//, '').replace('/', '-'));
  mkdirSync(join(dir, 'node_modules'));
  await run('tar', ['-xzf', tgz, '-C', dir]);
  renameSync(join(dir, 'package'), join(dir, 'node_modules', 'switchyard'));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies)) symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  cpSync(join(ROOT, 'examples/demo.json'), join(dir, 'cluster.json'));
  return {
    dir,
    files: info[0]!.files.map((f) => f.path),
    node: (args) => run(process.execPath, [...args], { cwd: dir, maxBuffer: 64 << 20, timeout: 120_000 }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
