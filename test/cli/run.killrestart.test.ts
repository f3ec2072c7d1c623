/**
 * `switchyard run --journal` survives SIGKILL: the built binary plays a small workload on the
 * simulated executor on the wall clock (`--speed`), is killed at random moments and started again
 * on the same journal (and world file) until it ends; then it has played the whole workload:
 * exit 0, every vjob finished, every VM where the controller says. (The controller's own kill
 * test, test/execute/killrestart.test.ts, counts boots to prove no vjob ran twice.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatWorkload } from '../../src/io/workload.js';
import { createRandom } from '../../src/util/random.js';
import { generateWorkload } from '../../src/workload/families.js';
import { shrink } from '../support/workload.js';

const BIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const KILLS = Number(process.env['RUN_KILL_POINTS'] ?? 8);

function start(args: readonly string[]): { readonly done: Promise<{ code: number | null; out: string; err: string }>; readonly kill: () => void } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  return { done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err }))), kill: () => void child.kill('SIGKILL') };
}

describe('switchyard run --journal under SIGKILL (simulated executor, wall clock)', () => {
  it(`killed up to ${KILLS} times at random moments and restarted: the workload is played to its end`, { timeout: 180_000 }, async () => {
    expect(existsSync(BIN), 'dist/src/cli/main.js is missing: run npm run build').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'syrun-kill-'));
    try {
      const file = join(dir, 'w.json');
      writeFileSync(file, formatWorkload(shrink(generateWorkload('besteffort', { nodes: 4, vms: 8, seed: 4 }), 10)));
      const args = ['run', file, '--speed', '150', '--journal', join(dir, 'j'), '--json'];
      const rnd = createRandom(19);
      let kills = 0;
      let last: { code: number | null; out: string; err: string } | undefined;
      for (let round = 0; round < KILLS + 20; round++) {
        const p = start(args);
        const killing = kills < KILLS;
        // node's own start-up is about half a second: land kills from then on
        const timer = killing ? setTimeout(() => p.kill(), 300 + rnd.next() * 1500) : undefined;
        last = await p.done;
        clearTimeout(timer);
        if (last.code === null) kills++;
        else break;
      }
      // the wall clock goes on while the process is down: the workload may end before every kill
      console.log(`switchyard run --journal: ${kills} SIGKILLs, then played to its end`);
      expect(kills).toBeGreaterThanOrEqual(Math.min(KILLS, 3));
      expect(last?.code, last?.err.slice(-3000)).toBe(0);
      const json = JSON.parse(last!.out.trim().split('\n').pop()!) as { verified: boolean; guests: { misplaced: unknown[] }; policies: { switch: { x: { unfinished: number } } } };
      expect(json.guests.misplaced).toEqual([]);
      expect(json.verified).toBe(true);
      expect(json.policies.switch.x.unfinished).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
