// The end of the operator's story: the retried post publishes. Needs the publishing workflow
// (the worker that consumes PublishPost); run with `tests/e2e-admin/run publishing.test.mjs`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, launchBrowser, signIn, shot } from "./stack.mjs";

let stack;
let browser;
let page;

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  page = browser.pages()[0] ?? (await browser.newPage());
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test("a retried post publishes and its timeline shows the new attempt", async () => {
  await signIn(page, stack);
  await page.goto(`${stack.api}/admin/posts?status=failed&email=${encodeURIComponent(stack.customer_email)}`);
  await page.getByRole("link", { name: stack.failed_post }).click();
  await page.getByRole("link", { name: "Retry now…" }).click();
  await page.getByRole("button", { name: "Confirm: retry" }).click();
  assert.match(await page.getByRole("status").textContent(), /^Done:/);

  // The post's status is saved before its timeline entry: a worker writes events in batches
  // (within a quarter of a second when quiet), so the page is reloaded until both show.
  const publishedRow = page.locator("#timeline tbody tr", {
    has: page.locator("td:nth-child(2)", { hasText: /^publish$/ }),
  }).filter({ hasText: "succeeded" });
  const deadline = Date.now() + 90_000;
  let heading = "";
  let rows = 0;
  while (Date.now() < deadline) {
    await page.goto(`${stack.api}/admin/posts/${stack.failed_post}`);
    heading = await page.locator("h1").textContent();
    rows = await publishedRow.count();
    if (/published/.test(heading) && rows > 0) break;
    await page.waitForTimeout(1000);
  }
  assert.match(heading, /published/, "the post did not publish within 90 s");
  assert.equal(rows, 1, "the timeline shows one succeeded publish step");
  await shot(page, "admin-post-published");
});
