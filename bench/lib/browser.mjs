// The system Chromium, driven by playwright-core (never a downloaded browser).

import { chromium } from 'playwright-core';

/** Flags verified on these machines (TOOLCHAIN.md): root, no GPU, no internet. */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
]);

/**
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: [...CHROMIUM_ARGS], timeout: 60_000 });
}
