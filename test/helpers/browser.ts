import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from './ports.js';
import { startTestService, type TestService } from './service.js';

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** Without Chromium a browser test may skip on a workstation; in CI (which installs it) it must run. */
export const canRunBrowser = existsSync(CHROMIUM) || !!process.env.CI;

export interface BrowserHarness {
  svc: TestService;
  browser: Browser;
  /** where the service listens, also its PUBLIC_URL (the page's POSTs carry that Origin) */
  base: string;
  close(): Promise<void>;
}

/**
 * A service listening on a free loopback port, told that address as PUBLIC_URL, and a headless Chromium.
 * `browserArgs`: more command-line flags (e.g. a fake camera); `workers`: run the service's workers.
 */
export async function startBrowserHarness(
  env: Record<string, string> = {},
  opts: { browserArgs?: string[]; workers?: boolean } = {},
): Promise<BrowserHarness> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const svc = await startTestService({ env: { PUBLIC_URL: base, ...env }, workers: opts.workers });
  await svc.app.listen({ port, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(opts.browserArgs ?? []),
    ],
  });
  return {
    svc,
    browser,
    base,
    close: async () => {
      await browser.close();
      await svc.close();
    },
  };
}
