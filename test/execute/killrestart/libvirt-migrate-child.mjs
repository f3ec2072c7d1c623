// A process that live-migrates one guest on the libvirt executor, for the libvirt kill/restart test
// (test/execute/killrestart.libvirt.test.ts), which SIGKILLs it while the migration is in flight.
//
//   node libvirt-migrate-child.mjs <dir> <vm>
//
// <dir> holds libvirt.json ({ nodes, shareDir, boot }) and the executor's state file
// (executor.json). The VM is booted on the first node unless it runs already; then it is migrated
// to the next node. Prints `migrating` just before the migration, `done` after it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { libvirtExecutor } from '../../../dist/src/execute/libvirt/executor.js';
import { tinyDomainXml } from '../../../dist/src/execute/libvirt/domain.js';

const [dir, vm] = process.argv.slice(2);
const lv = JSON.parse(readFileSync(join(dir, 'libvirt.json'), 'utf8'));
const ids = Object.keys(lv.nodes);
const ex = libvirtExecutor({
  nodes: lv.nodes,
  imageDir: lv.shareDir,
  domainXml: (name) => tinyDomainXml({ name, memoryMiB: 8, bootImage: lv.boot }),
  stateFile: join(dir, 'executor.json'),
});
const ctx = { signal: new AbortController().signal, attempt: 1, expectedSeconds: 1 };
let p = (await ex.observe()).vms.get(vm);
if (p === undefined) {
  await ex.define({ id: vm });
  p = (await ex.observe()).vms.get(vm);
}
if (p?.state === 'waiting') {
  const out = await ex.execute({ id: 0, start: 0, end: 1, type: 'boot', vm, to: ids[0] }, ctx);
  if (!out.ok) throw new Error(out.error.message);
  p = (await ex.observe()).vms.get(vm);
}
if (p?.state !== 'running') throw new Error(`${vm} is ${p?.state}`);
const to = ids[(ids.indexOf(p.host) + 1) % ids.length];
process.stdout.write('migrating\n');
const out = await ex.execute({ id: 1, start: 0, end: 1, type: 'migrate', vm, from: p.host, to }, ctx);
process.stdout.write(`done ${JSON.stringify(out)}\n`);
process.exit(0);
