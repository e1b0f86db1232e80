// Every page of the dashboard, signed out and signed in, and the public pages, checked the same
// way: axe-core finds no serious or critical WCAG 2.1 A/AA violation, keyboard focus is visible
// on every tab stop, and at 390 px wide (a phone) nothing is cut off sideways. The phone
// screenshots are saved as artifacts, and into docs/screenshots when E2E_DOCS_SCREENSHOTS=1.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { seriousViolations } from './lib/axe.mjs';
import { expect } from './lib/expect.mjs';
import { API, IMAGE, apiFromPage, connectInstagram, sendFromPage, signUp, unique } from './lib/flow.mjs';

const DOCS = new URL('../../docs/screenshots/', import.meta.url).pathname;
let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
});
after(async () => {
  await browser?.close();
});

/** Opens `path`, waits for `heading`, and checks the page at desktop and phone widths. */
async function check(name, path, heading) {
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(`${API}${path}`);
  await settled(page, heading);
  expect.deepEqual(await seriousViolations(page), [], `${path}: axe-core`);
  expect.deepEqual(await unfocusedTabStops(page), [], `${path}: tab stops without a visible focus`);

  await page.setViewportSize({ width: 390, height: 844 });
  await settled(page, heading);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect.ok(overflow <= 0, `${path}: ${overflow} px wider than a 390 px screen`);
  expect.deepEqual(await seriousViolations(page), [], `${path} at 390 px: axe-core`);
  await page.evaluate(() => document.activeElement?.blur());
  await shot(page, `phone-${name}`);
  if (process.env.E2E_DOCS_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, `phone-${name}.png`), fullPage: true });
  }
  expect.deepEqual(browser.problems, [], `${path}: errors in the page`);
}

/** Waits for the page's heading and for everything it loads to be drawn (a signed-in page keeps
 * a stream open for the unread count, so the network never goes idle). */
async function settled(page, heading) {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]')
    && [...document.images].every((i) => i.complete));
}

/** Tabs through the page (up to 40 stops) and names each focused element drawn without an
 * outline or a focus ring. */
async function unfocusedTabStops(page) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const seen = new Set();
  const bare = [];
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const s = getComputedStyle(e);
      const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
      const name = `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} "${(e.getAttribute('aria-label') || e.textContent || e.getAttribute('name') || '').trim().slice(0, 30)}"`;
      return { name, ring };
    });
    if (!stop || seen.has(stop.name)) break;
    seen.add(stop.name);
    if (!stop.ring) bare.push(stop.name);
  }
  return bare;
}

test('signed out: sign-in, sign-up, password reset and email confirmation pages', async () => {
  await check('signin', '/app/signin', 'Log in');
  await check('signup', '/app/signup', 'Create your account');
  await check('forgot-password', '/app/forgot-password', 'Forgot your password?');
  await check('reset-password', '/app/reset-password?token=not-a-real-token', 'Choose a new password');
  await check('verify-email', '/app/verify-email?token=not-a-real-token', 'Confirm your email address');
});


test('public pages: the privacy policy and the data-deletion instructions', async () => {
  await check('privacy', '/privacy', 'Privacy policy');
  await check('data-deletion', '/data-deletion', 'Deleting your data');
});

test('signed in: every page of the dashboard, with an account, media and a post to show', async () => {
  const id = unique();
  const name = 'Grace Hopper';
  await signUp(page, { name, email: `grace-${id}@example.com`, password: 'correct horse battery' });
  await connectInstagram(page, `grace_bakery_${id}`);
  await page.goto(`${API}/app/media`);
  await page.setInputFiles('#media-file', IMAGE);
  await page.locator('.media-grid li', { hasText: IMAGE.name }).waitFor();
  const [connections, media] = await Promise.all([apiFromPage(page, '/instagram/connections'), apiFromPage(page, '/media')]);
  const connection = connections.body[0].id;
  const slots = await sendFromPage(page, 'PUT', `/instagram/connections/${connection}/posting-schedule`, {
    version: 0, time_zone: 'Europe/Paris', slots: [{ day: 'mon', time: '09:00' }, { day: 'thu', time: '18:30' }],
  });
  expect.equal(slots.status, 200, JSON.stringify(slots.body));
  const made = await sendFromPage(page, 'POST', '/posts', {
    kind: 'image', connection_id: connection, caption: 'Fresh sourdough every morning #bakery',
    items: [{ media_id: media.body.items[0].id }], queue: true,
  });
  expect.equal(made.status, 201, JSON.stringify(made.body));
  const post = made.body.id;

  await check('overview', '/app/', `Hello, ${name}`);
  await check('media', '/app/media', 'Media library');
  await check('compose', '/app/compose', 'Compose a post');
  await check('posts', '/app/posts', 'Posts');
  await check('post', `/app/posts/${post}`, 'Post');
  await check('edit', `/app/posts/${post}/edit`, 'Edit post');
  await check('calendar', '/app/calendar', 'Calendar');
  await check('schedule', '/app/schedule', 'Posting schedule');
  await check('notifications', '/app/notifications', 'Notifications');
  await check('webhooks', '/app/webhooks', 'Webhooks');
  await check('settings', '/app/settings', 'Settings');
  await check('not-found', '/app/no-such-page', 'Page not found');
});
