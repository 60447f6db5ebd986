// A person's first minutes with a fresh taosd, in headless Chromium: the front door leads to the
// setup page, the form creates the admin and opens the inbox, and a notification sent through
// the API while the inbox is open appears in it without a reload, with its time in the
// browser's zone and its priority coloured by meaning.
//
// Run by tests/tests/browser.rs on a taosd with no user yet:
//   TAOS_URL        base URL of the running taosd
//   TAOS_USERNAME   TAOS_PASSWORD   the admin to create
//   TAOS_SCREENSHOT_DIR  (optional) where to write screenshots
//   TAOS_CHROMIUM   (optional) the browser binary, default /usr/bin/chromium
// Exits 0 when every check passed; otherwise prints what failed and exits 1.

import { join } from 'node:path';
import { check, env, run } from './lib.mjs';

const base = env('TAOS_URL').replace(/\/$/, '');
const username = env('TAOS_USERNAME');
const password = env('TAOS_PASSWORD');
const shots = process.env.TAOS_SCREENSHOT_DIR;
// Not UTC and not a whole hour off it, so a time shown in UTC cannot pass for local.
const ZONE = 'Asia/Kolkata';

/// A JSON call to the API from outside the browser, as an agent would make it.
async function api(method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

await run('first_run', { timezoneId: ZONE }, async (context) => {
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // A script the CSP blocked, a failed fetch: Chromium says so on the console.
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });

  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === '/setup', `a fresh server's front door leads to the setup page (at ${page.url()})`);
  check((await page.title()).startsWith('Set up'), `the page is titled "Set up…" (${await page.title()})`);
  if (shots) await page.screenshot({ path: join(shots, 'setup.png'), fullPage: true });

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await Promise.all([
    page.waitForURL(`${base}/notifications`),
    page.getByRole('button', { name: 'Create the admin and sign in' }).click(),
  ]);
  check(new URL(page.url()).pathname === '/notifications', 'setting up signs in and opens the inbox');
  check((await page.locator('.username').textContent()) === username, `the header names ${username}`);
  check((await page.getByText('No notifications yet.').count()) === 1, 'the new inbox is empty');
  await page.waitForFunction(() => document.body.dataset.live === 'on');
  check(true, "the inbox script runs under the page's CSP");
  check(((await page.locator('#live').textContent()) || '').includes('appear here as they arrive'),
    'the inbox says it updates itself');

  // From here on, anything new must come without a reload: a reload would lose this.
  await page.evaluate(() => {
    window.sameDocument = 'yes';
  });
  const { token } = await api('POST', '/auth/token', { username, password, label: 'browser-test' });
  await api('POST', '/api/ui/notify', { title: 'Deploy failed', body: 'v1.4.2 rolled back.', priority: 'high' }, token);
  await api('POST', '/api/ui/notify', { title: 'Nightly digest', body: 'Nothing urgent.', priority: 'low' }, token);
  const sent = Date.now();
  await page.getByRole('heading', { name: 'Nightly digest', exact: true }).waitFor({ timeout: 20000 });
  await page.getByRole('heading', { name: 'Deploy failed', exact: true }).waitFor({ timeout: 5000 });
  check(true, `the notifications sent through the API appeared in the open inbox (after ${Date.now() - sent} ms)`);
  check((await page.evaluate(() => window.sameDocument)) === 'yes', 'without a reload');
  check((await page.locator('ol.notes > li').count()) === 2, 'the inbox lists both');

  // Local times.
  const times = await page.locator('li.note time').evaluateAll((ts) =>
    ts.map((t) => ({
      text: t.textContent,
      local: t.dataset.local,
      want: new Date(t.dateTime).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
      utc: t.dateTime,
    })),
  );
  const offset = await page.evaluate(() => new Date().getTimezoneOffset());
  check(offset === -330, `the browser runs in ${ZONE}, UTC+5:30 (offset ${offset} min)`);
  for (const t of times) {
    check(t.local === 'yes' && t.text === t.want && !t.text.includes('UTC'),
      `the time ${t.utc} is shown in the browser's zone: ${JSON.stringify(t.text)}`);
  }

  // Priorities by meaning: high stands out, low does not look like high.
  const badge = async (title) => {
    const item = page.locator('ol.notes > li').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
    return item.locator('.badge.priority').evaluate((b) => {
      const s = getComputedStyle(b);
      return { text: b.textContent.trim(), bg: s.backgroundColor, fg: s.color, border: s.borderColor };
    });
  };
  const high = await badge('Deploy failed');
  const low = await badge('Nightly digest');
  check(high.text === 'high' && low.text === 'low', `the badges say high and low (${high.text}, ${low.text})`);
  check(high.bg !== low.bg && high.fg !== low.fg, `low is not painted like high (high ${high.bg} on ${high.fg}, low ${low.bg} on ${low.fg})`);
  const red = (c) => {
    const [r, g, b] = (c.match(/\d+/g) || []).map(Number);
    return r > 150 && g < 90 && b < 90;
  };
  check(red(high.bg), `high is red (${high.bg})`);
  check(!red(low.bg) && !red(low.fg), `low is not red (${low.bg} / ${low.fg})`);

  check((await page.locator('a[href="/docs/agents/recipes/notifying-the-user"]').count()) === 1, 'the inbox links the docs on notifications');
  if (shots) await page.screenshot({ path: join(shots, 'live-inbox.png'), fullPage: true });

  // Marking read still works, and the page keeps updating after it.
  await Promise.all([
    page.waitForURL(`${base}/notifications`),
    page.getByRole('button', { name: 'Mark all read' }).click(),
  ]);
  await page.waitForLoadState('load');
  check((await page.locator('li.note.unread').count()) === 0, '"Mark all read" marks them read');

  // Set up now: the front door is the page for people, and the setup page is gone.
  await page.goto(`${base}/`);
  check((await page.locator('h1').textContent()) === 'taOS agent API', 'the front door now says what this server is');
  for (const href of ['/docs/agents/', '/docs/api', '/notifications', '/llms.txt']) {
    check((await page.locator(`a[href="${href}"]`).count()) >= 1, `the front door links ${href}`);
  }
  if (shots) await page.screenshot({ path: join(shots, 'front-door.png'), fullPage: true });
  await page.goto(`${base}/setup`);
  // (To /login, which sends a signed-in person on to the inbox.)
  check(['/login', '/notifications'].includes(new URL(page.url()).pathname) && (await page.locator('input[name="setup_token"]').count()) === 0,
    `once a user exists, the setup page is gone (at ${page.url()})`);

  check(pageErrors.length === 0, `no script errors (${JSON.stringify(pageErrors)})`);
  check(consoleErrors.length === 0, `nothing blocked or failed on the console (${JSON.stringify(consoleErrors)})`);
});
