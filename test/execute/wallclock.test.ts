/**
 * The wall clock: real time from a fixed origin at some speed, so that a restarted process given
 * the same origin goes on with the same time; and the system clock's long sleeps.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, wallClock } from '../../src/execute/clock.js';
import { SwitchyardError } from '../../src/errors.js';

describe('wallClock', () => {
  it('shows (now − origin) × speed, from 0 by default', () => {
    const c = wallClock({ speed: 10 });
    expect(c.speed).toBe(10);
    expect(Math.abs(c.origin - Date.now() / 1000)).toBeLessThan(1);
    expect(c.now()).toBeGreaterThanOrEqual(0);
    expect(c.now()).toBeLessThan(5); // < 0.5 real s since it was made
    const past = wallClock({ origin: Date.now() / 1000 - 100, speed: 3 });
    expect(past.now()).toBeGreaterThan(299);
    expect(past.now()).toBeLessThan(305);
  });

  it('a second clock on the same origin (a restart) shows the same time', async () => {
    const first = wallClock({ speed: 50 });
    await first.sleep(2.5); // 50 ms real
    const again = wallClock({ speed: 50, origin: first.origin });
    expect(Math.abs(again.now() - first.now())).toBeLessThan(0.5); // within 10 ms real
    expect(again.now()).toBeGreaterThanOrEqual(2.4);
  });

  it('sleeps seconds ÷ speed of real time', async () => {
    const c = wallClock({ speed: 100 });
    const t0 = performance.now();
    const c0 = c.now();
    expect(await c.sleep(10)).toBe(true); // 100 ms real
    const real = performance.now() - t0;
    expect(real).toBeGreaterThanOrEqual(95);
    expect(real).toBeLessThan(600); // loose: a loaded machine is late, never early
    expect(c.now() - c0).toBeGreaterThanOrEqual(9.5);
  });

  it('a sleep ends false as soon as its signal aborts, and at once when it already has', async () => {
    const c = wallClock({ speed: 1 });
    const ctl = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ctl.abort(), 30);
    expect(await c.sleep(60, ctl.signal)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000); // far below the 60 s it asked for
    expect(await c.sleep(1, ctl.signal)).toBe(false);
    const forever = new AbortController();
    const p = c.sleep(Infinity, forever.signal);
    setTimeout(() => forever.abort(), 20);
    expect(await p).toBe(false);
  });

  it('refuses a speed or origin that is not a finite positive number', () => {
    expect(() => wallClock({ speed: 0 })).toThrow(SwitchyardError);
    expect(() => wallClock({ speed: -1 })).toThrow(/speed/);
    expect(() => wallClock({ speed: Infinity })).toThrow(/speed/);
    expect(() => wallClock({ origin: NaN })).toThrow(/origin/);
  });
});

describe('systemClock long sleeps', () => {
  it('a sleep past setTimeout range (or forever) does not end at once; only its signal ends it', async () => {
    const c = systemClock();
    for (const s of [Infinity, 3e6]) {
      const ctl = new AbortController();
      let ended: boolean | undefined;
      const p = c.sleep(s, ctl.signal).then((v) => (ended = v));
      await new Promise((r) => setTimeout(r, 30));
      expect(ended).toBeUndefined();
      ctl.abort();
      await p;
      expect(ended).toBe(false);
    }
  });
});
