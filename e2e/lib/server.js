// Helpers for the browser tests: start the real aftersales server on a free
// port in a fresh temp directory, and launch Debian's chromium headless.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
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

// Start `$AFTERSALES_BIN serve --demo` and wait until GET /readyz answers 200.
// Returns { baseUrl, dir, logPath, readLog(), stop() }.
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
    Object.entries(process.env).filter(([k]) => !k.startsWith('AFTERSALES_')),
  );
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
  // Never leave a server behind if the test process dies early.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const fail = async (why) => {
    child.kill('SIGKILL');
    await exited;
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
  // AFTERSALES_E2E_KEEP is set or the server did not exit cleanly.
  async function stop() {
    if (!exitInfo) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
    const clean = exitInfo.code === 0 || exitInfo.signal === 'SIGTERM';
    if (!clean) {
      console.error(`aftersales server did not exit cleanly (${JSON.stringify(exitInfo)}); log kept at ${logPath}`);
    } else if (!process.env.AFTERSALES_E2E_KEEP) {
      await rm(dir, { recursive: true, force: true });
    }
    return exitInfo;
  }

  return { baseUrl, dir, logPath, readLog, stop };
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
