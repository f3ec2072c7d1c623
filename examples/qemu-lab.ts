/**
 * The QEMU lab, as a program: tiny real guests (QEMU under software emulation, booting a
 * 512-byte sector that counts in memory and on its serial port) stand for the VMs of a cluster of
 * simulated nodes. switchyard plans a consolidation and the QEMU executor carries it out: live
 * migrations over QMP between real QEMU processes, then a node shutdown. Afterwards every guest
 * runs where the plan says and its counter kept going (it was moved, not restarted).
 * `switchyard lab` does the same with a progress display.
 *
 * Needs qemu-system-x86_64 and setpriv (util-linux). Without them it says so and exits 0, except
 * under CI=true, where it fails.
 *
 * Run: `npm run build && node dist/examples/qemu-lab.js`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { executePlan, makeInstance, planInstance, QemuExecutor, summarizePlan } from 'switchyard';

const have = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['qemu-system-x86_64', 'setpriv'].filter((c) => !have(c));

async function lab(): Promise<void> {
  // Three nodes of 2 cpus, three 1-cpu guests of 16 MiB, one per node: two nodes are enough.
  const node = (id: string) => ({ id, capacity: { cpu: 2, memory: 32 } });
  const guest = (id: string, host: string) => ({ id, demand: { cpu: 1, memory: 16 }, state: 'running' as const, host });
  const instance = makeInstance({
    nodes: [node('n1'), node('n2'), node('n3')],
    vms: [guest('g1', 'n1'), guest('g2', 'n2'), guest('g3', 'n3')],
    objective: { type: 'consolidate', powerOff: true },
    // what the tiny guests take: 16 MiB at ~100 MiB/s, a second to power a node on or off
    durations: { bandwidth: 100, diskRate: 100, bootVm: 1, shutdownVm: 1, bootNode: 1, shutdownNode: 0.5 },
  });

  const qemu = await QemuExecutor.create({ memoryMiB: 16 });
  try {
    await qemu.provision(instance); // one QEMU process per guest, on its node
    const before = new Map<string, number>();
    for (const id of instance.vms.keys()) {
      let c = 0;
      for (let i = 0; i < 400 && c < 3; i++, await sleep(25)) c = (await qemu.counter(id)) ?? 0;
      assert.ok(c >= 3, `guest ${id} is counting`);
      before.set(id, c);
    }

    const plan = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
    console.log(summarizePlan(plan, instance));
    assert.notEqual(plan.status, 'infeasible');
    if (plan.status === 'infeasible') return;
    assert.ok(plan.actions.some((a) => a.type === 'migrate'), 'consolidation migrates a guest');

    const report = await executePlan(instance, plan, qemu, { backoff: { initial: 0.2 } });
    assert.equal(report.complete, true, `every action carried out: ${JSON.stringify(report.counts)}`);
    assert.deepEqual(report.lost, []);
    assert.deepEqual(report.observedTarget, plan.target);

    for (const [id, start] of before) {
      const now = await qemu.counter(id);
      assert.ok(now !== undefined && now > start, `guest ${id} kept counting (${start} → ${now})`);
      const log = await qemu.consoleLog(id);
      assert.equal(log.continuous, true, `guest ${id}'s serial log has no restart`);
      console.log(`  ${id}: on ${plan.target.vms[id]?.host}, counter ${start} → ${now}`);
    }
    const moves = qemu.migrations();
    console.log(`qemu lab: ${report.counts.succeeded}/${plan.actions.length} actions, ${moves.length} live migrations (${moves.map((m) => `${m.vm} ${m.from}→${m.to} ${m.wallMs.toFixed(0)} ms`).join(', ')})`);
  } finally {
    await qemu.cleanup(); // kills every guest and removes its files, also after a failure
  }
}

if (missing.length > 0) {
  const message = `qemu-lab example: ${missing.join(' and ')} not installed; install qemu-system-x86 and util-linux to run it`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true requires them)`);
  console.log(`${message}. Skipped.`);
} else {
  await lab();
}
