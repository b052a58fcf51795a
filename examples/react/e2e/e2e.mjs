// End-to-end test of the React example in real headless Chromium (Debian's
// /usr/bin/chromium through playwright-core; no browser is downloaded).
//
//	NOTEBOOKS_BIN=/path/to/notebooks npm run e2e
//
// It starts the example API (the binary of ./examples/notebooks, unchanged,
// configured by flags only) and the Vite dev server on two loopback ports:
// two origins, one site. Then, in the browser: register (a field error
// first), straight into the protected page, a notebook, a refresh through
// react-auth-kit's createRefresh, logout, the protected route refused, a
// reused refresh token ending the session; and the cookie page, without
// react-auth-kit, from the same other origin. Every process it started is
// stopped at the end, failure or not.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const bin = process.env.NOTEBOOKS_BIN;
if (!bin) throw new Error('NOTEBOOKS_BIN: the path of the built examples/notebooks');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const deadline = setTimeout(() => fail(new Error('e2e: over 120 s')), 120_000);

const children = [];
const dir = mkdtempSync(join(tmpdir(), 'authkit-react-e2e-'));
let browser;
let current; // the page in use, for the report of a failure

async function cleanup() {
  clearTimeout(deadline);
  if (browser) await browser.close().catch(() => {});
  for (const c of children) {
    if (c.exitCode === null) {
      // Vite runs under npx/node; its group goes with it.
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        c.kill('SIGTERM');
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

async function fail(err) {
  console.error('e2e FAILED:', err?.stack ?? err);
  if (current) {
    const text = await current.evaluate(() => document.body.innerText).catch(() => '?');
    const storage = await current.evaluate(() => JSON.stringify(localStorage)).catch(() => '?');
    console.error(`--- page ${current.url()}:\n${text}\n--- localStorage: ${storage}`);
  }
  for (const c of children) if (c.log) console.error(`--- ${c.name}:\n${c.log.slice(-3000)}`);
  await cleanup();
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// start runs cmd and resolves with the first match of ready in its output.
function start(name, cmd, args, env, ready) {
  return new Promise((resolve, reject) => {
    // NO_COLOR: with CI set, vite colours its output, and the escape codes
    // would split the address the ready pattern looks for.
    const c = spawn(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    c.name = name;
    c.log = '';
    children.push(c);
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 60_000);
    const onData = (d) => {
      c.log += String(d).replace(/\x1b\[[0-9;]*m/g, '');
      const m = c.log.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    c.stdout.on('data', onData);
    c.stderr.on('data', onData);
    c.on('exit', (code) => (code === 0 ? resolve([]) : reject(new Error(`${name} exited with ${code}`))));
  });
}

function check(ok, what) {
  if (!ok) throw new Error(what);
}

async function main() {
  const appPort = await freePort();
  const app = `http://127.0.0.1:${appPort}`;
  const [, api] = await start('notebooks', bin, [
    '-addr', '127.0.0.1:0',
    '-db', `sqlite:${join(dir, 'notebooks.db')}`,
    '-refresh-jwt',
    '-cors-origins', app,
    '-trusted-origins', app,
  ], { AUTHKIT_SECRET: randomBytes(32).toString('hex') }, /notebooks listening on (http:\/\/\S+)/);
  // Built, then served by vite preview: the dev server may reload the page
  // on its own when it discovers a dependency, which a test cannot have.
  const dist = join(dir, 'dist');
  await start('vite build', 'npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir'], {
    VITE_API_URL: api,
    VITE_REFRESH_MINUTES: '0.05', // a refresh every 3 s
    VITE_AUTH_DEBUG: process.env.AUTH_DEBUG ?? '',
  }, /built in/);
  await start('vite preview', 'npx', ['vite', 'preview', '--outDir', dist, '--port', String(appPort)], {},
    /Local:\s+http:\/\/127\.0\.0\.1/);
  console.log(`API ${api}, front end ${app}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage();
  current = page;
  page.on('console', (m) => m.type() === 'error' && console.error('console:', m.text()));
  if (process.env.AUTH_DEBUG) page.on('console', (m) => console.error('log:', m.text())); // react-auth-kit's own
  page.on('response', (r) => r.status() >= 400 && console.error(`answer: ${r.status()} ${r.request().method()} ${r.url()}`));
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const email = `ada-${Date.now()}@example.com`;
  const password = 'analytical-engine-1843';

  // Register: the password policy's reason beside the password field, then
  // straight in.
  await page.goto(`${app}/register`);
  await page.fill('#field-email', email);
  await page.fill('#field-password', 'short');
  await page.click('#register button[type=submit]');
  const reason = await page.textContent('#field-password-error');
  check(/at least 8 characters/.test(reason ?? ''), `password error: ${reason}`);
  await page.fill('#field-password', password);
  await page.fill('#field-display_name', 'Ada L.');
  await page.click('#register button[type=submit]');
  await page.waitForURL(`${app}/notebooks`);
  await page.waitForSelector('#me b:text("Ada L.")');

  // A notebook, over the bearer token.
  await page.fill('#field-title', 'First');
  await page.click('#new-notebook button[type=submit]');
  await page.waitForSelector('#notebooks .title:text("First")');

  // createRefresh exchanges the refresh token (a JWT, as react-auth-kit
  // needs) for a new pair; the page goes on with the new access token.
  const tokens = () => page.evaluate(() => [localStorage.getItem('_auth'), localStorage.getItem('_auth_refresh')]);
  const [access1, refresh1] = await tokens();
  check(refresh1?.split('.').length === 3, `refresh token ${refresh1} is not a JWT`);
  await page.waitForFunction((r) => localStorage.getItem('_auth_refresh') !== r, refresh1, { timeout: 20_000 });
  const [access2, refresh2] = await tokens();
  check(access2 && refresh2?.split('.').length === 3 && access2 !== access1 && refresh2 !== refresh1,
    `no new tokens after the refresh: ${access2} ${refresh2}`);
  await page.reload();
  await page.waitForSelector('#notebooks .title:text("First")');

  // Logout ends the token; the protected route sends back to the login.
  await page.click('#me button');
  await page.waitForURL(`${app}/login`);
  const after = await fetch(`${api}/users/me`, { headers: { Authorization: `Bearer ${access2}` } });
  check(after.status === 401, `the token after logout: ${after.status}`);
  await page.goto(`${app}/notebooks`);
  await page.waitForURL(`${app}/login`);

  // Wrong password: said on the form.
  await page.fill('#field-username', email);
  await page.fill('#field-password', 'not-the-password');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#form-error:text("Wrong email or password.")');

  // Log in again; once the refresh token has rotated, the old one presented
  // (a stolen copy) ends the session, and the page notices.
  await page.fill('#field-password', password);
  await page.click('#login button[type=submit]');
  await page.waitForURL(`${app}/notebooks`);
  const [, stolen] = await tokens();
  await page.waitForFunction((r) => localStorage.getItem('_auth_refresh') !== r, stolen, { timeout: 20_000 });
  const reuse = await fetch(`${api}/auth/jwt/refresh`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: stolen }),
  });
  check(reuse.status === 400 && (await reuse.json()).detail === 'REFRESH_TOKEN_INVALID', `reused refresh token: ${reuse.status}`);
  await page.reload();
  await page.waitForURL(`${app}/login`);

  // The cookie page, without react-auth-kit: HttpOnly cookie, fetch with
  // credentials, from this other origin.
  const cookiePage = await browser.newPage();
  current = cookiePage;
  cookiePage.setDefaultTimeout(20_000);
  await cookiePage.goto(`${app}/cookie.html`);
  await cookiePage.fill('#field-username', email);
  await cookiePage.fill('#field-password', password);
  await cookiePage.click('#login button[type=submit]');
  await cookiePage.waitForSelector('#me:text("(cookie)")');
  await cookiePage.waitForSelector('#notebooks .title:text("First")');
  check(!(await cookiePage.evaluate(() => document.cookie)).includes('authkit='), 'the cookie is readable by scripts');
  await cookiePage.fill('#field-title', 'From the cookie page');
  await cookiePage.click('#new-notebook button[type=submit]');
  await cookiePage.waitForSelector('#notebooks .title:text("From the cookie page")');
  await cookiePage.click('#me button');
  await cookiePage.waitForSelector('#login');
  await cookiePage.reload();
  await cookiePage.waitForSelector('#login');

  console.log('e2e: register, field error, protected route, notebooks, createRefresh, logout, reuse detection, cookie page: OK');
}

main().then(cleanup, fail);
