/**
 * The libvirt executor and its helpers.
 *
 * For `switchyard lab --executor libvirt` (or any caller that wants local libvirt "nodes"):
 * ```ts
 * import { startSessionDaemons, libvirtExecutor, tinyDomainXml } from '../execute/libvirt/index.js';
 * const d = await startSessionDaemons({ nodes: ['n1', 'n2', 'n3'] }); // one private libvirtd per node
 * if (!d.ok) { console.error(d.reason); process.exit(3); }
 * const boot = join(d.value.shareDir, 'boot.bin'); // readable by the daemons
 * await writeFile(boot, counterBootSector(), { mode: 0o644 });
 * const ex = libvirtExecutor({
 *   nodes: d.value.nodes,                                  // node → { uri, migrateUri, imageDir }
 *   imageDir: d.value.shareDir,
 *   domainXml: (vm) => tinyDomainXml({ name: vm, memoryMiB: 16, bootImage: boot }),
 *   vms: { c: { state: 'waiting' } },                      // VMs the daemons cannot show
 *   owned: allVmIds,                                       // cleanup destroys their domains
 * });
 * // create the running VMs of the instance: await ex.execute(boot action on its host, ctx) for each
 * // ... executePlan(instance, plan, ex) ...
 * await ex.guestWord('vm1')                                 // the guest's counter, over the QEMU monitor
 * await ex.cleanup();
 * await d.value.stop();                                    // no libvirtd or QEMU left behind
 * ```
 * For a real cluster: `libvirtExecutor({ nodes: { n1: { uri: 'qemu+ssh://root@n1/system' }, ... } })`.
 */
export { describeVirsh, execFileVirsh, quoteForVirsh, virshShell } from './virsh.js';
export type { VirshCall, VirshFailure, VirshFailureKind, VirshResult, VirshRunner, VirshRunnerOptions } from './virsh.js';
export { LIBVIRT_STATE_ENV, LibvirtExecutor, libvirtExecutor } from './executor.js';
export type { LibvirtExecutorOptions, LibvirtNode, LibvirtPowerHooks, LibvirtVmRecord } from './executor.js';
export { tinyDomainXml, xmlEscape } from './domain.js';
export type { TinyDomainOptions } from './domain.js';
export { processesUsing, sessionDaemonsUnavailable, startSessionDaemons } from './daemons.js';
export type { LibvirtUnavailable, SessionDaemons, SessionDaemonsOptions } from './daemons.js';
