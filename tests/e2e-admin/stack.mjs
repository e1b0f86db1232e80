// Starts the admin console's test stack ($CARGO_TARGET_DIR/debug/admin-e2e-stack: simulator, api, worker,
// an admin account and a failed post) and a headless Chromium, for one spec.
import assert from "node:assert/strict";
import { seriousViolations } from "../e2e/lib/axe.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

/** Starts the stack; resolves to its description plus `command()` and `stop()`. */
export async function startStack() {
  const target = process.env.CARGO_TARGET_DIR || join(here, "../../target");
  const child = spawn(join(target, "debug/admin-e2e-stack"), [], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  lines.on("line", (line) => (waiters.length ? waiters.shift()(line) : queue.push(line)));
  const next = () =>
    new Promise((resolve, reject) => {
      if (queue.length) return resolve(queue.shift());
      const timer = setTimeout(() => reject(new Error("the stack did not answer")), 120_000);
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const failed = new Promise((_, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`the stack exited with ${code}`)));
  });
  const info = JSON.parse(await Promise.race([next(), failed]));
  return {
    ...info,
    async command(text) {
      child.stdin.write(text + "\n");
      return next();
    },
    async stop() {
      child.stdin.end();
      await new Promise((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.on("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/** A fresh headless Debian Chromium (no browser download, its own profile). */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "aistudio-admin-e2e-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1366, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Signs in through the form, from a deep link, and lands on the overview. */
export async function signIn(page, stack) {
  await page.goto(`${stack.api}/admin`);
  await page.waitForURL(/\/admin\/login/);
  await page.getByLabel("Email").fill(stack.admin_email);
  await page.getByLabel("Password").fill(stack.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${stack.api}/admin`);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Fails naming every serious or critical axe-core violation (WCAG 2.1 A/AA) on the page as it
 * is, and anything wider than a 390 px phone screen. */
export async function accessible(page, where) {
  assert.deepEqual(await seriousViolations(page), [], `${where}: axe-core`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize(size);
  assert.ok(overflow <= 0, `${where}: ${overflow} px wider than a 390 px screen`);
}
