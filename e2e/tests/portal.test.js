// The customer's portal on a phone in zh-CN (issue 13, defect 17): a visit time in the
// past is refused beside its field with what was typed kept; once the desk sends the
// request on site and the dispatcher books a window with an engineer, the request page
// shows the engineer and the window, the progress in the customer's words (no work-order
// number, no internal jargon), the customer's bell has the booking once, and the menu has
// no API tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, shot, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };

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

// A date `n` days ahead in Shanghai, YYYY-MM-DD.
function dayAhead(n) {
  return new Date(Date.now() + 8 * 3600_000 + n * 86400_000).toISOString().slice(0, 10);
}

// Sets a form field by its name (whatever widget shows it), as typed: `YYYY-MM-DDTHH:MM`.
async function setField(page, name, value) {
  await page.$eval(`#portal-form [name="${name}"]`, (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

describe('portal: a customer asks for a visit and sees who comes and when', () => {
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

  test('a past visit time is refused beside the field; the booked window and engineer are shown', T, async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: PHONE });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#login-form input[name=username]', 'customer');
    await page.fill('#login-form input[name=password]', DEMO_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);

    // No API tokens in a customer's menu.
    assert.equal(await page.locator('#main-nav a[href="/me/tokens"]').count(), 0);

    // 2020: refused, the message beside the field, what was typed kept.
    await page.goto(`${base}/portal/requests/new`);
    await page.fill('#symptom', '空调不制冷，外机不转');
    await setField(page, 'preferred_from', '2020-03-01T09:00');
    await setField(page, 'preferred_to', '2020-03-01T11:00');
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#portal-submit')]);
    await page.waitForSelector('#preferred_from-error');
    assert.match(await page.locator('#preferred_from-error').innerText(), /不能预约已经过去的时间/);
    assert.equal(await page.locator('#symptom').inputValue(), '空调不制冷，外机不转');
    assert.ok(await page.locator('#preferred_from-error').isVisible());
    await shot(page, 'portal-past-time-refused-phone');

    // Tomorrow morning is taken.
    const day = dayAhead(2);
    await setField(page, 'preferred_from', `${day}T09:00`);
    await setField(page, 'preferred_to', `${day}T11:00`);
    await Promise.all([page.waitForURL((u) => u.search.includes('filed=1')), page.click('#portal-submit')]);
    const number = (await page.locator('#portal-filed .big-number').innerText()).trim();
    assert.match(number, /^SR\d+$/);

    // The desk sends it on site; the dispatcher books the customer's window with an engineer.
    const agent = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'agent', password: DEMO_PASSWORD })).token;
    const dispatcher = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'dispatcher', password: DEMO_PASSWORD })).token;
    const r = await api(base, agent, 'GET', `/api/v1/service-requests/${number}`);
    const triaged = await api(base, agent, 'POST', `/api/v1/service-requests/${r.id}/triage`, { version: r.version, mode: 'onsite' });
    const wo = triaged.work_orders[0];
    const suggestions = await api(base, dispatcher, 'GET', `/api/v1/work-orders/${wo.number}/suggestions`);
    const engineer = suggestions.items[0].engineer;
    await api(base, dispatcher, 'POST', `/api/v1/work-orders/${wo.number}/dispatch`, {
      version: 1,
      engineer_id: engineer.id,
      starts_at: `${day}T09:00:00+08:00`,
      ends_at: `${day}T11:00:00+08:00`,
      customer_agreed: true,
      confirm_conflicts: true,
    });

    await page.goto(`${base}/portal/requests/${number}`);
    assert.equal((await page.locator('.portal-visit .portal-engineer').innerText()).trim(), engineer.name);
    assert.equal((await page.locator('.portal-visit .portal-appointment').innerText()).trim(), `${day} 09:00–11:00`);
    const text = await page.locator('main').innerText();
    assert.doesNotMatch(text, /WO\d/, 'no work-order number');
    assert.doesNotMatch(text, /派工单|生成/, 'no internal jargon');
    assert.doesNotMatch(text, /[A-Za-z]{4,}/, 'no English words on a zh-CN page');
    const timeline = await page.locator('#timeline').innerText();
    assert.match(timeline, /报修已受理/);
    assert.ok(timeline.includes(`工程师 ${engineer.name} 将于 ${day} 09:00–11:00 上门`), timeline);
    // Readable at 360 px: nothing scrolls sideways.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await shot(page, 'portal-request-booked-phone');

    // The bell: the booking once, with the engineer and the window.
    const customer = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'customer', password: DEMO_PASSWORD })).token;
    const bell = await api(base, customer, 'GET', '/api/v1/notifications');
    const booked = bell.items.filter((n) => n.event === 'visit_booked' && n.body.includes(number));
    assert.equal(booked.length, 1, JSON.stringify(bell.items));
    assert.ok(booked[0].body.includes(`${day} 09:00–11:00`) && booked[0].body.includes(engineer.name), booked[0].body);
    await ctx.close();
  });
});
