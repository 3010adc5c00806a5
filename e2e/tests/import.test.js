// An admin imports customers from a CSV in the browser: a dry run shows the bad row's
// error beside its row number, a lenient import writes the good rows and says how many,
// and the rejected rows can be downloaded; in zh-CN and in English, at 360 px too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, launchBrowser, startServer } from '../lib/server.js';

const T = { timeout: 120_000 };

// Phones and addresses unique per language so the two runs do not collide (a phone, or a
// name at an address, already on file is a likely duplicate).
function csv(prefix) {
  return [
    '客户名称,手机,地址,行政区划代码',
    `浏览器甲,${prefix}0001,沈阳市和平区${prefix}一号,210102`,
    `浏览器乙,${prefix}0002,沈阳市和平区${prefix}二号,210102`,
    `浏览器丙,12,沈阳市和平区三号,210102`,
    '',
  ].join('\n');
}

describe('admin imports customers from a file', () => {
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

  for (const [locale, prefix, rowWord, phoneError, created, viewport] of [
    ['zh-CN', '1391234', '行号', '电话号码', '已导入 2 条记录', { width: 1200, height: 900 }],
    ['en-US', '1395678', 'Row', 'phone', '2 records imported', { width: 360, height: 740 }],
  ]) {
    test(`${locale}: dry run shows the row error, lenient import writes the good rows`, T, async (t) => {
      const context = await browser.newContext({ locale, viewport, acceptDownloads: true });
      t.after(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${base}/login`);
      await page.fill('#login-form input[name=username]', 'admin');
      await page.fill('#login-form input[name=password]', ADMIN_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);

      await page.goto(`${base}/imports`);
      await page.selectOption('#kind', 'customers');
      await page.setInputFiles('#file', { name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(prefix)) });
      await page.click('#btn-dry-run');
      const errors = page.locator('#import-errors');
      await errors.waitFor();
      assert.match(await errors.locator('thead').textContent(), new RegExp(rowWord));
      // The error sits beside its row number (row 4: the header is row 1).
      const bad = errors.locator('tbody tr[data-row="4"]');
      assert.equal(await bad.count(), 1);
      assert.match(await bad.textContent(), /手机/);
      assert.match((await bad.textContent()).toLowerCase(), new RegExp(phoneError));
      assert.match(await page.locator('#import-summary').textContent(), /3/);
      // The detected mapping is shown with a select per column.
      assert.equal(await page.locator('#import-mapping select[name="map_1"]').inputValue(), 'phone');
      if (viewport.width === 360) {
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `scrollWidth ${width} <= 360`);
      }

      await page.click('#btn-lenient');
      await page.locator('#import-created').waitFor();
      assert.match(await page.locator('#import-created').textContent(), new RegExp(created));
      const download = page.waitForEvent('download');
      await page.click('#rejects-links a:has-text("CSV")');
      const file = await download;
      const text = await (await file.createReadStream()).toArray().then((c) => Buffer.concat(c).toString('utf8'));
      assert.match(text, /浏览器丙/);
      assert.ok(!text.includes('浏览器甲'), 'only the rejected row');

      // The customers are there and can be exported from the list page.
      await page.goto(`${base}/customers?q=${encodeURIComponent('浏览器')}`);
      assert.match(await page.locator('#search-results').textContent(), /浏览器甲/);
      const exported = page.waitForEvent('download');
      await page.click('#export-links a[data-export="csv"]');
      const ex = await exported;
      assert.match(ex.suggestedFilename(), /^customers-\d{8}\.csv$/);
    });
  }
});
