// The manager's side of the day (issue 13, defect 11): the audit trail read as sentences. The
// admin renames a customer in the edit form, then opens the audit page on a 1366 px desktop:
// the newest entry says who changed which customer (number and name, linked) and which field
// went from what to what, in Chinese; sign-ins are hidden until the box is cleared; the same
// page in English shows no Chinese outside the names and values people typed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, launchBrowser, shot, startServer, api, signIn } from '../lib/server.js';

const T = { timeout: 120_000 };
const DESKTOP = { width: 1366, height: 900 };
const CJK = /[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/;

describe('manager reads the audit trail', () => {
  let server;
  let browser;
  let base;
  let customer;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const { token } = await api(base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    customer = await api(base, token, 'POST', '/api/v1/customers', {
      kind: 'individual', name: '赵春华', region_code: '210102',
      contacts: [{ name: '赵春华', phones: ['139 0000 4321'] }],
      sites: [{ address: '沈阳市和平区审计路8号', region_code: '210102' }],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('zh-CN: a customer edit reads as a sentence; sign-ins hidden by default', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base, 'admin');

    await page.goto(`${base}/customers/${customer.id}/edit`);
    await page.fill('#name', '赵秋华');
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/edit')), page.click('#customer-form button[type=submit]')]);

    await page.goto(`${base}/admin/audit`);
    const first = page.locator('#audit-trail > li.audit-entry').first();
    const sentence = (await first.locator('.audit-sentence').textContent()).replace(/\s+/g, ' ').trim();
    assert.equal(sentence, `系统管理员 修改了客户 ${customer.number} 赵秋华`, 'who did what to which record');
    const link = first.locator('a.audit-record');
    assert.equal(await link.getAttribute('href'), `/customers/${customer.id}`, 'the record is linked');
    const changes = (await first.locator('.audit-changes').textContent()).replace(/\s+/g, ' ');
    assert.match(changes, /名称：赵春华 → 赵秋华/, 'the changed field in Chinese, old → new');
    const trail = await page.locator('#audit-trail').textContent();
    assert.doesNotMatch(trail, /[0-9a-f]{8}-[0-9a-f]{4}-/, 'no ids in the text');
    assert.doesNotMatch(trail, /[{}"]/, 'no JSON');
    assert.doesNotMatch(trail, /\b(create|update|login|customer|user)\b/, 'no English words of the trail');
    assert.doesNotMatch(trail, /登录了系统/, 'sign-ins hidden by default');
    assert.ok(await page.isChecked('#hide_sign_ins'));
    // Nothing wider than the screen, and words not broken inside.
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'no horizontal scrolling at 1366 px');
    await shot(page, 'manager-audit-zh');

    // Clear the box: the sign-ins join (htmx swaps the list in place).
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/admin/audit') && r.url().includes('filtered=1')),
      page.uncheck('#hide_sign_ins'),
    ]);
    await page.locator('#audit-trail', { hasText: '登录了系统' }).waitFor();
    assert.match(await page.locator('#audit-trail').textContent(), /系统管理员\s*登录了系统/);
    assert.match(page.url(), /filtered=1/, 'the filter is in the address');
    await shot(page, 'manager-audit-zh-sign-ins');

    // By kind: only customers.
    await page.selectOption('#kind', 'customer');
    await page.locator('#audit-trail', { hasNotText: '登录了系统' }).waitFor();
    const kinds = await page.locator('#audit-trail .audit-deed').allTextContents();
    assert.ok(kinds.length >= 2 && kinds.every((k) => /客户/.test(k)), `only customers: ${kinds}`);
  });

  test('en: the same trail in English, no Chinese outside names and values', T, async (t) => {
    const context = await browser.newContext({ locale: 'en-US', viewport: DESKTOP });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base, 'admin');
    await page.goto(`${base}/admin/audit?kind=customer`);
    const first = page.locator('#audit-trail > li.audit-entry').first();
    assert.match(await first.locator('.audit-deed').textContent(), /^updated customer$/);
    assert.match((await first.locator('.audit-changes').textContent()).replace(/\s+/g, ' '), /Name: 赵春华 → 赵秋华/);
    // Remove what people typed (names of actors and records, field values): the rest is English.
    const rest = await page.evaluate(() => {
      const main = document.querySelector('main').cloneNode(true);
      for (const el of main.querySelectorAll('.audit-name, .audit-record, del, ins, input')) el.remove();
      return main.textContent;
    });
    assert.doesNotMatch(rest, CJK, `no Chinese on the English page: ${rest.match(CJK)?.[0]}`);
    await shot(page, 'manager-audit-en');
  });
});
