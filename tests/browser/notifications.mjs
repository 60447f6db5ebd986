// The notifications page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): sign in through the form, see what an agent sent, prove that markup in a
// title is shown as text and runs nothing, check which action URLs are links, mark all read.
//
// Run by tests/tests/browser.rs, which starts taosd, posts the notifications and passes:
//   TAOS_URL        base URL of the running taosd
//   TAOS_USERNAME   TAOS_PASSWORD   a person's credentials
//   TAOS_EXPECT     JSON: { count, newest_title, agent_source, xss_title,
//                           links: [{title, href}], texts: [{title, text}] }
//   TAOS_SCREENSHOT_DIR  (optional) where to write screenshots
//   TAOS_CHROMIUM   (optional) the browser binary, default /usr/bin/chromium
// Exits 0 when every check passed; otherwise prints what failed and exits 1.

import { join } from 'node:path';
import { check, env, run } from './lib.mjs';

const base = env('TAOS_URL').replace(/\/$/, '');
const username = env('TAOS_USERNAME');
const password = env('TAOS_PASSWORD');
const expect = JSON.parse(env('TAOS_EXPECT'));
const shots = process.env.TAOS_SCREENSHOT_DIR;

await run('notifications.mjs', {}, async (context) => {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);

  // Anything the page might run shows up here.
  const dialogs = [];
  const pageErrors = [];
  const titles = [];
  const imageRequests = [];
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (r) => {
    if (r.resourceType() === 'image' || new URL(r.url()).pathname === '/x') {
      imageRequests.push(r.url());
    }
  });
  page.on('load', async () => {
    titles.push(await page.title().catch(() => ''));
  });
  const notPwned = async (when) => {
    const title = await page.title();
    check(title !== 'pwned' && !titles.includes('pwned'), `document.title is not "pwned" ${when} (it is ${JSON.stringify(title)})`);
    check(dialogs.length === 0, `no dialog opened ${when} (${JSON.stringify(dialogs)})`);
  };

  // Signed out, the inbox sends us to the sign-in form.
  await page.goto(`${base}/notifications`);
  const signIn = new URL(page.url());
  check(signIn.pathname === '/login' && signIn.searchParams.get('next') === '/notifications',
    `signed out, /notifications redirects to the sign-in form (at ${page.url()})`);

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForURL(`${base}/notifications`),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  check(new URL(page.url()).pathname === '/notifications', 'signing in through the form lands on the inbox');
  check((await page.locator('.username').textContent()) === username, `the header names ${username}`);

  const items = page.locator('ol.notes > li');
  check((await items.count()) === expect.count, `the inbox lists ${expect.count} notifications (found ${await items.count()})`);

  // Newest first, from the agent.
  const first = items.first();
  check((await first.locator('.title').textContent()) === expect.newest_title,
    `the newest notification is first: ${JSON.stringify(expect.newest_title)}`);
  check((await first.locator('.source').textContent()) === expect.agent_source,
    `it shows its source ${expect.agent_source}`);

  // The title with markup is literal text, and nothing in it ran.
  const xss = items.filter({ has: page.getByRole('heading', { name: expect.xss_title, exact: true }) });
  check((await xss.count()) === 1, 'the markup title is on the page as text');
  check((await xss.locator('.title').textContent()) === expect.xss_title, 'its text is exactly the title that was sent');
  check((await page.locator('ol.notes img').count()) === 0, 'no img element exists in the list');
  check((await page.locator('img, script:not([src="/assets/inbox.js"]), iframe, object, embed').count()) === 0,
    'no img, iframe, object, embed or script but taosd\'s own /assets/inbox.js on the page');
  await page.waitForTimeout(300);
  await notPwned('after the inbox loaded');
  check(imageRequests.length === 0, `no image was requested (${JSON.stringify(imageRequests)})`);
  check(pageErrors.length === 0, `no script errors (${JSON.stringify(pageErrors)})`);

  // Unread marks, as text and as a class.
  check((await page.locator('.unread-mark', { hasText: 'Unread' }).count()) === expect.count, 'every notification shows an "Unread" mark');
  check((await page.locator('li.note.unread').count()) === expect.count, 'every notification has the unread class');

  // Which action URLs are links.
  const byTitle = (title) => items.filter({ has: page.getByRole('heading', { name: title, exact: true }) });
  for (const { title, href } of expect.links) {
    const link = byTitle(title).locator('a.action');
    check((await link.count()) === 1 && (await link.getAttribute('href')) === href, `${JSON.stringify(title)}: ${href} is a link`);
    check((await link.getAttribute('rel')) === 'noopener noreferrer', `${JSON.stringify(title)}: the link has rel="noopener noreferrer"`);
  }
  for (const { title, text } of expect.texts) {
    const item = byTitle(title);
    check((await item.count()) === 1, `${JSON.stringify(title)} is listed`);
    check((await item.locator('a').count()) === 0, `${JSON.stringify(title)}: ${JSON.stringify(text)} is not a link`);
    check(((await item.locator('.action-text').textContent()) || '').includes(text), `${JSON.stringify(title)}: ${JSON.stringify(text)} is shown as text`);
  }
  const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
  const unsafe = hrefs.filter((h) => !/^https?:/i.test(h));
  check(unsafe.length === 0, `every link on the page is http(s) (${JSON.stringify(unsafe)})`);

  if (shots) await page.screenshot({ path: join(shots, 'inbox.png'), fullPage: true });

  // A phone's width: nothing sticks out sideways.
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `at 375 px wide the page does not scroll sideways (overflow ${overflow}px)`);
  if (shots) await page.screenshot({ path: join(shots, 'inbox-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1000, height: 900 });

  // Mark all read: back on the inbox, no unread marks left.
  await Promise.all([
    page.waitForURL(`${base}/notifications`),
    page.getByRole('button', { name: 'Mark all read' }).click(),
  ]);
  await page.waitForLoadState('load');
  check((await page.locator('.unread-mark').count()) === 0, 'after "Mark all read" no "Unread" mark remains');
  check((await page.locator('li.note.unread').count()) === 0, 'and no notification has the unread class');
  check((await page.locator('li.note.read').count()) === expect.count, 'every notification is shown as read');
  await notPwned('after marking all read');

  if (shots) await page.screenshot({ path: join(shots, 'inbox-read.png'), fullPage: true });
});
