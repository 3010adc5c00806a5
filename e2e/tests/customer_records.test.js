// Keeping a customer record in a real browser: an agent searches a number nobody has, creates
// the customer from the "not found" link (the number comes along), adds a second contact
// with the "add another" button, saves; then edits the record and reads what changed in its
// history; then finds it no longer among the incomplete records. In zh-CN and in English, on
// a phone-sized screen for the edit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, startServer } from '../lib/server.js';

const T = { timeout: 90_000 };

describe('agent keeps a customer record', () => {
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

  for (const [locale, phone, name, texts] of [
    ['zh-CN', '137 2468 0001', '柳如烟', { saved: '已保存', nameLabel: '姓名/名称', contact: '联系人', incomplete: '不完整的客户档案', noRegion: '缺地区' }],
    ['en-US', '137 2468 0002', '柳如风', { saved: 'Saved', nameLabel: 'Name', contact: 'Contact', incomplete: 'Incomplete customer records', noRegion: 'no region' }],
  ]) {
    test(`${locale}: create from a search miss, edit, see the history`, T, async (t) => {
      const context = await browser.newContext({ locale, viewport: { width: 360, height: 740 } });
      t.after(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${base}/login`);
      await page.fill('#login-form input[name=username]', 'agent');
      await page.fill('#login-form input[name=password]', DEMO_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);

      await page.goto(`${base}/customers`);
      await page.locator('#q').pressSequentially(phone, { delay: 20 });
      await page.locator('#create-from-search').waitFor();
      await Promise.all([page.waitForURL((u) => u.pathname === '/customers/new'), page.click('#create-from-search')]);
      assert.equal(await page.inputValue('#contacts-0-phones'), phone, 'the searched number comes along');

      await page.fill('#name', name);
      await page.fill('#contacts-0-name', name);
      // A second contact through "add another": a new empty row with the next index.
      await page.click('button[data-add-row="#contacts"]');
      await page.click('button[data-add-row="#contacts"]');
      assert.equal(await page.inputValue('#contacts-2-name'), '');
      await page.fill('#contacts-2-name', `${name}的家人`);
      await page.fill('#contacts-2-phones', '024-8888 1234');
      // The address without its region code: the record is saved, but incomplete.
      await page.fill('#sites-0-address', '沈阳市和平区测试街1号');
      await Promise.all([page.waitForURL((u) => /^\/customers\/[0-9a-f-]+$/.test(u.pathname)), page.click('#customer-form button[type=submit]')]);
      assert.match(await page.locator('.alert.ok').textContent(), new RegExp(texts.saved));
      const body = await page.locator('main').textContent();
      assert.match(body, /137 2468 000/);
      assert.match(body, /024 8888 1234|024-8888 1234/);
      assert.match(body, /75%/);
      assert.match(body, new RegExp(texts.noRegion));
      const noScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(noScroll, 'no horizontal scrolling at 360 px');

      // Edit: a new name, the region added, the family contact removed (its row cleared).
      await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/edit')), page.click('#edit-customer')]);
      await page.fill('#name', `${name}二`);
      // The region by its name: the picker offers it and fills in the code.
      await page.locator('#sites-0-region_code').pressSequentially('和平区', { delay: 20 });
      await page.locator('#sites-0-region_code ~ .region-results button[data-code="210102"]').click();
      assert.equal(await page.inputValue('#sites-0-region_code'), '210102');
      await page.fill('#contacts-1-name', '');
      await page.fill('#contacts-1-phones', '');
      await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/edit')), page.click('#customer-form button[type=submit]')]);
      const history = await page.locator('#history').textContent();
      assert.match(history, new RegExp(`${texts.nameLabel}: ${name} → ${name}二`));
      assert.match(history, new RegExp(`− ${texts.contact} ${name}的家人`));
      assert.match(await page.locator('main').textContent(), /100%/);

      // The incomplete records page: the share against the target, and the list.
      await page.goto(`${base}/customers/incomplete`);
      assert.match(await page.locator('h1#page-title').textContent(), new RegExp(texts.incomplete));
      assert.match(await page.locator('#complete-percent').textContent(), /^\d+(\.\d)?%$/);
      const noScroll2 = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(noScroll2, 'no horizontal scrolling at 360 px');
    });
  }
});
