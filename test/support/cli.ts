/**
 * The CLI run in-process on an in-memory file system: what a command printed, its exit code and
 * the files it wrote.
 */
import { runCli, type CliIo } from '../../src/cli/run.js';

/** What one in-memory run of the CLI gave. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** The file system after the run (the map passed in, written to). */
  readonly files: Map<string, string>;
}

/**
 * The CLI's outside world in memory: files in a map, output collected.
 * @param files - the files (written files land there too)
 * @param now - the clock (default: a clock that never moves)
 * @returns the io, and readers of what was printed
 */
export function memoryIo(files: Map<string, string>, now: () => number = () => 0): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readFile: async (p) => {
      const v = files.get(p);
      if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return v;
    },
    writeFile: async (p, s) => void files.set(p, s),
    now,
  };
  return { io, out: () => out, err: () => err };
}

/**
 * Runs `switchyard ARGV` with files read from and written to `files`.
 * @param argv - the arguments after `switchyard`
 * @param files - the file system (a missing file reads as ENOENT)
 * @param now - the clock (default: a clock that never moves)
 * @returns the exit code, standard output and error, and the files
 */
export async function runInMemory(argv: readonly string[], files: Map<string, string> = new Map(), now: () => number = () => 0): Promise<CliRun> {
  const m = memoryIo(files, now);
  const code = await runCli([...argv], m.io);
  return { code, out: m.out(), err: m.err(), files };
}
