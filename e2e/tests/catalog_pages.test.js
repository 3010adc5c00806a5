// The catalog and the contracts kept from pages (issue 13, defect 16), as an admin in zh-CN:
// a warranty policy is created (after a refused first try that shows every fault at once and
// keeps what was typed) and gains a second version, shown newest first; a product model is
// created and changed; a service contract is signed for a customer and changed; the model's
// and the contract's pages show what changed. An agent sees the pages without the controls
// only admins may use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, menuLink, shot, startServer } from '../lib/server.js';

const T = { timeout: 120_000 };

async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
}

// The page's own words: zh-CN shows no lower-case English word outside data (marked
// translate="no"); English shows no Chinese in its headings, labels and buttons.
async function ownWords(page, lang) {
  return page.evaluate((lang) => {
    const main = document.querySelector('main').cloneNode(true);
    for (const el of main.querySelectorAll('[translate="no"], script, style, option')) el.remove();
    if (lang === 'zh-CN') return (main.textContent.match(/[a-z][a-z_]{2,}/g) || []);
    return [...main.querySelectorAll('h1, h2, h3, th, dt, label, legend, button, .field-error, .hint')]
      .flatMap((el) => el.textContent.match(/[\u3400-\u9fff]+/g) || []);
  }, lang);
}

async function submit(page, form, urlTest) {
  await Promise.all([page.waitForURL(urlTest), page.click(`${form} button[type=submit]`)]);
}

describe('catalog and contract pages', () => {
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

  test('admin in zh-CN: a policy with two versions, a product and a contract, created and changed', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await login(page, base, 'admin', ADMIN_PASSWORD);

    // The policies, from the menu.
    await (await menuLink(page, '/warranty-policies')).click();
    await page.waitForURL((u) => u.pathname === '/warranty-policies');
    await Promise.all([page.waitForURL((u) => u.pathname === '/warranty-policies/new'), page.click('#new-policy')]);

    // A first try with three faults: all shown at once beside their fields, the input kept.
    await page.fill('#code', 'E2E-STD');
    await page.fill('#name', '');
    await page.fill('#effective_from', '2025-01-01');
    await page.fill('#months', '十二');
    await page.fill('#after-0-from_month', '12');
    await page.fill('#after-0-months', '0');
    await submit(page, '#policy-form', (u) => u.pathname === '/warranty-policies/new');
    assert.match(await page.locator('#form-alert').textContent(), /\S/);
    assert.match(await page.locator('#name-error').textContent(), /必填/);
    assert.match(await page.locator('#months-error').textContent(), /整数/);
    assert.match(await page.locator('#after-terms .field-error').first().textContent(), /1 到 600/);
    assert.equal(await page.inputValue('#code'), 'E2E-STD', 'the code is kept');
    assert.equal(await page.inputValue('#months'), '十二', 'the refused number is kept as typed');
    await shot(page, 'catalog-policy-form-errors-zh');

    await page.fill('#name', '端到端标准保修');
    await page.fill('#months', '12');
    await page.fill('#after-0-months', '24');
    await page.selectOption('#after-0-parts', 'cost_price');
    await submit(page, '#policy-form', (u) => u.pathname === '/warranty-policies/E2E-STD');
    assert.match(await page.locator('.alert.ok').textContent(), /已保存/);

    // A second version: the form starts as a copy of the latest; the same day is refused.
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/versions/new')), page.click('#new-version')]);
    assert.equal(await page.inputValue('#months'), '12', 'the latest version is the starting point');
    await page.fill('#effective_from', '2025-01-01');
    await submit(page, '#policy-form', (u) => u.pathname.endsWith('/versions/new'));
    assert.match(await page.locator('#effective_from-error').textContent(), /该生效日期已有一个版本/);
    await page.fill('#effective_from', '2026-01-01');
    await page.fill('#months', '24');
    await page.fill('#note', '延长为两年');
    await submit(page, '#policy-form', (u) => u.pathname === '/warranty-policies/E2E-STD');
    const versions = page.locator('#versions li.version');
    assert.equal(await versions.count(), 2);
    const newest = await versions.nth(0).textContent();
    assert.match(newest, /2026-01-01/, 'newest first');
    assert.match(newest, /24 个月/);
    assert.match(newest, /延长为两年/);
    assert.match(await versions.nth(1).textContent(), /2025-01-01[\s\S]*12 个月/);
    assert.match(await versions.nth(1).textContent(), /第 2–3 年: 配件 按成本价收费/);
    assert.deepEqual(await ownWords(page, 'zh-CN'), [], 'no English on the zh-CN page');
    await shot(page, 'catalog-policy-zh');

    // A product model under that policy.
    await page.goto(`${base}/`);
    await (await menuLink(page, '/products')).click();
    await page.waitForURL((u) => u.pathname === '/products');
    await Promise.all([page.waitForURL((u) => u.pathname === '/products/new'), page.click('#new-product')]);
    await page.fill('#code', 'E2E-AC1');
    await page.fill('#name', '端到端空调');
    await page.fill('#product_line', '空调');
    await page.fill('#maintenance_interval_months', '6');
    await page.selectOption('#policy_code', 'E2E-STD');
    await submit(page, '#product-form', (u) => /^\/products\/[0-9a-f-]{36}$/.test(u.pathname));
    const productUrl = page.url().split('?')[0];
    assert.match(await page.locator('#product-facts').textContent(), /E2E-STD/);

    // Changed: a refused interval first (kept, beside the field), then a good one.
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/edit')), page.click('#edit-product')]);
    await page.fill('#name', '端到端空调二代');
    await page.fill('#maintenance_interval_months', '500');
    await submit(page, '#product-form', (u) => u.pathname.endsWith('/edit'));
    assert.match(await page.locator('#maintenance_interval_months-error').textContent(), /1 到 120/);
    assert.equal(await page.inputValue('#name'), '端到端空调二代', 'the input is kept');
    await page.fill('#maintenance_interval_months', '12');
    await submit(page, '#product-form', (u) => !u.pathname.endsWith('/edit'));
    assert.equal(page.url().split('?')[0], productUrl);
    const productHistory = await page.locator('#history').textContent();
    assert.match(productHistory, /修改型号/);
    assert.match(productHistory, /名称: 端到端空调 → 端到端空调二代/);
    assert.match(productHistory, /保养周期（月）: 6 → 12/);
    assert.match(productHistory, /建立型号/);
    await shot(page, 'catalog-product-zh');

    // A contract for a demo customer with units, found by number.
    await page.goto(`${base}/`);
    await (await menuLink(page, '/contracts')).click();
    await page.waitForURL((u) => u.pathname === '/contracts');
    await Promise.all([page.waitForURL((u) => u.pathname === '/contracts/new'), page.click('#new-contract')]);
    await page.fill('#customer', 'CU999999');
    await Promise.all([page.waitForURL((u) => u.search.includes('CU999999')), page.click('#choose-customer')]);
    assert.match(await page.locator('#customer-error').textContent(), /找不到/);
    await page.fill('#customer', 'CU000001');
    await Promise.all([page.waitForURL((u) => u.search.includes('CU000001')), page.click('#choose-customer')]);
    await page.locator('#contract-form').waitFor();
    // Two faults at once: the end before the start is told beside the end, the level is required.
    await page.fill('#start_date', '2026-01-01');
    await page.fill('#end_date', '2026-12-31');
    await page.fill('#service_level', '');
    await page.fill('#plan-0-every_months', '6');
    await submit(page, '#contract-form', (u) => u.pathname === '/contracts/new');
    assert.match(await page.locator('#service_level-error').textContent(), /必填/);
    assert.equal(await page.inputValue('#plan-0-every_months'), '6', 'the plan is kept');
    await page.fill('#service_level', 'gold');
    await page.selectOption('#parts', 'free');
    const boxes = page.locator('#units input[type=checkbox]');
    const unitCount = await boxes.count();
    if (unitCount > 0) await boxes.first().check();
    await submit(page, '#contract-form', (u) => /^\/contracts\/[0-9a-f-]{36}$/.test(u.pathname));
    const facts = await page.locator('#contract-facts').textContent();
    assert.match(facts, /2026-01-01 – 2026-12-31/);
    assert.match(facts, /每 6 个月上门巡检/);
    assert.equal(await page.locator('#covered-units li a').count(), Math.min(unitCount, 1));

    // Changed: a longer period and another level.
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/edit')), page.click('#edit-contract')]);
    assert.equal(await page.inputValue('#service_level'), 'gold');
    await page.fill('#end_date', '2027-06-30');
    await page.fill('#service_level', 'silver');
    await submit(page, '#contract-form', (u) => !u.pathname.endsWith('/edit'));
    const contractHistory = await page.locator('#history').textContent();
    assert.match(contractHistory, /修改合同/);
    assert.match(contractHistory, /结束日期: 2026-12-31 → 2027-06-30/);
    assert.match(contractHistory, /服务级别: gold → silver/);
    assert.match(contractHistory, /签订合同/);
    assert.deepEqual(await ownWords(page, 'zh-CN'), [], 'no English on the zh-CN page');
    await shot(page, 'catalog-contract-zh');

    // The same pages in English.
    const contractUrl = new URL(page.url()).pathname;
    await page.goto(`${base}/lang?to=en&back=${encodeURIComponent(contractUrl)}`);
    for (const path of [contractUrl, `${contractUrl}/edit`, productUrl.replace(base, ''), `${productUrl.replace(base, '')}/edit`, '/warranty-policies', '/warranty-policies/E2E-STD',
      '/warranty-policies/E2E-STD/versions/new', '/products', '/products/new', '/contracts']) {
      await page.goto(`${base}${path}`);
      assert.deepEqual(await ownWords(page, 'en'), [], `no Chinese in the words of ${path}`);
    }
    await page.goto(`${base}${contractUrl}`);
    const enHistory = await page.locator('#history').textContent();
    assert.match(enHistory, /changed the contract/);
    assert.match(enHistory, /Service level: gold → silver/);
    await shot(page, 'catalog-contract-en');
  });

  test('an agent reads the catalog without the admins\u2019 controls, and keeps contracts', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await login(page, base, 'agent', DEMO_PASSWORD);
    await page.goto(`${base}/products`);
    assert.equal(await page.locator('#new-product').count(), 0);
    await page.goto(`${base}/warranty-policies`);
    assert.equal(await page.locator('#new-policy').count(), 0);
    const res = await page.goto(`${base}/warranty-policies/new`);
    assert.equal(res.status(), 403);
    await page.goto(`${base}/contracts`);
    assert.equal(await page.locator('#new-contract').count(), 1, 'the front office signs contracts');
  });
});
