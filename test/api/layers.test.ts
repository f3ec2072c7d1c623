import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * The layers of `src/`, from the ground up: a folder (or top-level file) imports only from
 * layers strictly below its own. `solvers/` (backends, models, worker runtime, the search) sits
 * below `decide/` and `place/`, and the one dense problem (`problem/`) below every solver.
 */
const RANK: Readonly<Record<string, number>> = {
  util: 0,
  errors: 0,
  version: 0,
  progress: 0,
  model: 1,
  constraints: 2,
  workload: 2,
  problem: 3,
  plan: 3,
  solvers: 4,
  io: 4,
  report: 4,
  decide: 5,
  place: 6,
  pipeline: 7,
  execute: 8,
  cli: 9,
  index: 10,
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer of a file under `src/`: its top folder, or its own name for a top-level file. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '');
}

/** Every relative import of every source file, as (importing layer, imported layer, file). */
function imports(): { from: string; to: string; file: string; spec: string }[] {
  const out: { from: string; to: string; file: string; spec: string }[] = [];
  for (const file of filesUnder(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts');
      out.push({ from: layerOf(file), to: layerOf(target), file: relative(SRC, file), spec: m[1]! });
    }
  }
  return out;
}

describe('layers of src/', () => {
  const all = imports();

  it('names the layer of every folder and top-level file', () => {
    const layers = new Set(filesUnder(SRC).map(layerOf));
    expect([...layers].filter((l) => RANK[l] === undefined)).toEqual([]);
  });

  it('import downward only', () => {
    const upward = all.filter((i) => i.from !== i.to && !(RANK[i.to]! < RANK[i.from]!)).map((i) => `${i.file} imports ${i.spec}`);
    expect(upward).toEqual([]);
  });

  it('read several imports (the check is not vacuous)', () => {
    expect(all.some((i) => i.from === 'solvers' && i.to === 'problem')).toBe(true);
    expect(all.some((i) => i.from === 'place' && i.to === 'solvers')).toBe(true);
    expect(all.filter((i) => i.from === 'solvers' && (i.to === 'place' || i.to === 'decide'))).toEqual([]);
  });
});
