/**
 * Progress of long commands on standard error: one line redrawn in place on a terminal, plain
 * lines (at most one a second, and one per phase) otherwise; nothing under `--quiet`.
 */
import type { PlanProgress } from '../progress.js';
import type { CliIo } from './run.js';

/** A progress event of a command: a pipeline event, or a phase of the command itself. */
export type CommandProgress = PlanProgress | { readonly phase: string; readonly detail?: string };

/** Prints progress events; `done()` ends the line in place (terminal) before other output. */
export interface ProgressPrinter {
  (event: CommandProgress): void;
  /** Clears the progress line (terminal); call before writing anything else to stderr. */
  done(): void;
}

function secs(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/**
 * The one-line text of an event, e.g. `plan: improve, best 419 nodes, 36,716,544 MiB moved (bound 419 nodes), 4.2 s left`.
 * @param command - the command name
 * @param e - the event
 * @returns the line, without a newline
 */
export function progressLine(command: string, e: CommandProgress): string {
  let line = `${command}: ${e.phase}`;
  if ('detail' in e && e.detail !== undefined) line += ` ${e.detail}`;
  if ('best' in e && e.best !== undefined) {
    const b = e.best;
    const what: string[] = [];
    if (b.nodes !== undefined) what.push(`${b.nodes} nodes`);
    if (b.migrations !== undefined) what.push(`${b.migrations} migrations`);
    if (b.migratedMemory !== undefined) what.push(`${b.migratedMemory.toLocaleString('en-US')} MiB moved`);
    if (b.status !== undefined) what.push(b.status);
    line += `, best ${what.join(', ')}`;
    if ('bound' in e && e.bound !== undefined) line += ` (bound ${e.bound} nodes)`;
  }
  if ('timeLeftMs' in e && e.timeLeftMs !== undefined) line += `, ${secs(e.timeLeftMs)} left`;
  return line;
}

/**
 * A printer of progress events for a CLI command.
 * @param io - the CLI's outside world (`stderrIsTTY` picks the terminal form)
 * @param options - `quiet` silences it; `command` prefixes each line
 * @returns the printer
 * @example
 * ```ts
 * const progress = progressPrinter(io, { quiet: false, command: 'import' });
 * progress({ phase: 'read' });
 * progress.done();
 * ```
 */
export function progressPrinter(io: CliIo, options: { readonly quiet: boolean; readonly command: string }): ProgressPrinter {
  let shown = false;
  let lastPhase = '';
  let lastAt = -Infinity;
  const tty = io.stderrIsTTY === true;
  const print = ((e: CommandProgress) => {
    if (options.quiet) return;
    const now = io.now();
    const newPhase = e.phase !== lastPhase;
    if (!newPhase && now - lastAt < (tty ? 100 : 1000)) return;
    lastPhase = e.phase;
    lastAt = now;
    const line = progressLine(options.command, e);
    if (tty) {
      io.stderr(`\r\x1b[K${line}`);
      shown = true;
    } else io.stderr(`${line}\n`);
  }) as ProgressPrinter;
  print.done = () => {
    if (shown) io.stderr('\r\x1b[K');
    shown = false;
  };
  return print;
}

/** Progress of `switchyard plan`: the callback for `planInstance` and the end of the display. */
export interface PlanProgressDisplay {
  readonly onProgress: (event: PlanProgress) => void;
  /** Prints a phase of the command itself (reading the instance). */
  readonly phase: (phase: string, detail?: string) => void;
  /** Clears the line (terminal) so that other output starts on a clean line. */
  readonly clear: () => void;
  /** Stops the clock and clears the line; call before writing other output. */
  readonly stop: () => void;
}

/**
 * The progress display of `switchyard plan`: every pipeline event, and on a terminal the time
 * left redrawn four times a second while the placement runs.
 * @param io - the CLI's outside world
 * @param quiet - print nothing
 * @param timeLimitMs - the placement budget (for the time left)
 * @returns the display
 */
export function planProgressDisplay(io: CliIo, quiet: boolean, timeLimitMs: number): PlanProgressDisplay {
  const print = progressPrinter(io, { quiet, command: 'plan' });
  let last: PlanProgress | undefined;
  let placeStart = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const placing = (e: PlanProgress): boolean => e.phase !== 'plan' && e.phase !== 'verify';
  const onProgress = (e: PlanProgress): void => {
    if (e.phase === 'place') placeStart = io.now();
    // Keep the best answer known across the steps of the placement.
    last = e.best === undefined && last?.best !== undefined && placing(e) ? { ...e, best: last.best, ...(last.bound === undefined ? {} : { bound: last.bound }) } : e;
    print(last);
  };
  if (!quiet && io.stderrIsTTY === true) {
    timer = setInterval(() => {
      if (last !== undefined && placing(last)) print({ ...last, timeLeftMs: timeLimitMs - (io.now() - placeStart) });
    }, 250);
    timer.unref?.();
  }
  return {
    onProgress,
    phase: (phase, detail) => print(detail === undefined ? { phase } : { phase, detail }),
    clear: () => print.done(),
    stop: () => {
      if (timer !== undefined) clearInterval(timer);
      print.done();
    },
  };
}
