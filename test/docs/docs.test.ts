/**
 * The documentation stays true: every command of `switchyard --help` has its section in
 * docs/cli.md, and every relative link of the README and docs/*.md points to a file that exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Generated (`npm run docs`), not committed. */
const GENERATED = ['docs/api'];
/**
 * Files written on another branch at the same time (none now): remove an entry once the file is
 * merged, and this test checks its links like the others.
 */
const PENDING: string[] = [];

describe('documentation', () => {
  it('docs/cli.md documents every command that switchyard --help lists', async () => {
    let help = '';
    await runCli(['--help'], { stdout: (s) => void (help += s), stderr: () => {}, readFile: async () => '', writeFile: async () => {}, now: () => 0 });
    const commands = [...help.matchAll(/^ {2}switchyard ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    const cli = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    for (const c of commands) expect(cli, `docs/cli.md lacks a section for "${c}"`).toMatch(new RegExp(`^## \`switchyard ${c}\\b`, 'm'));
  });

  it('every relative link of README.md and docs/*.md resolves', () => {
    const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8').replace(/```[^]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        const rel = join(dirname(f), target).replace(/\/$/, '');
        if (GENERATED.some((g) => rel === g || rel.startsWith(`${g}/`)) || PENDING.includes(rel)) continue;
        if (!existsSync(join(ROOT, rel))) broken.push(`${f}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
