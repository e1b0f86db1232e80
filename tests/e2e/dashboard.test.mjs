// The dashboard end to end, as a new customer uses it (everything but the publishing itself,
// which publishing.test.mjs covers): sign up, connect Instagram through the consent screen,
// upload an image and a video, schedule a carousel and a reel, cancel a third post, look at the
// calendar and the list, disconnect Instagram, delete the account. Every page is screenshotted.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import {
  API, CAROUSEL_DELAY_SECS, IMAGE, VIDEO, apiFromPage, compose, connectInstagram, localMinute,
  signUp, unique, uploadMedia,
} from './lib/flow.mjs';

const id = unique();
const user = { name: 'Ada Lovelace', email: `ada-${id}@example.com`, password: 'correct horse battery' };
const igUser = `ada_shop_${id}`;
let browser;
let page;
const posts = {};

before(async () => {
  browser = await launch();
  page = browser.page;
});
after(async () => {
  await browser?.close();
});

test('public pages are readable without signing in', async () => {
  await page.goto(`${API}/privacy`);
  await page.getByRole('heading', { name: 'Privacy policy' }).waitFor();
  const policy = await page.locator('main').innerText();
  for (const promise of ['instagram_business_basic', 'instagram_business_content_publish', 'AES-256-GCM',
    'ImgBB', 'No analytics trackers', 'deletes the stored token immediately']) {
    expect.ok(policy.includes(promise), `the privacy policy says ${promise}`);
  }
  await shot(page, '01-privacy');
  await page.goto(`${API}/data-deletion`);
  await page.getByRole('heading', { name: 'Deleting your data' }).waitFor();
  await shot(page, '02-data-deletion');
  await page.goto(`${API}/app/posts`);
  await page.waitForURL(`${API}/app/signin`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  // Signed out: no menu of signed-in pages and nothing to log out of.
  expect.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, 'no Log out button');
  expect.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'no menu');
  await shot(page, '03-log-in');
});

test('Sign in with Google goes through the consent screen and back', async () => {
  await page.getByRole('link', { name: 'Sign in with Google' }).click();
  await page.getByRole('button', { name: /alice@example\.com/ }).click();
  await page.waitForURL(`${API}/app/`);
  await page.getByText('You are signed in with Google.').waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('You are logged out.').waitFor();
  expect.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, 'hidden once logged out');
  await page.goto(`${API}/app/?signin_error=access_denied`);
  await page.getByText('Google sign-in was canceled').waitFor();
  expect.equal(new URL(page.url()).search, '', 'the outcome is taken out of the address');
});

test('a new user signs up and connects Instagram through the consent screen', async () => {
  await page.goto(`${API}/app/signin`);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await shot(page, '04-sign-up');
  await signUp(page, user);
  await page.getByText('No Instagram account is connected yet.').waitFor();
  await connectInstagram(page, igUser);
  await page.locator('#instagram').getByText('Active').waitFor();
  await shot(page, '05-overview');
});

test('uploads an image with the picker and a video by drag and drop', async () => {
  await uploadMedia(page);
  const image = await page.locator('.media-grid li', { hasText: IMAGE.name }).innerText();
  expect.match(image, /640×640/);
  const video = await page.locator('.media-grid li', { hasText: VIDEO.name }).innerText();
  expect.match(video, /1080×1920 · 2\.\d MB · 10\.0 s · 30 fps h264\/aac/);
  // The thumbnail is the stored image, downloaded with the session.
  await page.waitForFunction(() => [...document.querySelectorAll('.media-grid img')].every((i) => i.complete && i.naturalWidth > 0));
  await shot(page, '06-media');
});

test('the composer counts the caption and shows every API message at its field', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compose' }).click();
  await page.getByLabel('Caption').fill('New in store #spring #sale for @friend, write to mail@example.com');
  const counters = await page.locator('#caption-counters').innerText();
  expect.match(counters, /65 \/ 2200 characters/);
  expect.match(counters, /2 \/ 30 hashtags/);
  expect.match(counters, /1 \/ 20 mentions/);
  await page.locator('.picker label', { hasText: IMAGE.name }).locator('input').check();
  await page.getByRole('group', { name: 'When' }).getByLabel('Schedule').check();
  await page.getByLabel('Date and time').fill('2020-01-01T09:00');
  await page.getByLabel('Caption').fill(Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' '));
  await page.getByRole('button', { name: 'Schedule' }).click();
  const error = page.locator('[data-error-for="scheduled_at"]');
  await error.filter({ hasText: /is in the past/ }).waitFor();
  const captionError = page.locator('[data-error-for="caption"]');
  await captionError.filter({ hasText: /31 hashtags/ }).waitFor();
  await shot(page, '07-compose-error');
});

test('schedules a carousel two minutes ahead, a reel for now, and cancels a third post', async () => {
  const at = await localMinute(page, Date.now() + CAROUSEL_DELAY_SECS * 1000);
  posts.carousel = await compose(page, { kind: 'Carousel', media: [IMAGE.name, VIDEO.name], caption: 'Carousel #spring', at });
  await page.locator(`#post-${posts.carousel}`).getByText(/Publishes /).waitFor();
  // Every time shown names its zone.
  const shown = await page.locator(`#post-${posts.carousel} header .muted`).innerText();
  expect.match(shown, /(GMT|UTC)([+-]\d{1,2}(:\d{2})?)?$|[A-Z]{2,5}$/, 'the time names its zone');
  await page.locator(`#post-${posts.carousel} header .account`).getByText(`@${igUser}`).waitFor();
  await shot(page, '08-post-scheduled');
  posts.reel = await compose(page, { kind: 'Reel', media: [VIDEO.name], caption: 'Reel #now', at: null });
  posts.third = await compose(page, { kind: 'Image', media: [IMAGE.name], caption: 'Never to be published', at });
  await page.locator(`#post-${posts.third}`).getByRole('button', { name: 'Cancel post' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel post' }).click();
  await page.locator(`#post-${posts.third}[data-status="canceled"]`).waitFor();
  await page.getByText('Canceled: it will not be published.').waitFor();

  const carousel = (await apiFromPage(page, `/posts/${posts.carousel}`)).body;
  expect.equal(carousel.kind, 'carousel');
  expect.equal(carousel.items.length, 2);
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  expect.equal(carousel.time_zone, zone, 'scheduled in the browser\'s time zone');
  expect.equal(carousel.scheduled_at_local.slice(0, 16), at, 'the chosen wall-clock time');
});

test('the list filters by state and the calendar shows the scheduled posts', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Posts' }).click();
  await page.locator(`#post-${posts.carousel}`).waitFor();
  await shot(page, '09-posts');
  await page.getByLabel('Show').selectOption('canceled');
  await page.locator(`#post-${posts.carousel}`).waitFor({ state: 'detached' });
  expect.deepEqual(await page.locator('.posts > li.post').evaluateAll((els) => els.map((e) => e.dataset.postId)), [posts.third]);
  expect.equal(new URL(page.url()).search, '?status=canceled', 'the filter is in the address');
  await page.getByLabel('Show').selectOption('scheduled');
  await page.locator(`#post-${posts.third}`).waitFor({ state: 'detached' });
  await page.locator(`#post-${posts.carousel}`).waitFor();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
  const entry = page.locator(`.calendar a[href="/app/posts/${posts.carousel}"]`);
  await entry.waitFor();
  expect.match(await entry.innerText(), /Carousel · (Scheduled|Publishing|Published)/);
  await shot(page, '10-calendar-month');
  await page.getByRole('button', { name: 'Week' }).click();
  await entry.waitFor();
  await shot(page, '11-calendar-week');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await page.locator('#instagram').getByText(`@${igUser}`).waitFor();
  await shot(page, '12-phone-overview');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('disconnects Instagram: the confirmation says the token is deleted immediately', async () => {
  await page.locator('#instagram').getByRole('button', { name: 'Disconnect' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('The stored access token is deleted immediately.').waitFor();
  await shot(page, '13-disconnect-confirmation');
  await dialog.getByRole('button', { name: 'Disconnect' }).click();
  await page.locator('#instagram').getByText('Disconnected').waitFor();
  const connections = (await apiFromPage(page, '/instagram/connections')).body;
  expect.deepEqual(connections.map((c) => c.status), ['disconnected']);
  // The canceled post never published.
  const third = (await apiFromPage(page, `/posts/${posts.third}`)).body;
  expect.equal(third.status, 'canceled');
  expect.equal(third.permalink, null);
});

test('deletes the account and shows the confirmation code and status page', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await shot(page, '14-settings');
  await page.getByRole('button', { name: 'Delete my account and all my data' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete everything' }).click();
  await page.getByRole('heading', { name: 'Your account is being deleted' }).waitFor();
  const code = (await page.locator('#confirmation-code').innerText()).trim();
  expect.match(code, /^[0-9a-f]{32}$/);
  await shot(page, '15-account-deleted');
  await page.getByRole('link', { name: 'Follow the deletion status' }).click();
  await page.getByRole('heading', { name: 'Data deletion request' }).waitFor();
  expect.ok((await page.locator('main').innerText()).includes(code));
  await shot(page, '16-deletion-status');
  expect.equal((await apiFromPage(page, '/me')).status, 401, 'signed out');
  await page.goto(`${API}/app/`);
  await page.waitForURL(`${API}/app/signin`);
});

test('no page broke the content security policy or threw', () => {
  expect.deepEqual(browser.problems, []);
});
