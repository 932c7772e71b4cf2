import { chromium, type Browser } from 'playwright-core';
import { findChromium } from '../../scripts/ensure-test-prereqs.mjs';

/**
 * Launches the machine's headless Chromium for a Playwright test (the one `npm test`'s prerequisite check found:
 * `CHROMIUM_PATH`, else `chromium` on PATH, else `/usr/bin/chromium`), with the background services that would only add noise turned off.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium() ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
