// Date and time pickers in the page's language (issue 13, defect 15): Chromium runs in
// English (en-US, the browser's own pickers would say mm/dd/yyyy and AM/PM) while the pages
// are zh-CN. The pickers show Chinese month and weekday names and a 24-hour clock; a day
// picked on the calendar page and a time picked on the engineer's phone (360 × 740) land on
// the server as picked. Screenshots are kept (shot()).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, shot, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };

async function api(base, token, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function signIn(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
  // The page in Chinese whatever the browser asks for.
  await page.goto(`${base}/lang?to=zh-CN&back=/`);
}

/// Every button of an open panel is at least 44 × 44 px and the panel is inside the screen.
async function assertUsable(page, panel, width) {
  const box = await panel.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5, `the panel fits the screen: ${JSON.stringify(box)}`);
  const small = await panel.locator('button').evaluateAll((bs) => bs
    .map((b) => b.getBoundingClientRect())
    .filter((r) => r.width < 43.5 || r.height < 43.5)
    .map((r) => `${r.width}x${r.height}`));
  assert.deepEqual(small, [], 'touch targets of 44 px');
}

describe('pickers in the page\'s language, not the browser\'s', () => {
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

  test('a day picked on the calendar page (desktop, browser in en-US)', T, async () => {
    const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1366, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, base, 'admin', ADMIN_PASSWORD);
    await page.goto(`${base}/admin/calendars`);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.evaluate(() => navigator.language), 'en-US', 'the browser speaks English');
    const day = page.locator('#day');
    assert.equal(await day.getAttribute('type'), 'text', 'no native mm/dd/yyyy picker');
    assert.equal(await day.getAttribute('placeholder'), '2026-12-08');

    await page.locator('#day-form [data-picker-open]').click();
    const panel = page.locator('#day-form [data-picker-panel]');
    await panel.waitFor();
    assert.match(await panel.locator('[data-picker-title]').innerText(), /^\d{4}年\d{1,2}月$/);
    assert.deepEqual(await panel.locator('[data-picker-weekday]').allInnerTexts(), ['一', '二', '三', '四', '五', '六', '日']);
    assert.equal(await panel.locator('[data-picker-today]').innerText(), '今天');
    assert.equal(await panel.locator('[data-picker-clear]').innerText(), '清除');
    assert.doesNotMatch(await panel.innerText(), /[A-Za-z]/, 'no English in the picker');
    await shot(page, 'picker-date-desktop');

    // Next month, its 3rd: the text is YYYY-MM-DD, and that day is saved.
    await panel.locator('[data-picker-next]').click();
    const third = panel.locator('[data-picker-day$="-03"]');
    const want = await third.getAttribute('data-picker-day');
    await third.click();
    assert.equal(await day.inputValue(), want);
    assert.ok(await panel.isHidden(), 'a date picked closes the panel');
    await page.selectOption('#kind', 'holiday');
    await page.fill('#name', '测试日');
    await Promise.all([page.waitForURL((u) => u.search.includes('done=saved')), page.click('#day-form button[type=submit]')]);
    const admin = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token;
    const days = await api(base, admin, 'GET', `/api/v1/special-days?year=${want.slice(0, 4)}`);
    const list = Array.isArray(days) ? days : days.items;
    assert.ok(list.some((d) => d.day === want && d.name === '测试日'), `saved: ${want}`);
    await ctx.close();
  });

  test('a time picked on the engineer\'s phone lands as picked (360 px, browser in en-US)', T, async () => {
    const token = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'engineer', password: DEMO_PASSWORD })).token;
    const mine = (await api(base, token, 'GET', '/api/v1/work-orders?engineer_id=me&limit=100')).items;
    const booked = mine.find((o) => o.status === 'scheduled');
    assert.ok(booked, `a booked job: ${mine.map((o) => o.status).join(', ')}`);

    const ctx = await browser.newContext({ locale: 'en-US', viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await signIn(page, base, 'engineer', DEMO_PASSWORD);
    await page.goto(`${base}/m`);
    const card = `#wo-${booked.number}`;
    await page.locator(card).waitFor();
    await page.click(`${card} details.more > summary`);
    const appt = page.locator(`${card} form.appt-form`);
    for (const name of ['date', 'start', 'end']) {
      assert.equal(await appt.locator(`input[name=${name}]`).getAttribute('type'), 'text', `${name}: no native picker`);
    }

    // The date: the month in Chinese, the panel inside the screen; the day kept.
    const date = await appt.locator('input[name=date]').inputValue();
    await appt.locator('input[name=date] ~ [data-picker-open]').click();
    const datePanel = appt.locator('input[name=date] ~ [data-picker-panel]');
    await datePanel.waitFor();
    assert.match(await datePanel.locator('[data-picker-title]').innerText(), /^\d{4}年\d{1,2}月$/);
    await assertUsable(page, datePanel, PHONE.width);
    await shot(page, 'picker-date-phone');
    await datePanel.locator(`[data-picker-day="${date}"]`).click();
    assert.equal(await appt.locator('input[name=date]').inputValue(), date);

    // The start: 14:30 on a 24-hour clock (hours 00–23, no AM/PM).
    await appt.locator('input[name=start] ~ [data-picker-open]').click();
    const startPanel = appt.locator('input[name=start] ~ [data-picker-panel]');
    await startPanel.waitFor();
    const hours = await startPanel.locator('[data-picker-hour]').allInnerTexts();
    assert.equal(hours.length, 24);
    assert.deepEqual([hours[0], hours[13], hours[23]], ['00', '13', '23']);
    const text = await startPanel.innerText();
    assert.doesNotMatch(text, /AM|PM|[A-Za-z]/, 'no AM/PM, no English');
    assert.match(text, /时/);
    await assertUsable(page, startPanel, PHONE.width);
    await shot(page, 'picker-time-phone');
    await startPanel.locator('[data-picker-hour="14"]').click();
    await startPanel.locator('[data-picker-minute="30"]').click();
    assert.equal(await appt.locator('input[name=start]').inputValue(), '14:30');
    assert.ok(await startPanel.isHidden(), 'a minute picked closes the time panel');
    await appt.locator('input[name=end] ~ [data-picker-open]').click();
    const endPanel = appt.locator('input[name=end] ~ [data-picker-panel]');
    await endPanel.locator('[data-picker-hour="16"]').click();
    await endPanel.locator('[data-picker-minute="05"]').click();
    assert.equal(await appt.locator('input[name=end]').inputValue(), '16:05');
    const reason = appt.locator('textarea[name=reason]');
    if (await reason.count()) await reason.fill('客户改约');
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/appointment')),
      appt.locator('button[type=submit]').click(),
    ]);
    await page.waitForLoadState('load');

    // On the server: that day, 14:30 to 16:05 in the site's zone.
    const after = (await api(base, token, 'GET', '/api/v1/work-orders?engineer_id=me&limit=100')).items.find((o) => o.number === booked.number);
    const local = (t) => new Date(t).toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 16);
    assert.equal(local(after.appointment_start), `${date} 14:30`);
    assert.equal(local(after.appointment_end), `${date} 16:05`);
    await ctx.close();
  });
});
