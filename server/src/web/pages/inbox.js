// The notifications page, alive: times in the browser's own zone, and new notifications (or
// read marks made elsewhere) shown without a reload. Served by taosd as /assets/inbox.js; the
// page's Content-Security-Policy allows this file and requests to this origin, nothing else.
//
// Every few seconds the page asks for itself again with the ETag it was rendered with; taosd
// answers 304 while nothing changed, and otherwise the new page, whose <main> replaces this
// one's. The server renders every item (escaping, which links are safe), so this script adds
// no markup of its own.
'use strict';
(() => {
  const POLL_MS = 3000;
  // Said only where the updates really run, so the page without scripts makes no promise.
  const LIVE = 'New notifications appear here as they arrive.';
  let etag = null;
  let timer = null;
  let stopped = false;

  const localTimes = (root) => {
    for (const t of root.querySelectorAll('time[datetime]')) {
      const at = new Date(t.dateTime);
      if (Number.isNaN(at.getTime())) continue;
      t.textContent = at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
      t.title = `${t.dateTime} (UTC)`;
      t.dataset.local = 'yes';
    }
  };

  const say = (text) => {
    const live = document.getElementById('live');
    if (live) live.textContent = text;
  };

  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && !document.hidden) timer = setTimeout(poll, POLL_MS);
  };

  async function poll() {
    try {
      const headers = etag ? { 'If-None-Match': etag } : {};
      const res = await fetch(location.href, { headers, credentials: 'same-origin', cache: 'no-store' });
      if (res.redirected || res.status === 401 || res.status === 403) {
        stopped = true;
        say('You were signed out. Reload the page to sign in again.');
        return;
      }
      if (res.status === 200) {
        const next = res.headers.get('ETag');
        const html = await res.text();
        const fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
        const main = document.querySelector('main');
        if (fresh && main && next !== etag) {
          main.replaceWith(fresh);
          localTimes(fresh);
          say(LIVE);
          document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
        }
        etag = next;
      }
    } catch (e) {
      // taosd restarting, the network gone: keep trying quietly.
    }
    schedule();
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !stopped) poll();
  });

  localTimes(document);
  say(LIVE);
  // The ETag of the page as first served (taosd writes it on <main>): the first poll then
  // costs a 304.
  etag = document.querySelector('main')?.dataset.etag || null;
  document.body.dataset.live = 'on';
  schedule();
})();
