// The dashboard's signed-out pages, checked the same way: axe-core finds
// no serious or critical WCAG 2.1 A/AA violation, keyboard focus is visible on every tab stop,
// and at 390 px wide (a phone) nothing is cut off sideways. The phone screenshots are saved as
// artifacts, and into docs/screenshots when E2E_DOCS_SCREENSHOTS=1.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { seriousViolations } from './lib/axe.mjs';
import { expect } from './lib/expect.mjs';
import { API } from './lib/flow.mjs';

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
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForLoadState('networkidle');
  expect.deepEqual(await seriousViolations(page), [], `${path}: axe-core`);
  expect.deepEqual(await unfocusedTabStops(page), [], `${path}: tab stops without a visible focus`);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect.ok(overflow <= 0, `${path}: ${overflow} px wider than a 390 px screen`);
  expect.deepEqual(await seriousViolations(page), [], `${path} at 390 px: axe-core`);
  await shot(page, `phone-${name}`);
  if (process.env.E2E_DOCS_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, `phone-${name}.png`), fullPage: true });
  }
  expect.deepEqual(browser.problems, [], `${path}: errors in the page`);
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

