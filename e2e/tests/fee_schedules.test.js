// Fee schedules kept from pages (issue 15, docs/charges.md "Fee schedules"), as the admin:
// the version in force shows its VAT as a percent; a new version copied from it with an
// urgent surcharge of 60 % is refused first for a day in the past (beside the field, the
// input kept), then added, shown, and listed in the history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, launchBrowser, menuLink, shot, startServer } from '../lib/server.js';

const T = { timeout: 120_000 };

async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
}

// A day `days` from now, as YYYY-MM-DD.
function dayFromNow(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe('fee schedules', () => {
  let server;
  let browser;
  let base;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('admin: the VAT in force, a new version with a 60% urgent surcharge, in the history', T, async (t) => {
    const context = await browser.newContext({ locale: 'en', viewport: { width: 1366, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await login(page, base, 'admin', ADMIN_PASSWORD);

    await (await menuLink(page, '/fee-schedules')).click();
    await page.waitForURL((u) => u.pathname === '/fee-schedules');
    assert.equal((await page.locator('#vat').textContent()).trim(), '13%');
    assert.match(await page.locator('#in-force').textContent(), /in force/);
    // The demo partner's own terms are in force.
    assert.match(await page.locator('#partners').textContent(), /P-HT/);
    const before = await page.locator('#history tbody tr').count();
    await shot(page, 'fee-schedules-en');

    await Promise.all([page.waitForURL((u) => u.pathname === '/fee-schedules/new'), page.click('#new-version')]);
    assert.equal(await page.inputValue('#vat'), '13');
    assert.equal(await page.inputValue('#urgent'), '50');

    // A day in the past is refused beside its field; what was typed stays.
    await page.fill('#effective_from', '2020-01-01');
    await page.fill('#urgent', '60');
    await Promise.all([page.waitForURL((u) => u.pathname === '/fee-schedules/new'), page.click('#save')]);
    assert.match(await page.locator('#form-alert').textContent(), /\S/);
    assert.match(await page.locator('#effective_from-error').textContent(), /past/);
    assert.equal(await page.inputValue('#urgent'), '60');

    const from = dayFromNow(30);
    await page.fill('#effective_from', from);
    await page.fill('#note', 'e2e: urgent 60%');
    await Promise.all([page.waitForURL((u) => /^\/fee-schedules\/[0-9a-f-]{36}$/.test(u.pathname)), page.click('#save')]);
    assert.match(await page.locator('#saved').textContent(), /\S/);
    assert.match(await page.locator('#version h2').textContent(), new RegExp(from));
    assert.match(await page.locator('#surcharges').textContent(), /\+60%/);
    assert.equal((await page.locator('#vat').textContent()).trim(), '13%');
    await shot(page, 'fee-schedules-new-version-en');

    // The history lists it, newest first; the version in force is still the earlier one.
    await page.goto(`${base}/fee-schedules`);
    assert.equal(await page.locator('#history tbody tr').count(), before + 1);
    const first = page.locator('#history tbody tr').first();
    assert.match(await first.textContent(), new RegExp(from));
    assert.match(await first.textContent(), /urgent 60%/);
    assert.match(await page.locator('#surcharges').textContent(), /\+50%/);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/fee-schedules'), first.locator('a').click()]);
    assert.match(await page.locator('#surcharges').textContent(), /\+60%/);
  });
});
