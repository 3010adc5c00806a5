// Helpers for the browser tests: start the real aftersales server on a free
// port in a fresh temp directory, and launch Debian's chromium headless.
// AFTERSALES_E2E_BACKEND=postgres runs it on a fresh PostgreSQL database instead of
// SQLite: as_e2e_<random> on the server at AFTERSALES_TEST_PG_URL, made with psql and
// dropped when the server stops.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const ADMIN_PASSWORD = 'Admin-pass-2026';
export const DEMO_PASSWORD = 'demo-2026';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

// Ask the OS for a free TCP port: listen on port 0, read the number, close.
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

export const BACKEND = process.env.AFTERSALES_E2E_BACKEND || 'sqlite';
if (!['sqlite', 'postgres'].includes(BACKEND)) {
  throw new Error(`AFTERSALES_E2E_BACKEND is ${BACKEND}: sqlite or postgres`);
}
const PG_ADMIN_URL = process.env.AFTERSALES_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function psql(sql) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql, PG_ADMIN_URL], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// A fresh PostgreSQL database: { name, url, drop() }.
function freshPgDatabase() {
  const name = `as_e2e_${randomBytes(8).toString('hex')}`;
  psql(`CREATE DATABASE ${name}`);
  const url = `${PG_ADMIN_URL.slice(0, PG_ADMIN_URL.lastIndexOf('/'))}/${name}`;
  let dropped = false;
  const drop = () => {
    if (dropped) return;
    dropped = true;
    psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  return { name, url, drop };
}

// Start `$AFTERSALES_BIN serve --demo` and wait until GET /readyz answers 200.
// Returns { baseUrl, dir, logPath, readLog(), stop(), backend }.
export async function startServer({ args = ['serve', '--demo'], env = {} } = {}) {
  if (!process.env.AFTERSALES_BIN) {
    throw new Error('AFTERSALES_BIN is not set: point it at the built aftersales binary');
  }
  const bin = resolve(process.env.AFTERSALES_BIN); // the child runs in another cwd
  const dir = await mkdtemp(join(tmpdir(), 'aftersales-e2e-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logPath = join(dir, 'server.log');
  const readLog = () => readFileSync(logPath, 'utf8');

  // Drop inherited AFTERSALES_* settings (e.g. AFTERSALES_TEST_PG_URL) so the
  // server sees only what this helper sets.
  const childEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AFTERSALES_') && k !== 'DATABASE_URL'),
  );
  const pg = BACKEND === 'postgres' ? freshPgDatabase() : null;
  if (pg) childEnv.DATABASE_URL = pg.url;
  Object.assign(childEnv, {
    AFTERSALES_BIND: `127.0.0.1:${port}`,
    AFTERSALES_ADMIN_PASSWORD: ADMIN_PASSWORD,
    AFTERSALES_LOG_FORMAT: 'json',
    ...env,
  });

  const logFd = openSync(logPath, 'a');
  const child = spawn(bin, args, { cwd: dir, env: childEnv, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);

  let exitInfo = null;
  const exited = new Promise((ok) => {
    child.once('exit', (code, signal) => ok((exitInfo = { code, signal })));
    child.once('error', (error) => ok((exitInfo = { code: null, signal: null, error })));
  });
  // Never leave a server behind if the test process dies early (its database is left
  // then: `exit` handlers cannot wait for the server to let go of it).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const fail = async (why) => {
    child.kill('SIGKILL');
    await exited;
    process.removeListener('exit', killOnExit);
    pg?.drop();
    console.error(`--- aftersales server log (${logPath}) ---\n${readLog()}\n--- end of log ---`);
    throw new Error(why);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitInfo) {
      const how = exitInfo.error ? exitInfo.error.message : `code ${exitInfo.code}, signal ${exitInfo.signal}`;
      await fail(`aftersales server exited before it was ready (${how})`);
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) await fail(`aftersales server not ready at ${baseUrl}/readyz after 60 s`);
    await sleep(200);
  }

  // SIGTERM, wait up to 10 s, then SIGKILL. Removes the temp dir unless
  // AFTERSALES_E2E_KEEP is set or the server did not exit cleanly, and drops the
  // PostgreSQL database unless AFTERSALES_E2E_KEEP is set.
  async function stop() {
    if (!exitInfo) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
    if (pg && process.env.AFTERSALES_E2E_KEEP) console.error(`PostgreSQL database kept: ${pg.url}`);
    else pg?.drop();
    const clean = exitInfo.code === 0 || exitInfo.signal === 'SIGTERM';
    if (!clean) {
      console.error(`aftersales server did not exit cleanly (${JSON.stringify(exitInfo)}); log kept at ${logPath}`);
    } else if (!process.env.AFTERSALES_E2E_KEEP) {
      await rm(dir, { recursive: true, force: true });
    }
    return exitInfo;
  }

  return { baseUrl, dir, logPath, readLog, stop, backend: BACKEND };
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

// Debian's chromium via playwright-core; playwright gives it a fresh temp profile.
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

// Screenshots kept by the test run (issue 13): e2e/screenshots/<backend>/<name>.png, or under
// $AFTERSALES_E2E_SHOTS. Full page, so a reviewer sees what the user would scroll to.
const SHOTS_DIR = process.env.AFTERSALES_E2E_SHOTS
  ? resolve(process.env.AFTERSALES_E2E_SHOTS)
  : resolve(new URL('..', import.meta.url).pathname, 'screenshots', BACKEND);

export async function shot(page, name) {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const path = join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// A link of the menu, its area opened first when the area's links are folded away (the
// menu is grouped by area since issue 13).
export async function menuLink(page, href) {
  const link = page.locator(`#main-nav a[href="${href}"]`);
  if (!(await link.isVisible())) {
    const inArea = page.locator(`a[href="${href}"]`); // `has` is matched inside each area
    await page.locator('#main-nav li.nav-group', { has: inArea }).locator('.nav-group-btn').click();
  }
  return link;
}

/** The password of a user of the demo: the admin's, or the demo users' shared one. */
export const passwordOf = (username) => (username === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD);

/** A JSON API call; throws on anything but 2xx, with the problem's body. */
export async function api(base, token, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** An API token of a user, signed in through the API. */
export async function apiToken(base, username, password = passwordOf(username)) {
  return (await api(base, null, 'POST', '/api/v1/auth/login', { username, password })).token;
}

/** Signs a page in through the login form and waits until it has left the form. */
export async function signIn(page, base, username, password = passwordOf(username)) {
  await page.goto(`${base}/login`);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
}
