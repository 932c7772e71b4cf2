import { chromium, type Browser } from 'playwright-core';

/**
 * Launches the machine's headless Chromium for a Playwright test (`CHROMIUM_PATH`, default
 * `/usr/bin/chromium`), with the background services that would only add noise turned off.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
