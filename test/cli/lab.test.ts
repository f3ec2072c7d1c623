/**
 * `switchyard lab` for real: the built binary starts QEMU guests, plans, executes, verifies and
 * cleans up. Under CI=true it always runs; without CI it skips, saying so, when QEMU is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { labInstance } from '../../src/cli/lab.js';
import { runCli, type CliIo } from '../../src/cli/run.js';
import { sessionDaemonsUnavailable } from '../../src/execute/libvirt/index.js';
import { findSwitchyardQemu } from '../../src/execute/qemu/process.js';
import { planInstance } from '../../src/pipeline.js';

const CI = process.env.CI === 'true';
const haveQemu =
  spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const SKIP = !haveQemu && !CI ? 'qemu-system-x86_64 or setpriv not installed (CI=true requires them)' : false;
if (SKIP) console.warn(`switchyard lab test skipped: ${SKIP}`);
const libvirtMissing = await sessionDaemonsUnavailable();
const SKIP_LIBVIRT = libvirtMissing && !CI ? `libvirt session daemons need ${libvirtMissing} (CI=true requires them)` : false;
if (SKIP_LIBVIRT) console.warn(`switchyard lab --executor libvirt test skipped: ${SKIP_LIBVIRT}`);

async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    readFile: () => Promise.reject(new Error('no files')),
    writeFile: () => Promise.resolve(),
    now: () => performance.now(),
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('switchyard lab: options and scenario (no QEMU needed)', () => {
  it('rejects bad options with a usage error naming the option', async () => {
    for (const [argv, what] of [
      [['lab', '--nodes', '1'], '--nodes'],
      [['lab', '--vms', 'many'], '--vms'],
      [['lab', '--executor', 'xen'], '--executor'],
      [['lab', '--bogus'], 'bogus'],
      [['lab', '--kill-node', 'n9@1'], 'n1..n4'],
      [['lab', '--kill-node', 'n1'], 'NODE@SECONDS'],
      [['lab', '--kill-node', 'n1@1', '--executor', 'libvirt'], 'qemu'],
    ] as const) {
      const r = await inProcess([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(what);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const help = await inProcess(['lab', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--executor');
  });

  it('the lab cluster consolidates with migrations, a suspend and a resume', async () => {
    const inst = labInstance(4, 8);
    expect(inst.vms.size).toBe(8);
    const plan = await planInstance(inst, { seed: 1, timeLimitMs: 5000 });
    expect(plan.status).not.toBe('infeasible');
    const types = plan.actions.map((a) => a.type);
    expect(types.filter((t) => t === 'migrate').length).toBeGreaterThanOrEqual(2);
    expect(types).toContain('suspend');
    expect(types).toContain('resume');
    expect(types).toContain('shutdownNode');
  });
});

describe.skipIf(SKIP !== false)('switchyard lab on real guests', () => {
  it('lab --json: every action carried out, every guest where the plan says and still counting, nothing left behind', async () => {
    const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
    expect(existsSync(bin), 'dist/src/cli/main.js is missing: run npm run build').toBe(true);
    // A private temp dir: the lab's guests and sockets live under it, so the scan below finds
    // exactly this run's QEMU processes (other test files may run guests at the same time).
    const tmp = await mkdtemp('/tmp/sylab-');
    try {
      const r = await promisify(execFile)(process.execPath, [bin, 'lab', '--nodes', '4', '--vms', '8', '--json'], {
        env: { ...process.env, TMPDIR: tmp },
        timeout: 120_000,
      });
      const lines = r.stdout.trim().split('\n');
      const s = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
      expect(s).toMatchObject({ executor: 'qemu', nodes: 4, vms: 8, failed: 0, skipped: 0, suspends: 1, resumes: 1, verified: true, lost: [] });
      expect(s.executed).toBe(s.actions);
      expect(s.migrations as number).toBeGreaterThanOrEqual(2);
      expect(s.wallSeconds as number).toBeGreaterThan(0);
      const guests = s.guests as { vm: string; expected: string; observed: string; counterBefore: number; counterAfter: number; ok: boolean }[];
      expect(guests).toHaveLength(8);
      for (const g of guests) {
        expect(g.observed, g.vm).toBe(g.expected);
        expect(g.ok, g.vm).toBe(true);
        if (g.expected.startsWith('running')) expect(g.counterAfter, g.vm).toBeGreaterThan(g.counterBefore);
      }
      expect(r.stderr).toContain('verified');
      console.log(`lab 4 nodes / 8 VMs: wall ${s.wallSeconds} s (execute ${s.executeSeconds} s), migrations ${JSON.stringify(s.migrationMs)} ms, downtime ${JSON.stringify(s.migrationDowntimeMs)} ms`);
      expect(await findSwitchyardQemu(tmp)).toEqual([]);
      expect(await readdir(tmp)).toEqual([]); // the lab removed its directory
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe.skipIf(SKIP !== false)('switchyard lab --kill-node on real guests', () => {
  it('a node dies mid-plan: exit 4, its guests reported lost, every other guest in one known place, nothing left behind', async () => {
    const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
    const tmp = await mkdtemp('/tmp/sylab-');
    try {
      const r = await promisify(execFile)(process.execPath, [bin, 'lab', '--kill-node', 'n1@0.05', '--json'], { env: { ...process.env, TMPDIR: tmp }, timeout: 120_000 }).then(
        (ok) => ({ code: 0, stdout: ok.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
      expect(r.code).toBe(4);
      const lines = r.stdout.trim().split('\n');
      const s = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
      expect(s.verified).toBe(false);
      expect(s.lostNodes).toEqual(['n1']);
      expect(s.lost).toEqual(['vm1', 'vm5']); // the guests n1 ran (no checkpoint)
      const guests = s.guests as { vm: string; observed: string }[];
      for (const g of guests) {
        if (g.vm === 'vm1' || g.vm === 'vm5') expect(g.observed).toBe('lost');
        else expect(g.observed, g.vm).toMatch(/^(running|sleeping)@n[2-4]$/);
      }
      expect(await findSwitchyardQemu(tmp)).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe.skipIf(SKIP_LIBVIRT !== false)('switchyard lab --executor libvirt on real session daemons', () => {
  it('lab --executor libvirt --json: one daemon per node, the plan carried out through virsh, every guest verified', async () => {
    const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
    const r = await promisify(execFile)(process.execPath, [bin, 'lab', '--executor', 'libvirt', '--nodes', '2', '--vms', '4', '--json'], { timeout: 120_000 });
    const lines = r.stdout.trim().split('\n');
    const s = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    expect(s).toMatchObject({ executor: 'libvirt', nodes: 2, vms: 4, failed: 0, skipped: 0, migrations: 1, suspends: 1, resumes: 1, verified: true, lost: [] });
    expect(s.executed).toBe(s.actions);
    for (const g of s.guests as { vm: string; expected: string; observed: string; ok: boolean }[]) {
      expect(g.observed, g.vm).toBe(g.expected);
      expect(g.ok, g.vm).toBe(true);
    }
    console.log(`lab --executor libvirt 2 nodes / 4 VMs: wall ${s.wallSeconds} s (setup ${s.setupSeconds} s, execute ${s.executeSeconds} s), migration ${JSON.stringify(s.migrationMs)} ms`);
  });
});
