/**
 * `switchyard run --executor libvirt`: the built binary plays a small shortened best-effort
 * workload (arrivals, a reservation, a node failure and its repair) on one private libvirt
 * session daemon per node, every submitted VM `virsh define`d, and checks every guest against
 * where the controller says it is. Under CI=true it always runs; without CI it skips, saying so,
 * when libvirt is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sessionDaemonsUnavailable } from '../../src/execute/libvirt/index.js';
import { formatWorkload } from '../../src/io/workload.js';
import { generateWorkload } from '../../src/workload/families.js';
import { shrink } from '../support/workload.js';

const CI = process.env.CI === 'true';
const missing = await sessionDaemonsUnavailable();
const SKIP = missing && !CI ? `libvirt session daemons need ${missing} (CI=true requires them)` : false;
if (SKIP) console.warn(`switchyard run --executor libvirt skipped: ${SKIP}`);

describe.skipIf(SKIP !== false)('switchyard run on libvirt session daemons', () => {
  it('3 nodes: the workload is played to its end through virsh, every guest where the controller says', { timeout: 300_000 }, async () => {
    const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
    expect(existsSync(bin), 'dist/src/cli/main.js is missing: run npm run build').toBe(true);
    const w = shrink(generateWorkload('besteffort', { nodes: 3, vms: 4, seed: 2 }), 20);
    const tmp = await mkdtemp('/tmp/syrunl-');
    const file = join(tmp, 'w.json');
    await writeFile(file, formatWorkload(w));
    try {
      const t0 = Date.now();
      const r = await promisify(execFile)(process.execPath, [bin, 'run', file, '--executor', 'libvirt', '--speed', '20', '--json'], { timeout: 280_000, maxBuffer: 64 * 1024 * 1024 }).then(
        (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
      const lines = r.stdout.trim().split('\n');
      const s = JSON.parse(lines[lines.length - 1]!) as { executor: string; verified: boolean; guests: { checked: number; misplaced: unknown[] }; policies: Record<string, { x: { unfinished: number } }> };
      console.log(`switchyard run on libvirt, 3 nodes / ${s.guests.checked} guests at ×20: wall ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(r.code, r.stderr.slice(-4000)).toBe(0);
      expect(s.executor).toBe('libvirt');
      expect(s.guests.misplaced).toEqual([]);
      expect(s.verified).toBe(true);
      expect(s.policies['switch']!.x.unfinished).toBe(0);
      expect(r.stderr).toContain('nodeFailed');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
