// Notifications as the customer sees them: a post that Instagram refuses raises a notification
// whose unread count appears in the header live (no reload), the notification center lists it
// with a link to the post, marking it read clears the count, and the email (read from the
// simulator's SMTP sink) carries the one-click unsubscribe headers. The refusal is a one-shot
// fault of the shared simulator: run this spec on its own (`tests/e2e/run notifications.test.mjs`)
// so that it cannot hit another spec's post.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { API, IMAGE, compose, connectInstagram, signUp, unique, uploadMedia } from './lib/flow.mjs';

const SIM = process.env.E2E_SIM_URL || 'http://127.0.0.1:9200';
const id = unique();
const email = `ada-${id}@example.com`;
let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
  await signUp(page, { name: 'Ada Lovelace', email, password: 'correct horse battery' });
  await connectInstagram(page, `ada_shop_${id}`);
  await uploadMedia(page);
});
after(async () => {
  await browser?.close();
});

/** The newest email to `to` with `subject` in the simulator's inbox, waiting for it. */
async function newestMail(to, subject) {
  for (let i = 0; i < 120; i += 1) {
    const response = await fetch(`${SIM}/mail/api/messages?to=${encodeURIComponent(to)}`);
    const found = (await response.json()).messages.find((m) => m.subject === subject);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no email "${subject}" to ${to}`);
}

test('a refused post shows up live in the header and in the notification center', async () => {
  const bell = page.getByRole('navigation', { name: 'Main' }).locator('#bell');
  expect.equal(await bell.getAttribute('aria-label'), 'Notifications, none unread');
  const fault = await fetch(`${SIM}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      endpoint: 'media_create',
      count: 1,
      effect: { kind: 'graph_error', code: 36003, subcode: 2207009, http_status: 400, message: 'The aspect ratio is not supported.' },
    }),
  });
  expect.ok(fault.ok, `fault added (${fault.status})`);
  const postId = await compose(page, { kind: 'Image', media: [IMAGE.name], caption: 'Refused #shape', at: null });
  // The page stays as it is; only the stream updates the header.
  await page.evaluate(() => { window.stillHere = true; });
  await page.locator(`#post-${postId}[data-status="failed"]`).waitFor({ timeout: 120000 });
  await bell.locator('.count', { hasText: '1' }).waitFor({ timeout: 30000 });
  expect.equal(await bell.getAttribute('aria-label'), 'Notifications, 1 unread');
  expect.equal(await page.evaluate(() => window.stillHere), true, 'no reload');
  await shot(page, '30-notification-count');

  await bell.click();
  await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  const note = page.locator('.notes .note.unread', { hasText: 'A post could not be published' });
  await note.waitFor();
  expect.equal(await note.getByRole('link', { name: 'A post could not be published' }).getAttribute('href'), `/app/posts/${postId}`);
  expect.ok((await note.textContent()).includes('Instagram refused the post'), 'the reason in plain words');
  await shot(page, '31-notification-center');
  await note.getByRole('button', { name: /^Mark read/ }).click();
  await page.locator('.notes .note.unread').waitFor({ state: 'detached' });
  await bell.locator('.count').waitFor({ state: 'hidden' });
  expect.equal(await bell.getAttribute('aria-label'), 'Notifications, none unread');

  const mail = await newestMail(email, 'A post could not be published');
  const header = (name) => mail.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
  expect.ok(/^<https?:\/\/.+\/unsubscribe\?token=.+>$/.test(header('List-Unsubscribe')), header('List-Unsubscribe'));
  expect.equal(header('List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
  expect.deepEqual(browser.problems, []);
});

test('notification settings are in the account settings, labelled and saved', async () => {
  await page.goto(`${API}/app/settings`);
  const published = page.getByLabel('A post was published: in the dashboard');
  await published.waitFor();
  expect.equal(await published.isChecked(), false, 'published is off by default');
  await published.check();
  await page.getByRole('button', { name: 'Save notification settings' }).click();
  await page.getByText('Your notification settings are saved.').waitFor();
  expect.equal(await page.getByLabel('Account deletion receipt: email').isDisabled(), true, 'essential');
  await page.reload();
  await page.getByLabel('A post was published: in the dashboard').waitFor();
  expect.equal(await page.getByLabel('A post was published: in the dashboard').isChecked(), true);
  expect.deepEqual(browser.problems, []);
});
