/**
 * The domain XML of a tiny guest for the libvirt executor: `<domain type='qemu'>` (software
 * emulation, the libvirt spelling of `-accel tcg`), no network, no graphics, optionally the
 * counting boot sector of the QEMU executor on a read-only floppy.
 */

/** What {@link tinyDomainXml} needs. */
export interface TinyDomainOptions {
  /** The domain name: any text without a newline (it is XML-escaped here). */
  readonly name: string;
  /** Guest memory in MiB (default 16). */
  readonly memoryMiB?: number;
  /** Absolute path of a raw boot image read-only to the guest (e.g. `counterBootSector()` written to a file); none boots nothing and idles in the BIOS. */
  readonly bootImage?: string;
  /** The QEMU binary (default `/usr/bin/qemu-system-x86_64`). */
  readonly emulator?: string;
  /** The domain type (default `qemu`; the `test:///` driver wants `test`). */
  readonly type?: 'qemu' | 'test';
}

/**
 * Escapes text for an XML attribute or element.
 * @param s - the text
 * @returns the escaped text
 * @example
 * ```ts
 * xmlEscape(`a<b & "c"`); // 'a&lt;b &amp; &quot;c&quot;'
 * ```
 */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * The XML of a tiny, diskless (or boot-sector-only) QEMU guest under TCG.
 * @param options - name, memory, boot image
 * @returns the domain XML
 * @example
 * ```ts
 * await writeFile('vm.xml', tinyDomainXml({ name: 'vm1', bootImage: '/tmp/boot.bin' })); // virsh create vm.xml
 * ```
 */
export function tinyDomainXml(options: TinyDomainOptions): string {
  const mem = Math.max(1, Math.round(options.memoryMiB ?? 16));
  const emulator = options.emulator ?? '/usr/bin/qemu-system-x86_64';
  const disk = options.bootImage
    ? `    <disk type='file' device='floppy'><driver name='qemu' type='raw'/><source file='${xmlEscape(options.bootImage)}'/><target dev='fda' bus='fdc'/><readonly/></disk>\n`
    : '';
  return [
    `<domain type='${options.type ?? 'qemu'}'>`,
    `  <name>${xmlEscape(options.name)}</name>`,
    `  <memory unit='MiB'>${mem}</memory>`,
    `  <vcpu>1</vcpu>`,
    `  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='${options.bootImage ? 'fd' : 'hd'}'/></os>`,
    `  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>`,
    `  <devices>`,
    `    <emulator>${xmlEscape(emulator)}</emulator>`,
    disk + `    <serial type='null'/>`,
    `    <video><model type='none'/></video>`,
    `    <memballoon model='none'/>`,
    `  </devices>`,
    `</domain>`,
    '',
  ].join('\n');
}
