// One browser tab on gennaker's applications page, for bench/uiload: logs
// in with the API token in $GENNAKER_TOKEN, opens BASE/ and stays there
// (the page refreshes itself from the change stream) until stdin closes,
// then prints how many times the page fetched itself. Run by
// bench/uiload/main.go with test/ui's playwright-core.
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', '..', 'test', 'ui', 'node_modules', 'playwright-core'));

const base = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

(async () => {
  const browser = await chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = [];
  page.on('pageerror', err => errors.push(String(err)));
  let fetches = 0;
  page.on('request', req => { const u = new URL(req.url()); if (u.pathname === '/' && req.resourceType() !== 'document') fetches++; });
  await page.goto(base + '/login');
  await page.fill('#token', process.env.GENNAKER_TOKEN);
  await Promise.all([page.waitForURL(u => u.pathname === '/'), page.press('#token', 'Enter')]);
  await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
  console.log('ready');
  process.stdin.resume();
  await new Promise(resolve => process.stdin.on('end', resolve));
  console.log(`fetches ${fetches} errors ${errors.length}${errors.length ? ': ' + errors.join('; ') : ''}`);
  await browser.close();
})().catch(err => { console.error(String(err)); process.exit(1); });
