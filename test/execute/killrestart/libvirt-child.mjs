// A controller process for the libvirt kill/restart test (test/execute/killrestart.libvirt.test.ts):
// `createController` on the libvirt executor, on session daemons the test started (they, and the
// guests, outlive this process), with a file journal, the executor's state file, and a wall clock
// whose origin is kept in a side file. The test SIGKILLs it at random moments and starts it again on
// the same files until it ends. It imports the built package (dist/).
//
//   node libvirt-child.mjs <dir> <speed>
//
// <dir> holds workload.json (instance + jobs) and libvirt.json ({ nodes, shareDir, boot }: the
// daemons' URIs, the shared directory, the guests' boot sector), and receives journal,
// executor.json and origin.json. Prints one JSON line at the end: { done: true, records } and
// exits 0. It never cleans the executor up: the domains are the world the test checks.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { wallClock } from '../../../dist/src/execute/clock.js';
import { createController } from '../../../dist/src/execute/controller/controller.js';
import { openJournal } from '../../../dist/src/execute/controller/journal.js';
import { LIBVIRT_STATE_ENV, libvirtExecutor } from '../../../dist/src/execute/libvirt/executor.js';
import { virshShell } from '../../../dist/src/execute/libvirt/virsh.js';
import { tinyDomainXml } from '../../../dist/src/execute/libvirt/domain.js';
import { validateInstance } from '../../../dist/src/io/instance.js';

const [dir, speedText = '10'] = process.argv.slice(2);
const speed = Number(speedText);
const spec = JSON.parse(readFileSync(join(dir, 'workload.json'), 'utf8'));
const lv = JSON.parse(readFileSync(join(dir, 'libvirt.json'), 'utf8'));
const parsed = validateInstance(spec.instance);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const instance = parsed.value;

/** The clock's origin, written once (atomically) so that every restart goes on with the same time. */
function origin() {
  const file = join(dir, 'origin.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).origin;
  const o = Date.now() / 1000;
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, JSON.stringify({ origin: o }));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
  return o;
}

const clock = wallClock({ speed, origin: origin() });
const opened = openJournal(join(dir, 'journal'));
if (!opened.ok) {
  process.stderr.write(`${opened.error.message}\n`);
  process.exit(2);
}
const journal = opened.journal;
const stateFile = join(dir, 'executor.json');
// One interactive virsh per daemon (no process start per command on 2 busy cores), marked with the
// state file as the default runner marks its processes, so that a restarted executor waits for them
// (an orphaned session ends its command, reads the end of its stdin and exits).
const virsh = virshShell({ env: { ...process.env, [LIBVIRT_STATE_ENV]: stateFile } });
const ex = libvirtExecutor({
  virsh,
  nodes: lv.nodes,
  imageDir: lv.shareDir,
  domainXml: (vm) => tinyDomainXml({ name: vm, memoryMiB: 8, bootImage: lv.boot }),
  stateFile,
  shutdownGraceMs: 200,
  commandTimeoutMs: 60_000,
});
const keys = new Set(journal.records.map((r) => r.key).filter((k) => k !== undefined));
// Real actions take their wall time × the speed in controller seconds, on 2 busy cores: room.
const c = createController({ instance, executor: ex, journal, clock, execution: { timeoutFactor: 20, timeoutSlack: 200 } });
for (const job of spec.jobs) if (!keys.has(`submit:${job.id}`)) c.submit(job, { key: `submit:${job.id}` });
await c.run({ untilIdle: true });
const records = journal.records.length;
journal.close();
await virsh.close();
process.stdout.write(`${JSON.stringify({ done: true, records })}\n`);
process.exit(0);
