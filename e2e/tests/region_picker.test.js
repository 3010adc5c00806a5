// The region of a customer and a site as a province → city → district choice (issue 13,
// defect 17: the field said "行政区划代码" and "GB/T 2260"). In zh-CN at 1366 px, the agent
// files a customer choosing 辽宁省 → 沈阳市 → 和平区 for the customer and 铁西区 for the site:
// the selects fill the code the form posts; an existing code shows as its choices on the
// edit form; the words are plain. Without script the code box and its plain hint remain,
// and a typed code is saved. Screenshots: region-picker-*.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, shot, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const DESKTOP = { width: 1366, height: 900 };

async function signIn(page, base) {
  await page.goto(`${base}/login`);
  await page.fill('#login-form input[name=username]', 'agent');
  await page.fill('#login-form input[name=password]', DEMO_PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
}

// Picks `name` in a select once its options have arrived.
async function pick(select, name) {
  await select.locator('option', { hasText: name }).first().waitFor({ state: 'attached' });
  await select.selectOption({ label: name });
}

describe('the region picker', () => {
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

  test('zh-CN, 1366 px: province, city, district fill the code', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base);
    await page.goto(`${base}/customers/new`);
    const field = page.locator('[data-region-cascade]').first();
    const text = await field.textContent();
    assert.ok(!/GB\/T|行政区划代码/.test(text), `plain words: ${text}`);
    assert.match(text, /所在地区/);
    const levels = field.locator('.region-cascade select');
    await levels.first().waitFor();
    assert.equal(await levels.count(), 3);
    await pick(levels.nth(0), '辽宁省');
    await pick(levels.nth(1), '沈阳市');
    await pick(levels.nth(2), '和平区');
    assert.equal(await page.inputValue('#region_code'), '210102');

    const site = page.locator('#sites-0-region_code').locator('xpath=..');
    const siteLevels = site.locator('.region-cascade select');
    await pick(siteLevels.nth(0), '辽宁省');
    await pick(siteLevels.nth(1), '沈阳市');
    await pick(siteLevels.nth(2), '铁西区');
    assert.equal(await page.inputValue('#sites-0-region_code'), '210106');
    await shot(page, 'region-picker-chosen');

    await page.fill('#name', '区划测试');
    await page.fill('#contacts-0-name', '区划测试');
    await page.fill('#contacts-0-phones', '139 0000 2260');
    await page.fill('#sites-0-address', '沈阳市铁西区选择路2号');
    await Promise.all([page.waitForURL((u) => /^\/customers\/[0-9a-f-]+$/.test(u.pathname)), page.click('#customer-form button[type=submit]')]);
    const body = await page.locator('main').textContent();
    assert.match(body, /和平区/);
    assert.match(body, /铁西区/);

    // The edit form shows the stored codes as their choices.
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/edit')), page.click('#edit-customer')]);
    const again = page.locator('[data-region-cascade]').first().locator('.region-cascade select');
    await again.nth(2).locator('option', { hasText: '和平区' }).waitFor({ state: 'attached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-region-cascade] .region-cascade select')[2].value === '210102');
    assert.equal(await again.nth(0).inputValue(), '210000');
    assert.equal(await again.nth(1).inputValue(), '210100');
    await shot(page, 'region-picker-edit');
  });

  test('without script: the code box with a plain hint, a typed code saved', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP, javaScriptEnabled: false });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base);
    await page.goto(`${base}/customers/new`);
    assert.equal(await page.locator('.region-cascade select').count(), 0, 'no selects without script');
    const hint = await page.locator('#region_code-hint').textContent();
    assert.match(hint, /210102/);
    assert.ok(!/GB\/T/.test(hint), hint);
    await page.fill('#name', '无脚本客户');
    await page.fill('#region_code', '210102');
    await page.fill('#contacts-0-name', '无脚本客户');
    await page.fill('#contacts-0-phones', '139 0000 2261');
    await page.fill('#sites-0-address', '沈阳市和平区无脚本路3号');
    await page.fill('#sites-0-region_code', '210102');
    await Promise.all([page.waitForURL((u) => /^\/customers\/[0-9a-f-]+$/.test(u.pathname)), page.click('#customer-form button[type=submit]')]);
    assert.match(await page.locator('main').textContent(), /和平区/);
  });
});
