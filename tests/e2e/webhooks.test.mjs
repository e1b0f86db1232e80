// A customer connects their own system: adds a webhook endpoint (a receiver in this spec that
// checks every signature), copies the secret shown once, sends a test event and sees it in the
// delivery log.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { signUp, unique } from './lib/flow.mjs';

const user = { name: 'Ada Hooks', email: `hooks-${unique()}@example.com`, password: 'a long enough password' };
const received = [];
let secret = null;
let browser;
let page;
let receiver;
let url;

/** Standard Webhooks: HMAC-SHA256 of `{id}.{timestamp}.{body}` with the decoded secret. */
function verified(headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest();
  return (headers['webhook-signature'] || '').split(' ').some((s) => {
    const given = Buffer.from(s.replace(/^v1,/, ''), 'base64');
    return s.startsWith('v1,') && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ id: req.headers['webhook-id'], ok: secret !== null && verified(req.headers, body), body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${receiver.address().port}/hooks`;
  browser = await launch();
  page = browser.page;
});
after(async () => {
  await browser?.close();
  receiver?.close();
});

test('webhooks: add an endpoint, see its secret once, send a test event, see it delivered', async () => {
  await signUp(page, user);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
  await page.getByLabel('Endpoint URL').fill('http://10.0.0.1/hooks');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByText('must use https').waitFor();

  await page.getByLabel('Endpoint URL').fill(url);
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByRole('heading', { name: 'Signing secret' }).waitFor();
  secret = (await page.locator('.secret-value').textContent()).trim();
  expect.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  await shot(page, 'webhooks-1-secret-once');

  await page.getByRole('button', { name: 'Send test event' }).click();
  for (let i = 0; i < 100 && received.length === 0; i += 1) await new Promise((r) => setTimeout(r, 200));
  expect.equal(received.length, 1, 'the receiver got the test event');
  expect.ok(received[0].ok, 'its signature verifies with the secret shown');
  expect.equal(received[0].body.type, 'webhook.test');

  // Shown once: a reload has the endpoint and its log, never the secret.
  for (let i = 0; i < 30; i += 1) {
    await page.reload();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    if (await page.locator('tr.delivery[data-status="delivered"]').count()) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const row = page.locator('tr.delivery[data-status="delivered"]');
  await row.getByText('webhook.test').waitFor();
  await row.getByText(/HTTP 200 in \d+ ms/).waitFor();
  expect.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again');
  await shot(page, 'webhooks-2-delivery-log');
});
