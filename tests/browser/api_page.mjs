// The API page in headless Chromium, opened at each of several origins of one taosd (host
// names and the port it happens to run on, never the contract file's default
// 127.0.0.1:6969): it is titled "taOS agent API", its "Try it out" calls the server it was
// opened from, and its "Authorize" button takes a bearer token that the next call carries.
//
// Run by tests/tests/browser.rs:
//   TAOS_ORIGINS    comma-separated origins of the running taosd (http://localhost:PORT,…)
//   TAOS_TOKEN      a personal token for the Authorize dialog
//   TAOS_USERNAME   whose token it is
//   TAOS_SCREENSHOT_DIR  (optional) where to write screenshots
//   TAOS_CHROMIUM   (optional) the browser binary, default /usr/bin/chromium
// Exits 0 when every check passed; otherwise prints what failed and exits 1.

import { join } from 'node:path';
import { check, env, run } from './lib.mjs';

const origins = env('TAOS_ORIGINS').split(',').map((o) => o.replace(/\/$/, ''));
const token = env('TAOS_TOKEN');
const username = env('TAOS_USERNAME');
const shots = process.env.TAOS_SCREENSHOT_DIR;

/// Expands operation `id`, presses "Try it out" and "Execute"; the status and body shown.
async function tryItOut(page, id) {
  const op = page.locator(`.opblock[id$="-${id}"]`);
  await op.locator('.opblock-summary').first().click();
  await op.locator('button.try-out__btn').click();
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  return {
    status: (await status.textContent()).trim(),
    url: (await op.locator('.request-url pre').first().textContent()).trim(),
    body: (await op.locator('.live-responses-table .response-col_description pre').first().textContent()) || '',
  };
}

await run('api_page', {}, async (context) => {
  for (const origin of origins) {
    const page = await context.newPage();
    const failedRequests = [];
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
    await page.goto(`${origin}/docs/api`);
    check(new URL(page.url()).pathname === '/docs/api/', `${origin}: /docs/api opens the API page`);
    check((await page.title()) === 'taOS agent API', `${origin}: the page is titled "taOS agent API" (${await page.title()})`);
    await page.locator('.opblock').first().waitFor();
    check((await page.locator('.opblock').count()) > 10, `${origin}: the page lists the contract's operations`);
    const server = await page.locator('.servers select option').first().getAttribute('value');
    check(server === origin, `${origin}: the server to call is this origin (${server})`);

    const health = await tryItOut(page, 'getHealth');
    check(health.url === `${origin}/api/health`, `${origin}: "Try it out" calls ${health.url}`);
    check(health.status === '200', `${origin}: GET /api/health answers 200 in the page (${health.status})`);

    const authorize = page.locator('.auth-wrapper .btn.authorize');
    check(await authorize.isVisible(), `${origin}: the page has an Authorize button`);
    await authorize.click();
    const bearer = page.locator('.modal-ux .auth-container').filter({ hasText: 'bearer' });
    check((await bearer.count()) === 1, `${origin}: the Authorize dialog offers the bearer scheme`);
    await bearer.locator('input').fill(token);
    await bearer.locator('button.authorize').click();
    await page.locator('.modal-ux button.btn-done').first().click();

    const whoami = await tryItOut(page, 'whoami');
    check(whoami.status === '200', `${origin}: with the token, GET /api/auth/whoami answers 200 (${whoami.status})`);
    check(whoami.body.includes(`"username": "${username}"`), `${origin}: as ${username}`);
    check(failedRequests.length === 0, `${origin}: no request failed (${JSON.stringify(failedRequests)})`);
    if (shots) await page.screenshot({ path: join(shots, `api-page-${new URL(origin).hostname}.png`) });
    await page.close();
  }
});
