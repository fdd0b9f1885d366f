// Test helpers for a real headless Chromium driven by puppeteer-core. Nothing is downloaded:
// the browser is the system's (CHROMIUM, default /usr/bin/chromium).
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Whether CHROMIUM is an executable file. */
export async function haveChromium() {
  return access(CHROMIUM, constants.X_OK).then(() => true, () => false);
}

/**
 * Launches headless Chromium with a throwaway profile and returns { browser, close }.
 * `close()` always ends the process and removes the profile, even if the browser hangs.
 */
export async function launchChromium() {
  // Imported here, so that a checkout without devDependencies can still load (and skip)
  // the browser tests.
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = await mkdtemp(join(tmpdir(), 'cti-chromium-'));
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // DevTools over a pipe rather than a TCP port: nothing else to bind or to reach.
      pipe: true,
      userDataDir: profile,
      timeout: 30_000,
      args: [
        '--no-sandbox', // runs as root in containers
        '--disable-gpu',
        // This machine's network is closed: without these, Chromium's own background
        // connections (updates, sync, QUIC probes) are refused and disturb the page.
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    browser,
    async close() {
      const proc = browser.process();
      await Promise.race([browser.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await rm(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** A new page whose console errors and uncaught exceptions are kept (for failure messages). */
export async function openPage(browser) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}
