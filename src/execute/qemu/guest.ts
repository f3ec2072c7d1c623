/**
 * The tiny guest of the QEMU executor: a 512-byte boot sector, assembled here byte by byte, that
 * counts on the serial port. Every timer tick (the BIOS programs the PIT at 18.2 Hz) it adds one
 * to a 32-bit counter kept in its own memory and prints the counter in decimal and a newline on
 * COM1, then halts until the next interrupt (so an idle guest costs almost no host CPU under TCG).
 *
 * Its whole state is guest memory and registers, so a live migration or a suspend/resume that
 * works shows up as a counter that keeps going; one that restarts the guest shows up as a
 * counter that starts again at 1.
 */

/** Guest-physical address of the 32-bit counter (inside the boot sector, loaded at 0x7C00). */
export const COUNTER_ADDRESS = 0x7c4b;

/**
 * The boot sector: real-mode x86 code, padded to 512 bytes, ending with the 0x55 0xAA signature.
 *
 * ```
 * 7C00  cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7C00; sti
 * 7C0B  loop: inc dword [counter]; mov eax,[counter]; mov ecx,10; xor bx,bx
 * 7C1C  div:  xor edx,edx; div ecx; push dx; inc bx; test eax,eax; jnz div
 * 7C29  out:  pop ax; add al,'0'; call putc; dec bx; jnz out
 * 7C32        mov al,10; call putc; hlt; jmp loop
 * 7C3A  putc: mov ah,al; mov dx,0x3FD; wait: in al,dx; test al,0x20; jz wait
 * 7C44        mov al,ah; mov dx,0x3F8; out dx,al; ret
 * 7C4B  counter: dd 0
 * ```
 * @returns a fresh 512-byte image
 * @example
 * ```ts
 * await writeFile('boot.bin', counterBootSector()); // qemu-system-x86_64 -drive file=boot.bin,format=raw,if=floppy
 * ```
 */
export function counterBootSector(): Uint8Array {
  const lo = COUNTER_ADDRESS & 0xff;
  const hi = COUNTER_ADDRESS >> 8;
  // prettier-ignore
  const code = [
    0xfa,                               // cli
    0x31, 0xc0,                         // xor ax,ax
    0x8e, 0xd8,                         // mov ds,ax
    0x8e, 0xd0,                         // mov ss,ax
    0xbc, 0x00, 0x7c,                   // mov sp,0x7c00
    0xfb,                               // sti
    // loop (0x0b):
    0x66, 0xff, 0x06, lo, hi,           // inc dword [counter]
    0x66, 0xa1, lo, hi,                 // mov eax,[counter]
    0x66, 0xb9, 0x0a, 0x00, 0x00, 0x00, // mov ecx,10
    0x31, 0xdb,                         // xor bx,bx        (digit count)
    // div (0x1c):
    0x66, 0x31, 0xd2,                   // xor edx,edx
    0x66, 0xf7, 0xf1,                   // div ecx
    0x52,                               // push dx          (one digit)
    0x43,                               // inc bx
    0x66, 0x85, 0xc0,                   // test eax,eax
    0x75, 0xf3,                         // jnz div
    // out (0x29):
    0x58,                               // pop ax
    0x04, 0x30,                         // add al,'0'
    0xe8, 0x0b, 0x00,                   // call putc
    0x4b,                               // dec bx
    0x75, 0xf7,                         // jnz out
    0xb0, 0x0a,                         // mov al,10
    0xe8, 0x03, 0x00,                   // call putc
    0xf4,                               // hlt              (until the next timer tick)
    0xeb, 0xd1,                         // jmp loop
    // putc (0x3a):
    0x88, 0xc4,                         // mov ah,al
    0xba, 0xfd, 0x03,                   // mov dx,0x3fd     (line status register)
    0xec,                               // wait: in al,dx
    0xa8, 0x20,                         // test al,0x20     (transmit holding register empty)
    0x74, 0xfb,                         // jz wait
    0x88, 0xe0,                         // mov al,ah
    0xba, 0xf8, 0x03,                   // mov dx,0x3f8     (COM1 data)
    0xee,                               // out dx,al
    0xc3,                               // ret
    // counter (0x4b):
    0x00, 0x00, 0x00, 0x00,
  ];
  if (code.length !== (COUNTER_ADDRESS - 0x7c00) + 4) throw new Error('boot sector layout is off');
  const image = new Uint8Array(512);
  image.set(code, 0);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

/** What a guest's serial log says about its counter. */
export interface CounterLog {
  /** Every complete counter line, in order. */
  readonly values: readonly number[];
  /** The last value, 0 when none was printed yet. */
  readonly last: number;
  /** Times the counter did not go up by exactly one from one line to the next (a restart or a lost state). */
  readonly breaks: number;
  /** True when the log starts at 1 and every line is the previous plus one. */
  readonly continuous: boolean;
}

/**
 * Reads a guest's serial log (every process of one VM appends to the same log, so a migrated
 * guest's lines follow its source's). Lines that are not numbers (firmware chatter) and a last
 * line without its newline are ignored.
 * @param text - the log's contents
 * @returns the counter values and whether they ran on without a restart
 * @example
 * ```ts
 * parseCounterLog('1\n2\n3\n4').last; // 3 (the "4" has no newline yet)
 * parseCounterLog('1\n2\n1\n').continuous; // false: the guest restarted
 * ```
 */
export function parseCounterLog(text: string): CounterLog {
  const lines = text.split('\n');
  lines.pop(); // the part after the last newline is incomplete (or empty)
  const values: number[] = [];
  for (const l of lines) if (/^[0-9]+$/.test(l)) values.push(Number(l));
  let breaks = 0;
  for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]! + 1) breaks++;
  return {
    values,
    last: values.length === 0 ? 0 : values[values.length - 1]!,
    breaks,
    continuous: breaks === 0 && (values.length === 0 || values[0] === 1),
  };
}
