// Publishing as the customer sees it: the reel scheduled for now shows as published with its
// link on Instagram, the carousel scheduled two minutes ahead publishes at its time, and a
// canceled post never publishes. Needs the worker's publishing workflow.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import {
  API, CAROUSEL_DELAY_SECS, IMAGE, VIDEO, apiFromPage, compose, connectInstagram, localMinute,
  signUp, unique, uploadMedia,
} from './lib/flow.mjs';

const id = unique();
let browser;
let page;
const posts = {};

before(async () => {
  browser = await launch();
  page = browser.page;
  await signUp(page, { name: 'Grace Hopper', email: `grace-${id}@example.com`, password: 'correct horse battery' });
  await connectInstagram(page, `grace_shop_${id}`);
  await uploadMedia(page);
});
after(async () => {
  await browser?.close();
});

/** Waits on the post's page until the dashboard shows it `published`, then returns the API's view. */
async function seePublished(postId, timeoutMs) {
  await page.goto(`${API}/app/posts/${postId}`);
  await page.locator(`#post-${postId}[data-status="published"]`).waitFor({ timeout: timeoutMs });
  const link = page.locator(`#post-${postId} a.permalink`);
  await link.waitFor({ timeout: 30000 });
  const post = (await apiFromPage(page, `/posts/${postId}`)).body;
  expect.equal(post.status, 'published');
  expect.ok(post.permalink, 'the API knows the permalink');
  expect.equal(await link.getAttribute('href'), post.permalink, 'the link goes to the post on Instagram');
  return post;
}

test('the reel scheduled for now is published, with its link', async () => {
  const at = await localMinute(page, Date.now() + CAROUSEL_DELAY_SECS * 1000);
  posts.carousel = await compose(page, { kind: 'Carousel', media: [IMAGE.name, VIDEO.name], caption: 'Carousel #spring', at });
  posts.third = await compose(page, { kind: 'Image', media: [IMAGE.name], caption: 'Never to be published', at });
  await page.locator(`#post-${posts.third}`).getByRole('button', { name: 'Cancel post' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel post' }).click();
  await page.locator(`#post-${posts.third}[data-status="canceled"]`).waitFor();
  posts.reel = await compose(page, { kind: 'Reel', media: [VIDEO.name], caption: 'Reel #now', at: null });
  await seePublished(posts.reel, 120000);
  await shot(page, '20-reel-published');
});

test('the carousel publishes at its time, and the canceled post never does', async () => {
  const post = await seePublished(posts.carousel, (CAROUSEL_DELAY_SECS + 180) * 1000);
  expect.ok(Date.parse(post.published_at) >= Date.parse(post.scheduled_at), 'not before its time');
  await shot(page, '21-carousel-published');
  const third = (await apiFromPage(page, `/posts/${posts.third}`)).body;
  expect.equal(third.status, 'canceled');
  expect.equal(third.ig_media_id, null);
  expect.deepEqual(browser.problems, []);
});
