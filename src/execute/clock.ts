/**
 * Clocks for the execution engine: the system clock for real executors, and a virtual clock for
 * simulations, on which time passes only while someone waits (so a simulated plan of hours runs
 * in milliseconds, the same way every time).
 */
import { performance } from 'node:perf_hooks';
import { SwitchyardError } from '../errors.js';
import { Heap } from '../plan/heap.js';

/** What the engine and the simulated executor need of time, in seconds. */
export interface Clock {
  /** Seconds since the clock's origin. */
  now(): number;
  /**
   * Waits `seconds` (0 or less: until the next turn). Resolves `true` when the time has passed,
   * `false` as soon as `signal` aborts (it never rejects).
   */
  sleep(seconds: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * Optional: runs `work` with time standing still (a virtual clock does not jump ahead while a
   * decision is computed, whatever the decision awaits). A real clock has no such method.
   */
  hold?<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * The system clock: `performance.now()` and `setTimeout`.
 * @returns a clock whose origin is the moment it was made
 * @example
 * ```ts
 * const clock = systemClock();
 * await clock.sleep(0.5);
 * clock.now(); // ≈ 0.5
 * ```
 */
export function systemClock(): Clock {
  const t0 = performance.now();
  return {
    now: () => (performance.now() - t0) / 1000,
    sleep: (seconds, signal) =>
      new Promise<boolean>((resolve) => {
        if (signal?.aborted) return resolve(false);
        // setTimeout fires at once beyond 2^31 − 1 ms: wait in steps (forever: only the signal ends it).
        const end = performance.now() + Math.max(0, seconds * 1000);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve(false);
        };
        const step = (): void => {
          const left = end - performance.now();
          if (left > 0) {
            timer = setTimeout(step, Math.min(left, MAX_TIMEOUT_MS));
            return;
          }
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timer = setTimeout(step, Math.min(Math.max(0, seconds * 1000), MAX_TIMEOUT_MS));
      }),
  };
}

/** The longest delay `setTimeout` keeps (longer ones fire at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Options of {@link wallClock}. */
export interface WallClockOptions {
  /** Clock seconds per real second (default 1; 60: a minute passes every real second). */
  readonly speed?: number;
  /** The real instant, in epoch seconds, at which the clock shows 0 (default: the moment it is made). */
  readonly origin?: number;
}

/** A clock that follows real time from a fixed origin, at some speed ({@link wallClock}). */
export interface WallClock extends Clock {
  /** Epoch seconds at which it showed 0: journal it to go on with the same time after a restart. */
  readonly origin: number;
  /** Clock seconds per real second. */
  readonly speed: number;
}

/**
 * A clock on real time that outlives its process: `now()` is `(Date.now()/1000 − origin) × speed`,
 * so a process restarted with the same origin goes on with the same time (the time it was down
 * included), and `sleep(s)` waits `s / speed` real seconds (abortable, as {@link systemClock}).
 * @param options - speed (default 1) and origin in epoch seconds (default now)
 * @returns the clock
 * @throws SwitchyardError `invalid-options` for a speed that is not a finite number > 0 or an origin that is not finite
 * @example
 * ```ts
 * const clock = wallClock({ speed: 60 }); // an hour of clock time per real minute
 * journal.append({ type: 'start', time: 0, seed: 1, x: { origin: clock.origin } });
 * // after a restart:
 * const again = wallClock({ speed: 60, origin: recordedOrigin });
 * ```
 */
export function wallClock(options: WallClockOptions = {}): WallClock {
  const speed = options.speed ?? 1;
  const origin = options.origin ?? Date.now() / 1000;
  const issues = [];
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0) issues.push({ path: 'speed', message: `speed must be a finite number > 0, got ${String(speed)}` });
  if (typeof origin !== 'number' || !Number.isFinite(origin)) issues.push({ path: 'origin', message: `origin must be a finite number of epoch seconds, got ${String(origin)}` });
  if (issues.length > 0) throw new SwitchyardError('invalid-options', issues);
  const real = systemClock();
  return {
    origin,
    speed,
    now: () => (Date.now() / 1000 - origin) * speed,
    sleep: (seconds, signal) => real.sleep(seconds / speed, signal),
  };
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
  /** A sleeper (someone waits on it) rather than a scheduled callback. */
  readonly sleeper: boolean;
  cancelled: boolean;
}

/**
 * A virtual clock. Time stands still until every pending promise reaction has run and someone
 * is sleeping on the clock; then it jumps to the earliest timer and fires it (ties: in the order
 * they were set). Callbacks set with {@link VirtualClock.at} fire when time passes them, but do not
 * by themselves make time pass: with nobody sleeping, the clock stays where it is.
 *
 * Only promise-based code should run on it: a wait on real I/O lets the clock jump ahead.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.at(5, () => console.log('at 5'));
 * await clock.sleep(10); // prints "at 5", resolves at once in real time
 * clock.now(); // 10
 * ```
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers = 0;
  private pumping = false;
  private holds = 0;
  private readonly heap = new Heap<Timer>(before);

  /** @param start - the time it shows at first (default 0) */
  constructor(start = 0) {
    this.t = start;
  }

  /** The virtual time in seconds. */
  now(): number {
    return this.t;
  }

  /**
   * Waits `seconds` of virtual time.
   * @param seconds - how long
   * @param signal - aborts the wait (resolves `false`)
   * @returns whether the time passed
   */
  sleep(seconds: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (signal?.aborted) return resolve(false);
      if (seconds === Infinity) {
        // Forever: only the signal ends it, and it does not make time pass.
        signal?.addEventListener('abort', () => resolve(false), { once: true });
        return;
      }
      const onAbort = (): void => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.sleepers--;
        resolve(false);
      };
      const timer = this.push(this.t + (seconds > 0 ? seconds : 0), true, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Calls `fn` when the virtual time reaches `time` (at once, on the next turn, if it has).
   * @param time - the instant in seconds
   * @param fn - the callback
   * @returns a function that cancels the callback
   */
  at(time: number, fn: () => void): () => void {
    const timer = this.push(Math.max(this.t, time), false, fn);
    return () => {
      timer.cancelled = true;
    };
  }

  /**
   * Runs `work` with time standing still: timers due now still fire, later ones wait until
   * `work` has settled, whatever it awaits (real I/O, worker threads).
   * @param work - the work
   * @returns what `work` resolves with
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await work();
    } finally {
      this.holds--;
      this.schedule();
    }
  }

  /** Whether timers (sleepers or callbacks) are pending. */
  get pending(): number {
    return this.heap.values().filter((x) => !x.cancelled).length;
  }

  private push(at: number, sleeper: boolean, fire: () => void): Timer {
    const timer: Timer = { at, seq: this.seq++, fire, sleeper, cancelled: false };
    this.heap.push(timer);
    if (sleeper) this.sleepers++;
    this.schedule();
    return timer;
  }

  private schedule(): void {
    if (this.pumping) return;
    this.pumping = true;
    // setImmediate runs after every pending promise reaction: all that can happen now has happened.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumping = false;
    // A callback due now fires even with no sleeper; later ones wait for one.
    while (this.heap.first()?.cancelled === true) this.heap.take();
    const top = this.heap.first();
    if (top === undefined || (top.at > this.t && (this.sleepers === 0 || this.holds > 0))) return;
    this.heap.take();
    this.t = Math.max(this.t, top.at);
    if (top.sleeper) this.sleepers--;
    top.fire();
    this.schedule();
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
