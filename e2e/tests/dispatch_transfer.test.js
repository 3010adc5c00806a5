// Handing a job nobody here may take to another station (issue 13, defect 6) on a 1366 px
// desktop in zh-CN. Set up through the API as the admin: 沈阳铁西 also covers all of 沈阳 and
// gets a dispatcher of its own; an elevator job in 和平区 waits, and nobody is certified for
// elevators (张伟 is a trainee). The demo dispatcher opens the job: the "nobody may be sent"
// panel offers 沈阳铁西; a blank reason comes back beside its field with the choice kept;
// with a reason the job is handed over, confirmed, and gone from this board; 铁西's
// dispatcher finds it on theirs and in the bell. Screenshots: dispatcher-transfer-*.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, shot, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const DESKTOP = { width: 1366, height: 900 };

async function api(base, token, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function signIn(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
}

describe('the dispatcher hands a job nobody here may take to another station', () => {
  let server;
  let browser;
  let base;
  let job;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const { token } = await api(base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    const units = await api(base, token, 'GET', '/api/v1/org-units?limit=200');
    const tx = units.items.find((u) => u.code === 'SY-TX');
    const regions = await api(base, token, 'GET', `/api/v1/org-units/${tx.id}/regions`);
    await api(base, token, 'PUT', `/api/v1/org-units/${tx.id}/regions`, { version: regions.version, regions: ['210106', '210114', '210100'] });
    await api(base, token, 'POST', '/api/v1/users', {
      username: 'tx.dispatcher', display_name: '铁西调度', role: 'dispatcher', org_unit_id: tx.id, password: 'tx-dispatcher-2026',
    });
    const customer = await api(base, token, 'POST', '/api/v1/customers', {
      kind: 'individual', name: '周电梯', region_code: '210102',
      contacts: [{ name: '周电梯', phones: ['139 0000 7788'] }],
      sites: [{ address: '沈阳市和平区转交路6号', region_code: '210102' }],
    });
    const unit = await api(base, token, 'POST', '/api/v1/units', {
      serial: 'DT-E2E-0001', product_code: 'DT-1000', customer_id: customer.id, site_id: customer.sites[0].id, sale_date: '2025-06-01',
    });
    const request = await api(base, token, 'POST', '/api/v1/service-requests', {
      customer_id: customer.id, unit_id: unit.id, kind: 'repair', symptom: '电梯门无法关闭', priority: 'high',
    });
    const triaged = await api(base, token, 'POST', `/api/v1/service-requests/${request.id}/triage`, { version: request.version, mode: 'onsite' });
    job = triaged.work_orders[0].number;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('zh-CN, 1366 px: the next step hands it over with a reason', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base, 'dispatcher', DEMO_PASSWORD);
    await page.goto(`${base}/dispatch?job=${job}`);
    await page.locator(`#selected-job[data-number="${job}"]`).waitFor();
    const panel = page.locator('#next-steps');
    await panel.waitFor();
    const options = await page.locator('#transfer-unit option').allTextContents();
    assert.deepEqual(options, ['沈阳铁西服务站（覆盖该市，通知：铁西调度）'], 'the station covering the place, with who is told');
    await shot(page, 'dispatcher-transfer-offered');

    // A blank reason: refused beside its field, nothing handed over.
    await page.fill('#transfer-reason', ' ');
    await page.click('#transfer');
    await page.locator('#transfer-reason-error').waitFor();
    assert.match(await page.locator('#transfer-reason-error').textContent(), /\S/);
    assert.equal(await page.locator(`#jobs li[data-number="${job}"]`).count(), 1, 'still on this board');

    await page.fill('#transfer-reason', '本站无电梯认证工程师');
    await page.click('#transfer');
    await page.locator('#flash').waitFor();
    assert.match(await page.locator('#flash').textContent(), /工单已转交给 沈阳铁西服务站/);
    assert.equal(await page.locator(`#jobs li[data-number="${job}"]`).count(), 0, 'gone from this board');
    await shot(page, 'dispatcher-transfer-done');

    // The receiving station's dispatcher finds it on their board, and was told.
    const other = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => other.close());
    const theirs = await other.newPage();
    theirs.setDefaultTimeout(15_000);
    await signIn(theirs, base, 'tx.dispatcher', 'tx-dispatcher-2026');
    await theirs.goto(`${base}/dispatch`);
    await theirs.locator(`#jobs li[data-number="${job}"]`).waitFor();
    const { token } = await api(base, null, 'POST', '/api/v1/auth/login', { username: 'tx.dispatcher', password: 'tx-dispatcher-2026' });
    const bell = await api(base, token, 'GET', '/api/v1/notifications');
    const told = bell.items.find((n) => n.event === 'job_transferred');
    assert.ok(told, 'told in the bell');
    assert.match(told.body, /本站无电梯认证工程师/);
    await shot(theirs, 'dispatcher-transfer-received');
  });
});
