// What the browser scripts share: their environment, numbered checks, and a headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core) that stays off the network.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`${process.argv[1]}: ${name} is not set`);
    process.exit(2);
  }
  return v;
};

export class CheckFailed extends Error {}
let checks = 0;
export function check(ok, message) {
  if (!ok) throw new CheckFailed(message);
  checks += 1;
  console.log(`ok ${checks} - ${message}`);
}

// Every flag matters on a machine with a closed network: without the background-networking
// ones Chromium keeps trying to reach Google's hosts.
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/// Runs `body(context)` in a fresh browser profile; prints the outcome and exits 0 when every
/// check passed, 1 otherwise. `options` go to the browser context (viewport, timezoneId, …).
export async function run(name, options, body) {
  const profile = mkdtempSync(join(tmpdir(), 'taos-chromium-'));
  let context;
  let failed = false;
  const pages = [];
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.TAOS_CHROMIUM || '/usr/bin/chromium',
      args,
      headless: true,
      viewport: { width: 1000, height: 900 },
      ...options,
    });
    context.setDefaultTimeout(15000);
    context.on('page', (p) => pages.push(p));
    pages.push(...context.pages());
    await body(context);
    console.log(`${name}: all ${checks} checks passed`);
  } catch (e) {
    failed = true;
    if (e instanceof CheckFailed) {
      console.error(`not ok ${checks + 1} - ${e.message}`);
    } else {
      console.error(`${name}: the browser run failed: ${e && e.stack ? e.stack : e}`);
    }
    for (const page of pages) {
      const said = await page.locator('h1, .error').allTextContents().catch(() => []);
      console.error(`  a page at ${page.url()} says: ${JSON.stringify(said)}`);
      const shots = process.env.TAOS_SCREENSHOT_DIR;
      if (shots) await page.screenshot({ path: join(shots, `${name}-failure.png`), fullPage: true }).catch(() => {});
    }
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
