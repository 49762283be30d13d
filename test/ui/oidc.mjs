// Logs people in to gennaker's UI through a real OpenID Connect provider,
// in a real headless Chromium. Run by oidc_test.go, which starts the
// provider and the server and applies the teams and grants:
//
//   GENNAKER_BASE=http://127.0.0.1:PORT OIDC_USER=alice OIDC_PASSWORD=... node oidc.mjs
//
// alice is in the provider's group payments-eng, which team payments maps,
// and team payments may read its applications (checkout), not search-api.
// The last line is "N passed, M failed"; the exit code is 1 on any failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.GENNAKER_BASE;
const user = process.env.OIDC_USER;
const password = process.env.OIDC_PASSWORD;
const email = process.env.OIDC_EMAIL;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const started = Date.now();
let passed = 0;
let failed = 0;
function log(msg) { console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s  ${msg}`); }
function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function check(name, fn) {
  try {
    await fn();
    passed++;
    log(`PASS ${name}`);
  } catch (err) {
    failed++;
    log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  }
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gennaker-oidc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  try {
    await check('a page without a login leads to the login page, which offers the identity provider', async () => {
      await page.goto(base + '/applications/checkout');
      await page.waitForURL(u => u.pathname === '/login');
      await page.getByRole('link', { name: 'Log in with Test IdP' }).waitFor();
    });

    await check('a wrong password stays at the provider and opens no session', async () => {
      await page.getByRole('link', { name: 'Log in with Test IdP' }).click();
      await page.locator('#username').waitFor();
      assert(!page.url().startsWith(base), `the provider's page should be on its own origin, got ${page.url()}`);
      await page.fill('#username', user);
      await page.fill('#password', 'wrong-' + password);
      await page.click('button[type=submit]');
      await page.getByText(/wrong/i).waitFor();
      const cookies = await context.cookies(base);
      assert(!cookies.some(c => c.name === 'gennaker_session'), 'no session after a refused login');
    });

    await check('logging in at the provider comes back to the page asked for, as the user', async () => {
      await page.fill('#username', user);
      await page.fill('#password', password);
      await page.click('button[type=submit]');
      await page.waitForURL(base + '/applications/checkout');
      await page.getByRole('heading', { name: 'checkout', level: 1 }).waitFor();
      const who = (await page.locator('.whoami .user').textContent()).trim();
      assert(who === email, `the header shows ${who}, want ${email}`);
      const session = (await context.cookies(base)).find(c => c.name === 'gennaker_session');
      assert(session && session.httpOnly && session.sameSite === 'Lax', `session cookie ${JSON.stringify(session)}`);
    });

    await check("the provider's group maps to team payments: its application is listed, another team's is not", async () => {
      await page.goto(base + '/');
      await page.getByRole('link', { name: 'checkout', exact: true }).waitFor();
      assert(await page.getByRole('link', { name: 'search-api', exact: true }).count() === 0, 'search-api belongs to team search and must not be listed');
      const res = await page.goto(base + '/applications/search-api');
      assert(res.status() === 403, `search-api's page answered ${res.status()}, want 403`);
      await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    });

    await check('a viewer cannot act: the API refuses a rollback sent from the page', async () => {
      await page.goto(base + '/applications/checkout');
      const status = await page.evaluate(async () => {
        const res = await fetch('/api/v1/applications/checkout/rollback', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"environment":"staging"}' });
        return res.status;
      });
      assert(status === 403, `rollback as a viewer answered ${status}, want 403`);
    });

    await check('log out ends the session', async () => {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(u => u.pathname === '/login');
      const res = await page.goto(base + '/applications/checkout');
      assert(page.url().startsWith(base + '/login'), `after logout ${page.url()} (${res.status()})`);
    });
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch(err => { console.log(String(err && err.stack ? err.stack : err)); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });
