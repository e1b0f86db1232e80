// The steps a person takes in the dashboard, shared by the specs.

import { readFileSync } from 'node:fs';
import { mp4 } from './mp4.mjs';

export const API = process.env.E2E_API_URL || 'http://127.0.0.1:8080';
/** How far ahead the carousel is scheduled (the two minutes unless shortened). */
export const CAROUSEL_DELAY_SECS = Number(process.env.E2E_CAROUSEL_DELAY_SECS || 120);

export const IMAGE = { name: 'square.jpg', mimeType: 'image/jpeg', buffer: readFileSync(new URL('../fixtures/square.jpg', import.meta.url)) };
export const VIDEO = { name: 'clip.mp4', mimeType: 'video/mp4', buffer: mp4({ mediaBytes: 2 * 1024 * 1024 }) };

/** A unique suffix for emails and Instagram usernames. */
export const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Calls the JSON API from the page, with its session cookie. */
export function apiFromPage(page, path) {
  return page.evaluate(async (p) => {
    const r = await fetch(`/api/v1${p}`, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, path);
}

/** Sends `body` with `method` to the JSON API from the page, with its session. */
export function sendFromPage(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const init = { method: m, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' } };
    if (b !== undefined) init.body = JSON.stringify(b);
    const r = await fetch(`/api/v1${p}`, init);
    return { status: r.status, body: await r.json().catch(() => null) };
  }, [method, path, body]);
}

export async function signUp(page, { name, email, password }) {
  await page.goto(`${API}/app/signup`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
}

/** Connects a new Instagram account through the simulator's consent screen. */
export async function connectInstagram(page, username) {
  await page.getByRole('link', { name: 'Connect Instagram' }).click();
  await page.waitForURL(/\/instagram\/oauth\/authorize/);
  await page.getByLabel('or as a new account').fill(username);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${API}/app/`);
  await page.getByText('Your Instagram account is connected.').waitFor();
  await page.locator('#instagram').getByText(`@${username}`).waitFor();
}

/** Uploads the image with the file picker and the video by drag and drop. */
export async function uploadMedia(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
  await page.getByRole('heading', { name: 'Media library' }).waitFor();
  await page.setInputFiles('#media-file', IMAGE);
  await page.locator('.media-grid li', { hasText: IMAGE.name }).waitFor();
  const drop = await page.evaluateHandle(({ name, type, b64 }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
    return dt;
  }, { name: VIDEO.name, type: VIDEO.mimeType, b64: VIDEO.buffer.toString('base64') });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: drop });
  await page.locator('.media-grid li', { hasText: VIDEO.name }).waitFor();
}

/** The datetime-local value of `ms` in the browser's zone, rounded up to the minute. */
export function localMinute(page, ms) {
  return page.evaluate((t) => {
    const d = new Date(Math.ceil(t / 60000) * 60000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }, ms);
}

/** Composes a post; `at` is a datetime-local value, or null to publish now. Returns its id. */
export async function compose(page, { kind, media, caption, at }) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compose' }).click();
  await page.getByRole('heading', { name: 'Compose a post' }).waitFor();
  await page.getByRole('group', { name: 'Kind of post' }).getByLabel(kind).check();
  for (const name of media) await page.locator('.picker label', { hasText: name }).locator('input').check();
  await page.getByLabel('Caption').fill(caption);
  if (at) {
    await page.getByRole('group', { name: 'When' }).getByLabel('Schedule').check();
    await page.getByLabel('Date and time').fill(at);
  } else {
    await page.getByRole('group', { name: 'When' }).getByLabel('Publish now').check();
  }
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(/\/app\/posts\/[0-9a-f]+$/);
  const id = page.url().split('/').pop();
  await page.locator(`#post-${id}`).waitFor();
  return id;
}
