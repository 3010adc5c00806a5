// The agent's first ten seconds of a call, in a real browser: type part of the caller's
// phone number, open the customer, open their unit and read the warranty decision with its
// reasons, in zh-CN and in English.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, startServer, menuLink, api } from '../lib/server.js';

const T = { timeout: 90_000 };

describe('agent finds a caller and the warranty of their unit', () => {
  let server;
  let browser;
  let base;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const { token } = await api(base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    await api(base, token, 'POST', '/api/v1/warranty-policies', {
      code: 'E2E3Y', name: '三年保修（测试）',
      version: {
        effective_from: '2019-01-01', months: 36, start_basis: 'sale_date',
        in_warranty: { parts: 'free', labor: 'free', travel: 'free' },
        after: [{ from_month: 36, coverage: { parts: 'cost_price', labor: 'free', travel: 'list_price' } }],
        exclusion_charge: 'cost_price',
      },
    });
    await api(base, token, 'POST', '/api/v1/products', { code: 'E2E-KT', name: '测试空调', product_line: '空调', policy_code: 'E2E3Y' });
    const customer = await api(base, token, 'POST', '/api/v1/customers', {
      kind: 'individual', name: '欧阳测试', region_code: '210102',
      contacts: [{ name: '欧阳测试', phones: ['+86 139-4567-0815'] }],
      sites: [{ address: '沈阳市和平区测试路8号', region_code: '210102' }],
    });
    // Sold 2022-03-15 under a 36-month policy: out of warranty since 2025-03-15.
    await api(base, token, 'POST', '/api/v1/units', { serial: 'E2E-2022-0815', product_code: 'E2E-KT', customer_id: customer.id, sale_date: '2022-03-15' });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [locale, out, reasonWord, partsAtCost] of [
    ['zh-CN', '保修期外', '保修期至 2025-03-14', '按成本价收费'],
    ['en-US', 'Out of warranty', '2025-03-14', 'charged at cost price'],
  ]) {
    test(`${locale}: phone digits → customer → unit → warranty decision`, T, async (t) => {
      const context = await browser.newContext({ locale });
      t.after(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${base}/login`);
      await page.fill('#login-form input[name=username]', 'agent');
      await page.fill('#login-form input[name=password]', DEMO_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);

      await (await menuLink(page, '/customers')).click();
      // Part of the number, typed the way the caller reads it out; results appear while typing.
      await page.locator('#q').pressSequentially('4567 08', { delay: 30 });
      const hit = page.locator('#search-results a.hit');
      await hit.first().waitFor();
      assert.match(await page.locator('#search-results').textContent(), /欧阳测试/);
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/customers/')), page.press('#q', 'Enter')]);
      assert.match(await page.locator('h1#page-title').textContent(), /欧阳测试/);
      assert.match(await page.locator('a[href^="tel:"]').first().textContent(), /139 4567 0815/);

      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/units/')), page.click('#units a', { hasText: 'E2E-2022-0815' })]);
      const decision = page.locator('#warranty-decision');
      assert.match(await decision.textContent(), new RegExp(out));
      assert.match(await decision.textContent(), new RegExp(reasonWord));
      assert.match(await decision.textContent(), new RegExp(partsAtCost));

      // Ask again for a day inside the warranty: the decision changes in place.
      await page.fill('#on', '2024-06-01');
      await page.locator('#on').dispatchEvent('change');
      await page.waitForFunction(() => document.querySelector('#warranty-decision .badge.ok'));
      assert.match(await decision.textContent(), /\bA\b/);
    });
  }
});
