// Each role's home is its work, the menu by area, and staff told when work arrives (issue 13,
// defects 1, 8, 9, 10 and 17's favicon), in zh-CN, in a real browser against the real
// server with the demo data. Screenshots of each role's home on a desktop and a phone are
// kept under e2e/screenshots/<backend>/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, shot, startServer, api } from '../lib/server.js';

const T = { timeout: 240_000 };
const DESK = { viewport: { width: 1366, height: 900 } };
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
const SITE = { latitude: 41.7968, longitude: 123.429 };

// Where each role lands, and what its home must show.
const HOMES = {
  agent: { path: '/console', shows: '#q' },
  dispatcher: { path: '/dispatch', shows: '#jobs' },
  engineer: { path: '/m', shows: '#page-title' },
  partner: { path: '/m', shows: '#page-title' },
  customer: { path: '/portal', shows: '#page-title' },
  manager: { path: '/', shows: '#figures' },
  admin: { path: '/', shows: '#figures' },
  warehouse: { path: '/', shows: '#page-title' },
};
const passwordOf = (role) => (role === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD);

describe('homes that lead to the work, the menu by area, staff told of work', () => {
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

  async function signedIn(t, role, options) {
    const context = await browser.newContext({ locale: 'zh-CN', ...options });
    t.after(() => context.close());
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#login-form input[name=username]', role);
    await page.fill('#login-form input[name=password]', passwordOf(role));
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
    return page;
  }

  const token = async (role) =>
    (await api(base, null, 'POST', '/api/v1/auth/login', { username: role, password: passwordOf(role) })).token;

  test('each role lands on its work, on a desktop and a phone', T, async (t) => {
    for (const [role, home] of Object.entries(HOMES)) {
      for (const [device, options] of [['desktop', DESK], ['phone', PHONE]]) {
        const page = await signedIn(t, role, options);
        assert.equal(new URL(page.url()).pathname, home.path, `${role} lands on ${home.path}`);
        assert.ok(await page.locator(home.shows).first().isVisible(), `${role}: ${home.shows} shows`);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= (device === 'phone' ? 360 : 1366), `${role} ${device}: no sideways scrolling (${width})`);
        await shot(page, `home-${role}-${device}`);
      }
    }
  });

  test("the manager's home shows the figures of their units", T, async (t) => {
    const page = await signedIn(t, 'manager', DESK);
    assert.match(await page.locator('#page-title').innerText(), /主管看板/);
    for (const id of ['#fig-unfinished', '#fig-breached', '#fig-today', '#fig-30d', '#fig-pending', '#fig-waiting']) {
      const value = (await page.locator(`${id} .figure-value`).innerText()).trim();
      assert.match(value, /^(\d+|\d+ %|—)$/, `${id}: ${value}`);
    }
    // The backlog in its four age bands; the unfinished count is their sum.
    const bands = await page.locator('#backlog meter').evaluateAll((ms) => ms.map((m) => Number(m.value)));
    assert.equal(bands.length, 4);
    const unfinished = Number((await page.locator('#fig-unfinished .figure-value').innerText()).trim());
    assert.equal(bands.reduce((a, b) => a + b, 0), unfinished);
    // The number matches what the manager may list: the unfinished requests of their scope.
    const mgr = await token('manager');
    const list = await api(base, mgr, 'GET', '/api/v1/service-requests?status=open,in_progress&limit=200');
    assert.equal(list.items.length, unfinished);
    // The figures are not for the front desk.
    const agentHome = await signedIn(t, 'agent', DESK);
    const res = await agentHome.request.get(`${base}/`, { maxRedirects: 0 });
    assert.equal(res.status(), 303);
    assert.equal(res.headers().location, '/console');
  });

  test('the menu is grouped by area, shows where one is, and works at 360 px', T, async (t) => {
    const page = await signedIn(t, 'admin', DESK);
    const groups = await page.locator('#main-nav .nav-group-btn').allInnerTexts();
    assert.ok(groups.length >= 4, `areas: ${groups.join(', ')}`);
    assert.ok(groups.includes('客户与设备'), groups.join(', '));
    // An area's links show when it is opened; one area at a time.
    const customers = page.locator('#main-nav a[href="/customers"]');
    assert.equal(await customers.isVisible(), false);
    await page.click('#main-nav .nav-group-btn[aria-controls="nav-g-installed_base"]');
    assert.ok(await customers.isVisible());
    await page.click('#main-nav .nav-group-btn[aria-controls="nav-g-network"]');
    assert.equal(await customers.isVisible(), false);
    assert.ok(await page.locator('#main-nav a[href="/org-units"]').isVisible());
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#main-nav a[href="/org-units"]').isVisible(), false);
    await page.click('#main-nav .nav-group-btn[aria-controls="nav-g-installed_base"]');
    await Promise.all([page.waitForURL((u) => u.pathname === '/customers'), customers.click()]);
    // The current area is marked.
    assert.match(await page.locator('#main-nav li.nav-group.current .nav-group-btn').innerText(), /客户与设备/);
    await shot(page, 'menu-admin-desktop');

    // On a phone: the menu button opens every area at once, nothing scrolls sideways.
    const phone = await signedIn(t, 'admin', PHONE);
    assert.equal(await phone.locator('#main-nav').isVisible(), false);
    await phone.click('.menu-btn');
    for (const href of ['/customers', '/org-units', '/admin/audit', '/me/password']) {
      assert.ok(await phone.locator(`#main-nav a[href="${href}"]`).isVisible(), `${href} visible at 360 px`);
    }
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `scrollWidth ${width}`);
    await shot(phone, 'menu-admin-phone');

    // A customer's menu has no API tokens.
    const customer = await signedIn(t, 'customer', DESK);
    assert.equal(await customer.locator('#main-nav a[href="/me/tokens"]').count(), 0);
    // No page asks for a missing icon.
    const icon = await fetch(`${base}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get('content-type'), /image\/svg\+xml/);
  });

  test('a new request rings the dispatcher, a job the engineer; the work order opens from the request', T, async (t) => {
    const agent = await token('agent');
    const dispatcherToken = await token('dispatcher');
    const customer = await api(base, agent, 'POST', '/api/v1/customers', {
      kind: 'individual', name: '通知测试客户', region_code: '210102',
      contacts: [{ name: '通知测试客户', phones: ['139 8800 2201'] }],
      sites: [{ address: '沈阳市和平区通知街 2 号', region_code: '210102', ...SITE }],
    });
    const unit = await api(base, agent, 'POST', '/api/v1/units', {
      serial: 'HOME-NOTE-0001', product_code: 'KT-5P', customer_id: customer.id,
      site_id: customer.sites[0].id, sale_date: '2025-06-01',
    });

    // The dispatcher's bell before and after the agent files a request.
    const before = (await api(base, dispatcherToken, 'GET', '/api/v1/notifications')).unread;
    let r = await api(base, agent, 'POST', '/api/v1/service-requests', {
      customer_id: customer.id, unit_id: unit.id, kind: 'repair', symptom: '不制冷', priority: 'high',
    });
    const dispatcher = await signedIn(t, 'dispatcher', DESK);
    await dispatcher.locator('#bell-count').waitFor();
    // (At least: the demo's own requests may breach a promise meanwhile.)
    assert.ok(Number(await dispatcher.locator('#bell-count').innerText()) >= before + 1);
    await dispatcher.goto(`${base}/notifications`);
    assert.match(await dispatcher.locator('#notifications').innerText(), new RegExp(`新报修：${r.number}`));

    // On site, and on the engineer.
    r = await api(base, agent, 'POST', `/api/v1/service-requests/${r.id}/triage`, { version: r.version, mode: 'onsite' });
    const wo = r.work_orders[0];
    const suggestions = await api(base, dispatcherToken, 'GET', `/api/v1/work-orders/${wo.id}/suggestions`);
    const zhang = suggestions.items.find((s) => s.eligible && /张伟/.test(s.engineer.name));
    assert.ok(zhang, JSON.stringify(suggestions).slice(0, 400));
    await api(base, dispatcherToken, 'POST', `/api/v1/work-orders/${wo.id}/dispatch`, {
      version: 1, engineer_id: zhang.engineer.id,
    });
    const engineer = await signedIn(t, 'engineer', PHONE);
    await engineer.locator('#bell-count').waitFor();
    assert.ok(Number(await engineer.locator('#bell-count').innerText()) >= 1);
    await engineer.goto(`${base}/notifications`);
    const note = engineer.locator('#notifications li', { hasText: `新工单：${wo.number}` }).first();
    assert.ok(await note.isVisible());
    await shot(engineer, 'engineer-bell-phone');

    // The request's page links its work order, which opens for the office ...
    const desk = await signedIn(t, 'agent', DESK);
    await desk.goto(`${base}/requests/${r.number}`);
    await Promise.all([
      desk.waitForURL((u) => u.pathname === `/work-orders/${wo.id}`),
      desk.click(`#work-orders a[href="/work-orders/${wo.id}"]`),
    ]);
    assert.match(await desk.locator('#page-title').innerText(), new RegExp(wo.number));
    assert.match(await desk.locator('#wo-engineer').innerText(), /张伟/);
    assert.equal(await desk.locator('#wo-request').innerText(), r.number);
    await shot(desk, 'work-order-desktop');
    // ... and for the engineer it is the job on the phone.
    await engineer.goto(`${base}/work-orders/${wo.id}`);
    assert.equal(new URL(engineer.url()).pathname, `/m/orders/${wo.id}`);
  });
});
