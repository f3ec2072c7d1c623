/**
 * A real browser for the tests: Debian's `chromium` from the PATH (never a downloaded browser),
 * driven by playwright-core, headless, with a fresh profile and no background networking.
 * Under CI=true a missing chromium is an error; elsewhere the caller skips and says why.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The flags every launch uses. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The `chromium` executable on the PATH, or undefined. */
export function chromiumOnPath(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'chromium');
    try {
      if (existsSync(p) && statSync(p).isFile()) return p;
    } catch {
      // unreadable directory: keep looking
    }
  }
  return undefined;
}

/** Whether the browser tests must run (CI) or may skip (chromium missing outside CI). */
export function browserAvailability(): { run: true; path: string } | { run: false; why: string } {
  const path = chromiumOnPath();
  if (path) return { run: true, path };
  if (process.env['CI'] === 'true') {
    throw new Error('CI=true but no `chromium` on the PATH: .ci/run installs it (apt-get install chromium)');
  }
  return { run: false, why: 'no `chromium` on the PATH (install Debian\'s chromium); browser tests skipped outside CI' };
}

/** A launched browser with its own fresh profile directory; `close()` removes both. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches chromium with a fresh `--user-data-dir`.
 * @param executablePath - the chromium to run
 * @param viewport - page size
 */
export async function launchBrowser(executablePath: string, viewport = { width: 1300, height: 820 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
