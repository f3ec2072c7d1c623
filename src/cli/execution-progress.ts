/**
 * The engine's progress for the command line: a bar redrawn in place on a terminal, one plain
 * line per event otherwise (logs, pipes, CI).
 */
import { describeAction } from '../execute/actions.js';
import type { ProgressEvent } from '../execute/engine.js';

/** A progress display: feed it the engine's events, then call `finish`. */
export interface ProgressDisplay {
  readonly onProgress: (event: ProgressEvent) => void;
  readonly finish: () => void;
}

/**
 * Builds a progress display.
 * @param write - where the text goes
 * @param tty - whether `write` goes to a terminal (redrawn bar) or not (plain lines)
 * @param unit - how times are labelled (`s`, or `s (simulated)`)
 * @returns the display
 * @example
 * ```ts
 * const p = progressDisplay((t) => process.stderr.write(t), process.stderr.isTTY === true);
 * await executePlan(instance, plan, executor, { onProgress: p.onProgress });
 * p.finish();
 * ```
 */
export function progressDisplay(write: (text: string) => void, tty: boolean, unit = 's'): ProgressDisplay {
  let drawn = false;
  const at = (t: number): string => `${t.toFixed(2).padStart(8)} ${unit}`;
  return {
    onProgress: (e) => {
      if (tty) {
        if (e.type !== 'started' && e.type !== 'ended') return;
        const width = 30;
        const full = Math.round(e.fraction * width);
        const what = e.type === 'started' ? 'start' : e.status;
        write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(e.fraction * 100)).padStart(3)}% ${e.done}/${e.total} ${what} ${describeAction(e.action)}\x1b[K`);
        drawn = true;
        return;
      }
      switch (e.type) {
        case 'round':
          if (e.round > 1) write(`${at(e.time)}  re-plan: round ${e.round}, ${e.actions} actions\n`);
          return;
        case 'started':
          write(`${at(e.time)}  start     ${describeAction(e.action)}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}\n`);
          return;
        case 'retrying':
          write(`${at(e.time)}  retry     ${describeAction(e.action)} in ${e.delay} s: ${e.error.message}\n`);
          return;
        case 'ended':
          write(`${at(e.time)}  ${e.status.padEnd(9)} ${describeAction(e.action)} [${e.done}/${e.total}, ${Math.round(e.fraction * 100)}%]${e.error ? `: ${e.error.message}` : ''}\n`);
          return;
        case 'checkpoint':
          write(`${at(e.time)}  checkpoint ${e.vm}${e.ok ? ` → ${e.image}` : ` failed: ${e.error?.message ?? ''}`}\n`);
          return;
      }
    },
    finish: () => {
      if (drawn) write('\n');
      drawn = false;
    },
  };
}
