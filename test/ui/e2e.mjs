// End-to-end test of gennaker's web UI in a real headless Chromium.
//
//   GENNAKER_BIN=/path/to/gennaker node test/ui/e2e.mjs
//
// Starts a real `gennaker server` (own data dir, free port), applies the
// sample application with a red-black pipeline, a pipeline gated by a manual
// judgment and a canary pipeline, deploys v1 and v2, then drives the UI:
// the applications page, Approve on a waiting execution (finishing live, no
// reload), Rollback on the application page (traffic moves, no reload), the
// events page, the analysis of a canary that failed, and the KPI page. Screenshots go to
// test/ui/artifacts/ and, when GENNAKER_UI_DOCS=1, to docs/screenshots/.
// The last line is "N passed, M failed"; the exit code is 1 on any failure.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const artifacts = path.join(here, 'artifacts');
const docsShots = path.join(repo, 'docs', 'screenshots');
const bin = process.env.GENNAKER_BIN;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const started = Date.now();

let passed = 0;
let failed = 0;
function log(msg) { console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s  ${msg}`); }

// check runs one named step; a failing step is counted and the run goes on
// only if later steps can still mean something (critical steps abort).
async function check(name, fn, { critical = false } = {}) {
  try {
    await fn();
    passed++;
    log(`PASS ${name}`);
  } catch (err) {
    failed++;
    log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
    if (critical) throw new Error(`stopping: ${name} failed`);
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// token is the admin API token the server wrote for the local user; api calls send it.
let token = '';

async function api(base, method, p, body) {
  const res = await fetch(base + p, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data;
  try { data = JSON.parse(text); } catch { data = text; }
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return data;
}

async function waitFor(what, fn, timeoutMs = 60000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}

async function waitExecution(base, id, pred, what, timeoutMs = 90000) {
  return waitFor(`execution ${id} ${what}`, async () => {
    const e = await api(base, 'GET', `/api/v1/executions/${id}`);
    return pred(e) ? e : null;
  }, timeoutMs);
}

const terminal = e => e.status !== 'running';

function config(frontDoor) {
  const redBlack = { type: 'red-black' };
  return {
    applications: [{
      name: 'sample', team: 'web-e2e', description: 'The sample service, deployed by the UI test.',
      run: { command: bin, args: ['sample-service'] },
      deployEnv: ['SAMPLE_ERROR_RATE', 'SAMPLE_LATENCY'],
      healthCheck: { path: '/healthz', interval: '100ms', timeout: '1s', startupTimeout: '30s' },
      instances: 1,
      slo: { availability: 99, latency: { p: 0.95, under: '50ms' } },
    }],
    environments: [{ name: 'local', production: true, target: { kind: 'local' }, frontDoors: { sample: frontDoor } }],
    pipelines: [
      {
        name: 'sample-redblack', application: 'sample', description: 'red/black to local',
        parameters: [{ name: 'version', required: true }],
        stages: [{ name: 'deploy', deploy: { environment: 'local', strategy: redBlack } }],
      },
      {
        name: 'sample-gated', application: 'sample', description: 'a person approves, then red/black',
        parameters: [{ name: 'version', required: true }],
        stages: [
          { name: 'approve', judgment: { instructions: 'Check the release notes, then approve.' } },
          { name: 'deploy', needs: ['approve'], deploy: { environment: 'local', strategy: redBlack } },
        ],
      },
      {
        name: 'sample-canary', application: 'sample', description: 'canary judged on front-door metrics',
        parameters: [{ name: 'version', required: true }],
        stages: [{
          name: 'canary', timeout: '5m',
          deploy: {
            environment: 'local',
            strategy: {
              type: 'canary',
              canary: {
                analysis: { minSamples: 5, maxExtensions: 2 },
                steps: [{ setWeight: 50 }, { analysis: { interval: '6s', intervals: 1 } }],
              },
            },
          },
        }],
      },
    ],
  };
}

// startServer runs `gennaker server` and resolves once its API answers.
async function startServer(dataDir, addr) {
  const logFile = fs.openSync(path.join(dataDir, 'server.log'), 'a');
  const cliConfig = dataDir + '.cli.yaml';
  const proc = spawn(bin, ['server', '--data', dataDir, '--addr', addr, '--destroy-on-exit', '--cli-config', cliConfig], { stdio: ['ignore', logFile, logFile] });
  const exited = new Promise(resolve => proc.once('exit', code => resolve(code)));
  const base = `http://${addr}`;
  let dead = false;
  exited.then(() => { dead = true; });
  await waitFor('the server to answer /healthz', async () => {
    if (dead) throw new Error(`gennaker server exited: see ${path.join(dataDir, 'server.log')}`);
    try { return (await fetch(base + '/healthz')).ok; } catch { return false; }
  }, 20000, 50);
  const m = /token: (gnk_\S+)/.exec(fs.readFileSync(cliConfig, 'utf8'));
  assert(m, `the server wrote no CLI credential to ${cliConfig}`);
  const link = /one-time login link[^:]*: (http\S+)/.exec(fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8'));
  assert(link, 'the server printed no one-time login link at its first start');
  return {
    base,
    token: m[1],
    loginURL: link[1].replace(/"$/, ''),
    async stop() {
      if (!dead) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 30000);
      await exited;
      clearTimeout(t);
      fs.closeSync(logFile);
    },
  };
}

// traffic sends requests to the front door until stopped, so the canary has data.
function traffic(url) {
  let on = true;
  const loop = async () => {
    while (on) {
      try { const r = await fetch(url); await r.arrayBuffer(); } catch { await sleep(20); }
    }
  };
  const workers = Array.from({ length: 6 }, loop);
  return async () => { on = false; await Promise.all(workers); };
}

async function shot(page, name, docs = true) {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  if (docs && process.env.GENNAKER_UI_DOCS === '1') {
    fs.mkdirSync(docsShots, { recursive: true });
    fs.copyFileSync(file, path.join(docsShots, name + '.png'));
  }
}

// The widths every page is checked at: a desktop, a 1440px screen at 200%
// zoom, and a phone.
const widths = [1440, 720, 390];

// pageAudit returns what is wrong with the page as it is laid out now: the
// document wider than the window (it would scroll sideways), with the
// elements that stick out; and numbers in table cells with more than four
// significant digits. Text in <code> (IDs) and in closed <details> is not
// rendered as a number and is skipped.
function pageAudit() {
  const problems = [];
  const iw = window.innerWidth;
  const sw = document.documentElement.scrollWidth;
  if (sw > iw) {
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > iw + 1 && r.width > 0 && !wide.some(w => w.contains(el))) wide.push(el);
    }
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    problems.push(`the page is ${sw}px wide in a ${iw}px window; sticking out: ${wide.slice(0, 5).map(name).join(', ')}`);
  }
  const numberToken = /^[-+−]?(\d+\.?\d*|\.\d+)(e[-+−]?\d+)?(%|ms|s|µs)?$/;
  const sig = tok => {
    let m = tok.replace(/^[-+−]/, '').replace(/(%|ms|s|µs)$/, '').split('e')[0];
    if (m.includes('.')) return m.replace('.', '').replace(/^0+/, '').length;
    return m.replace(/^0+/, '').replace(/0+$/, '').length;
  };
  for (const cell of document.querySelectorAll('td, th')) {
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (el.closest('code') || !el.checkVisibility()) continue;
      for (const tok of n.textContent.split(/[\s,;()[\]=/:×→]+/)) {
        if (numberToken.test(tok) && sig(tok) > 4) problems.push(`"${tok}" has more than 4 significant digits in a table cell: ${JSON.stringify(cell.innerText.slice(0, 80))}`);
      }
    }
  }
  return problems;
}

// checkLayout loads url at every width and fails on sideways scrolling, on
// long numbers in tables and on JavaScript errors. It leaves the page at the
// first width.
async function checkLayout(page, url, jsErrors, { allow404 = false, name = '' } = {}) {
  const problems = [];
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(url);
    await page.waitForLoadState('load');
    for (const p of await page.evaluate(pageAudit)) problems.push(`${width}px: ${p}`);
    if (width === 390 && name) await shot(page, name + '-390', name === 'application');
  }
  await page.setViewportSize({ width: widths[0], height: 900 });
  await page.goto(url);
  const errors = jsErrors.splice(0).filter(e => !(allow404 && /status of 404/.test(e)));
  if (errors.length) problems.push('JavaScript errors: ' + errors.join('; '));
  assert(problems.length === 0, `${url}:\n  ` + problems.join('\n  '));
}

async function main() {
  assert(bin && fs.existsSync(bin), 'set GENNAKER_BIN to a built gennaker binary (go build -o /tmp/gennaker ./cmd/gennaker)');
  assert(fs.existsSync(chromiumPath), `${chromiumPath} is missing: run scripts/test-deps.sh (installs Debian's chromium)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gennaker-ui-e2e-'));
  const dataDir = path.join(tmp, 'data');
  const profile = path.join(tmp, 'chromium-profile');
  fs.mkdirSync(dataDir);
  const addr = `127.0.0.1:${await freePort()}`;
  const frontDoor = `127.0.0.1:${await freePort()}`;
  const server = await startServer(dataDir, addr);
  const base = server.base;
  token = server.token;
  log(`gennaker server at ${base} (data ${dataDir})`);
  let context;
  try {
    await check('apply the sample application, environment and pipelines', async () => {
      const res = await api(base, 'POST', '/api/v1/config', config(frontDoor));
      assert(res.created.length === 5, `created ${JSON.stringify(res.created)}`);
    }, { critical: true });

    for (const version of ['v1', 'v2']) {
      await check(`deploy ${version} red/black through the API`, async () => {
        const e = await api(base, 'POST', '/api/v1/applications/sample/deploy', { environment: 'local', version, pipeline: 'sample-redblack' });
        const done = await waitExecution(base, e.id, terminal, 'to finish');
        assert(done.status === 'succeeded', `${version}: ${done.status}: ${done.reason}`);
      }, { critical: true });
    }

    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
      viewport: { width: 1440, height: 900 },
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20000);
    const jsErrors = [];
    page.on('pageerror', err => jsErrors.push(String(err)));
    page.on('console', msg => { if (msg.type() === 'error') jsErrors.push(msg.text()); });

    await check('without a login, a page leads to the login page; the one-time link logs in once', async () => {
      await page.goto(base + '/applications/sample');
      await page.waitForURL(u => u.pathname === '/login');
      await page.getByRole('heading', { name: 'Log in to gennaker' }).waitFor();
      await shot(page, 'login');
      await page.goto(server.loginURL);
      await page.getByRole('button', { name: 'Log in with this link' }).click();
      await page.waitForURL(base + '/');
      const who = await page.locator('.whoami .user').textContent();
      assert(/^token:local-/.test(who), `header shows ${who}`);
      const cookies = await context.cookies(base);
      const session = cookies.find(c => c.name === 'gennaker_session');
      assert(session && session.httpOnly && session.sameSite === 'Lax', `session cookie ${JSON.stringify(session)}`);
      // The link is one-time: a second browser gets no session from it.
      const again = await fetch(base + '/login/link', { method: 'POST', redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=' + new URL(server.loginURL).searchParams.get('token') });
      assert(again.status === 401, `second use of the link: ${again.status}`);
    }, { critical: true });

    await check('applications page lists sample with v2 serving 100%', async () => {
      await page.goto(base + '/');
      await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'sample', exact: true }).waitFor();
      const row = page.locator('tr[data-group="sample-v002"]');
      assert(await row.getAttribute('data-weight') === '100', 'sample-v002 should take 100%');
      assert(await page.locator('tr[data-group="sample-v001"]').getAttribute('data-weight') === '0', 'sample-v001 should take 0%');
      await page.getByText('1/1').first().waitFor();
      await shot(page, 'applications');
    });

    let gated;
    await check('the applications page follows the change stream, one fetch in flight at a time', async () => {
      // Count the page's own refetches (GET of this page) and how many are in flight at once.
      await page.addInitScript(() => {
        const orig = window.fetch;
        window.__refetch = { n: 0, inFlight: 0, most: 0 };
        window.fetch = async (input, init) => {
          const self = String(input) === location.href && !(init && init.method && init.method !== 'GET');
          if (!self) return orig(input, init);
          const r = window.__refetch;
          r.n++; r.inFlight++; r.most = Math.max(r.most, r.inFlight);
          try { return await orig(input, init); } finally { r.inFlight--; }
        };
      });
      await page.goto(base + '/');
      await page.getByText('● live').waitFor();
      gated = await api(base, 'POST', '/api/v1/applications/sample/deploy', { environment: 'local', version: 'v3', pipeline: 'sample-gated' });
      await waitExecution(base, gated.id, e => e.stages.some(s => s.name === 'approve' && s.status === 'waiting'), 'to wait for a judgment');
      // The new execution appears without a reload, from the stream's updates.
      await page.locator(`a[href="/executions/${gated.id}"]`).first().waitFor({ timeout: 30000 });
      const r = await page.evaluate(() => window.__refetch);
      assert(r.n >= 1 && r.most === 1, `refetches ${JSON.stringify(r)}: want at least one, never two at once`);
      // It says it waits for a person, not just "running".
      await page.getByText(/waiting for approval: stage approve/).first().waitFor({ timeout: 30000 });
    });

    await check('an execution waiting for judgment shows Approve and Reject', async () => {
      assert(gated, 'the deploy of the check before started');
      await page.goto(base + '/');
      await page.locator(`a[href="/executions/${gated.id}"]`).first().click();
      await page.waitForURL(`**/executions/${gated.id}`);
      await page.getByRole('button', { name: 'Approve stage approve' }).waitFor();
      await page.getByRole('button', { name: 'Reject stage approve' }).waitFor();
      assert(await page.getByText('Approve approve').count() === 0, 'the button repeats the stage name');
      assert(await page.locator('#exec-status').textContent() === 'running', 'status should be running');
      await page.getByText('Waiting for a person to approve or reject stage approve').waitFor();
      await page.getByText('● live').waitFor();
      await shot(page, 'execution-waiting');
    });

    await check('Approve finishes the execution live, without a reload', async () => {
      await page.evaluate(() => { window.__notReloaded = true; });
      await page.getByRole('button', { name: 'Approve stage approve' }).click();
      await page.waitForFunction(() => document.getElementById('exec-status')?.textContent === 'succeeded', null, { timeout: 60000 });
      // "Decision sent." goes once the execution has moved on.
      await page.waitForFunction(() => { const s = document.getElementById('action-status'); return !s || s.hidden || !s.textContent.includes('Decision sent'); }, null, { timeout: 10000 });
      assert(await page.evaluate(() => window.__notReloaded === true), 'the page was reloaded');
      await page.locator('li[data-stage="deploy"][data-status="succeeded"]').waitFor();
      await page.getByText(/Succeeded: approved by token:local-/).waitFor();
      await shot(page, 'execution');
    });

    await check('application page draws the traffic split: v3 100%', async () => {
      await page.goto(base + '/applications/sample');
      await page.locator('.box[data-version="v3"][data-weight="100"]').waitFor();
      await page.locator('.box[data-version="v2"][data-weight="0"]').waitFor();
      await page.getByRole('button', { name: 'Deploy' }).waitFor();
      await page.getByLabel('Pipeline').waitFor();
      await shot(page, 'application');
    });

    await check('the deploy form: hints from the pipeline, its error next to it', async () => {
      await page.goto(base + '/applications/sample');
      await page.getByLabel('Pipeline').selectOption('sample-redblack');
      const placeholder = await page.getByLabel(/^Parameters/).getAttribute('placeholder');
      assert(/declares no parameters besides version/.test(placeholder), `parameters placeholder ${JSON.stringify(placeholder)}`);
      assert(await page.locator('#deploy-pipeline-hint').textContent() === 'sample-redblack: red/black to local', 'the hint should describe the chosen pipeline');
      await page.getByLabel('Version').fill('v9');
      await page.getByLabel(/^Parameters/).fill('ticket=OPS-42');
      await page.getByRole('button', { name: 'Deploy', exact: true }).click();
      const status = page.locator('form.deploy .action-status.error');
      await status.waitFor();
      const text = await status.textContent();
      assert(/ticket/.test(text), `the error should name the parameter: ${text}`);
      const [form, box] = await Promise.all([page.locator('form.deploy').boundingBox(), status.boundingBox()]);
      assert(box.y >= form.y && box.y + box.height <= form.y + form.height, 'the error should show inside the deploy form');
      assert(await page.locator('#action-status').isHidden(), 'the error should not show at the top of the page');
      // The API's refusal is logged by the browser as a failed request: expected here.
      const i = jsErrors.findIndex(e => /status of 400/.test(e));
      if (i >= 0) jsErrors.splice(i, 1);
    });

    await check('Rollback (confirmed) moves traffic back to v2, without a reload', async () => {
      await page.evaluate(() => { window.__notReloaded = true; });
      let question = '';
      page.once('dialog', d => { question = d.message(); d.accept(); });
      await page.getByRole('button', { name: 'Roll back local…' }).click();
      await page.getByText('Rollback started').waitFor();
      assert(question.includes('Roll back sample in local'), `confirm dialog said ${JSON.stringify(question)}`);
      assert(question.includes('returns traffic to v2'), `the confirm dialog does not say which version: ${JSON.stringify(question)}`);
      await page.locator('.box[data-version="v2"][data-weight="100"]').waitFor({ timeout: 60000 });
      await page.locator('.box[data-version="v3"][data-weight="0"]').waitFor();
      await page.locator('tr[data-group="sample-v003"]').getByText('rolled back').waitFor();
      assert(await page.evaluate(() => window.__notReloaded === true), 'the page was reloaded');
      await shot(page, 'application-rolled-back');
    });

    let canary;
    await check('a canary with a faulty config fails on its analysis', async () => {
      const stop = traffic(`http://${frontDoor}/`);
      try {
        canary = await api(base, 'POST', '/api/v1/applications/sample/deploy', {
          environment: 'local', version: 'v4', pipeline: 'sample-canary', env: { SAMPLE_ERROR_RATE: '0.3', SAMPLE_LATENCY: '20ms' },
        });
        const done = await waitExecution(base, canary.id, terminal, 'to finish', 120000);
        assert(done.status === 'failed', `canary ${done.status}: ${done.reason}`);
      } finally {
        await stop();
      }
    });

    await check('analysis page shows why the canary failed, with plots', async () => {
      await page.goto(`${base}/executions/${canary.id}`);
      await page.getByText('Failed: ').first().waitFor();
      await page.getByRole('link', { name: 'Canary analysis →' }).click();
      await page.waitForURL(`**/executions/${canary.id}/analysis`);
      await page.getByText('Why it failed').waitFor();
      await page.locator('.why').getByText('error-rate').first().waitFor();
      assert(await page.locator('svg.plot').count() >= 2, 'expected the score plot and a metric plot');
      await page.getByRole('rowheader', { name: 'error-rate' }).first().waitFor();
      // The statistical judge's own thresholds, red failing metrics, plots of the samples, nothing wider than the window.
      await page.locator('svg.plot text', { hasText: 'pass 95' }).first().waitFor();
      assert(await page.locator('.badge.failed', { hasText: 'high' }).count() >= 1, 'a metric classified high should have a red badge');
      assert(await page.getByRole('img', { name: /error-rate: samples of baseline and canary/ }).count() === 1, 'expected a plot of the error-rate samples');
      const [scrollW, clientW] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert(scrollW <= clientW, `the analysis page is ${scrollW}px wide in a ${clientW}px window`);
      await shot(page, 'analysis');
      await page.goto(`${base}/executions/${canary.id}`);
      await page.getByRole('button', { name: /Retry from stage/ }).waitFor();
      await shot(page, 'execution-failed');
    });

    await check('events page lists the deploys, the approval and the rollback', async () => {
      await page.goto(base + '/events');
      await page.getByRole('heading', { name: 'Delivery events' }).waitFor();
      await page.locator('.badge', { hasText: 'rolled back' }).first().waitFor();
      await page.locator('.badge', { hasText: 'manual: approve' }).first().waitFor();
      await page.locator('.badge', { hasText: 'deployed' }).first().waitFor();
      await shot(page, 'events');
    });

    await check('executions, pipelines and the pipeline graph: filters, links, nothing wider than the window', async () => {
      const fits = async (what) => {
        const [scrollW, clientW] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
        assert(scrollW <= clientW, `${what} is ${scrollW}px wide in a ${clientW}px window`);
      };
      await page.goto(base + '/executions?application=sample&status=failed');
      await page.getByRole('heading', { name: /Executions of/ }).waitFor();
      await page.locator(`tr[data-execution="${canary.id}"]`).waitFor();
      assert(await page.locator('tr[data-execution] .badge.succeeded').count() === 0, 'the status filter should leave out succeeded executions');
      await fits('the executions page');
      await shot(page, 'executions');
      await page.goto(base + '/pipelines');
      await page.locator('tr[data-pipeline="sample-canary"]').waitFor();
      await fits('the pipelines page');
      await page.locator('tr[data-pipeline="sample-canary"] a', { hasText: 'sample-canary' }).click();
      await page.waitForURL('**/pipelines/sample/sample-canary');
      await page.locator('svg.graph').waitFor();
      await fits('the pipeline page');
      await shot(page, 'pipeline');
      await page.goto(`${base}/executions/${canary.id}`);
      await page.locator('svg.graph .node.failed').first().waitFor();
      await page.locator('.plan-step[data-state="failed"]').first().waitFor();
      await fits('the failed execution page');
      // Fetched, not opened: the browser logs a 404 document as a console error.
      const missing = await page.request.get(base + '/no-such-page');
      assert(missing.status() === 404 && (await missing.text()).includes('<h1>Page not found</h1>'), `/no-such-page: ${missing.status()}, want the UI's 404 page`);
    });

    await check('the KPI page: a chart and a table per KPI, bands in words, the CSV link, a filter form without JS', async () => {
      await page.goto(base + '/kpi');
      await page.getByRole('heading', { name: 'Delivery KPIs', level: 1 }).waitFor();
      const charts = await page.locator('svg.kpi-chart').count();
      assert(charts >= 9, `${charts} KPI charts, want 9`);
      assert(await page.getByRole('img', { name: /Lead time for changes per week: median and p90/ }).count() === 1, 'the lead time chart has no accessible name');
      assert(await page.locator('.kpi-table table').count() === charts, 'every chart should have its table');
      // The band is text, not only colour: elite/high/medium/low, or "no band" without data.
      const bands = await page.locator('.kpi-card .band').allTextContents();
      assert(bands.length === 4 && bands.every(b => /^(elite|high|medium|low|no band)$/.test(b)), `headline bands ${JSON.stringify(bands)}`);
      // Few production deploys here: the charts say so instead of drawing zeros.
      assert(await page.locator('svg.kpi-chart text.note').count() >= 1 || await page.locator('svg.kpi-chart polyline, svg.kpi-chart circle.pt').count() > 0, 'charts show neither data nor "no data"');
      const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
      assert(/^\/api\/v1\/kpi\?/.test(csv) && /format=csv/.test(csv) && /by=week/.test(csv), `CSV link ${csv}`);
      // The browser's session is accepted by the API's GET routes (the CSV link is one).
      const viaSession = await page.request.get(base + '/api/v1/executions?limit=1');
      assert(viaSession.status() === 200, `GET /api/v1/executions with the session: ${viaSession.status()}`);
      const res = await page.request.get(base + csv);
      assert(res.status() !== 401 && res.status() !== 403, `the CSV link refused the session: ${res.status()}`);
      if (res.status() === 200) assert((await res.text()).startsWith('scope,name,team,start'), 'the CSV has no header row');
      // The filter form is a plain GET form: the address says what is shown.
      await page.getByLabel('By', { exact: true }).selectOption('day');
      await page.getByLabel('Period', { exact: true }).selectOption('30d');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(u => u.pathname === '/kpi' && u.searchParams.get('by') === 'day' && u.searchParams.get('since') === '30d');
      await page.locator('svg.kpi-chart').first().waitFor();
      assert(/^day$/i.test(await page.locator('.kpi-table th[scope="col"]').first().textContent()), 'the tables should be by day');
      await page.goto(base + '/kpi');
      await shot(page, 'kpi', false); // docs/screenshots/kpi.png shows a populated quarter instead
    });

    await check('the SLO pages: the list, an SLO, the SLA report and its CSV', async () => {
      await page.goto(base + '/slos');
      await page.getByRole('heading', { name: 'SLOs', level: 1 }).waitFor();
      for (const name of ['sample-availability', 'sample-latency']) {
        assert(await page.locator(`tr[data-slo="${name}"]`).count() === 1, `the SLO list has no row for ${name}`);
      }
      await page.locator('tr[data-slo="sample-availability"] a', { hasText: 'sample-availability' }).click();
      await page.waitForURL('**/slos/sample-availability');
      await page.getByRole('heading', { name: /^SLO sample-availability/, level: 1 }).waitFor();
      await page.goto(base + '/sla');
      await page.getByRole('heading', { name: /^SLA report/, level: 1 }).waitFor();
      const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
      const res = await page.request.get(base + csv);
      assert(res.status() === 200, `the SLA CSV: ${res.status()}`);
      assert((await res.text()).includes('sample-availability'), 'the SLA CSV does not list sample-availability');
    });

    // Every page at 1440, 720 and 390 px: nothing scrolls sideways, no
    // number in a table has more than 4 significant digits, no JS errors.
    const pages = [['/', 'applications'], ['/applications/sample', 'application'], ['/events', 'events'], ['/events?application=sample', ''],
      ['/applications/sample/rollback?environment=local', 'confirm-rollback'], ['/applications/no-such-app', 'not-found'],
      ['/executions', 'executions'], ['/executions?application=sample&status=failed', ''], ['/pipelines', 'pipelines'], ['/pipelines/sample/sample-canary', 'pipeline'],
      ['/kpi', 'kpi'], ['/kpi?by=day&since=365d', ''], ['/slos', 'slos'], ['/slos/sample-availability', 'slo'], ['/sla', 'sla']];
    if (gated) pages.push([`/executions/${gated.id}`, 'execution']);
    if (canary) pages.push([`/executions/${canary.id}`, 'execution-failed'], [`/executions/${canary.id}/analysis`, 'analysis']);
    for (const [p, name] of pages) {
      await check(`layout of ${p} at ${widths.join(', ')} px`, async () => {
        await checkLayout(page, base + p, jsErrors, { allow404: p.includes('no-such-app'), name });
      });
    }

    await check('keyboard: the skip link and a visible focus ring', async () => {
      await page.goto(base + '/applications/sample');
      await page.keyboard.press('Tab');
      const skip = await page.evaluate(() => document.activeElement?.textContent);
      assert(skip === 'Skip to content', `first Tab focused ${JSON.stringify(skip)}`);
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert(outline === 'solid', `focused element outline is ${outline}`);
    });

    await check('log out ends the session', async () => {
      await page.goto(base + '/');
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(u => u.pathname === '/login');
      await page.goto(base + '/events');
      await page.waitForURL(u => u.pathname === '/login');
    });

    await check(`layout of /login at ${widths.join(', ')} px`, async () => {
      await checkLayout(page, base + '/login', jsErrors, { name: 'login' });
    });

    await check('no JavaScript errors on any page', async () => {
      assert(jsErrors.length === 0, jsErrors.join('\n'));
    });
  } catch (err) {
    log(String(err && err.message ? err.message : err));
    if (failed === 0) failed++;
  } finally {
    if (context) await context.close().catch(() => {});
    await server.stop();
    if (failed === 0) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp} (server.log inside data/)`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s; screenshots in ${artifacts}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch(err => {
  console.error(err);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
