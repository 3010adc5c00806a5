// Spare parts and stock pages (issue 14, point 10) in a real browser: the warehouse clerk
// finds /stock in the menu, posts a transfer of 2 × KT-SNS-T from WH-MAIN to the demo
// engineer's van VAN-ZW and lands on the van's ledger with the running balance; a move
// beyond what is on hand is refused beside the quantity, naming what is there; the
// engineer, on a 360 × 740 phone, opens "my van" from the phone's home and sees 6, then
// issues from the van on a job on site: too many is refused naming what is there, one is
// issued and the van holds 5.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, menuLink, shot, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };

describe('stock pages', () => {
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

  test('the warehouse posts a transfer and sees the running balance; the engineer sees the van', T, async () => {
    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESK });
    const page = await desk.newPage();
    await signIn(page, base, 'warehouse');
    const link = await menuLink(page, '/stock');
    await Promise.all([page.waitForURL((u) => u.pathname === '/stock'), link.click()]);
    assert.match(await page.locator('#page-title').innerText(), /库存/);
    // The van holds 4 before the move.
    await page.selectOption('#f-location', 'VAN-ZW');
    await Promise.all([page.waitForURL((u) => u.search.includes('VAN-ZW')), page.click('form.filters button[type=submit]')]);
    const vanRow = page.locator('#balances tbody tr', { hasText: 'KT-SNS-T' });
    assert.equal((await vanRow.locator('.qty').innerText()).trim(), '4');

    // Too many: refused beside the quantity, naming what is on hand.
    await page.selectOption('#m-kind', 'transfer');
    await page.fill('#m-part', 'kt-sns-t');
    await page.fill('#m-qty', '100000');
    await page.selectOption('#m-from', 'VAN-ZW');
    await page.selectOption('#m-to', 'WH-MAIN');
    await Promise.all([page.waitForLoadState('load'), page.click('#m-submit')]);
    assert.match(await page.locator('#m-qty-error').innerText(), /库存不足.*4/);
    assert.equal(await page.locator('#m-part').inputValue(), 'kt-sns-t');

    // The transfer: 2 from the main warehouse into the van.
    await page.selectOption('#m-kind', 'transfer');
    await page.fill('#m-part', 'KT-SNS-T');
    await page.fill('#m-qty', '2');
    await page.selectOption('#m-from', 'WH-MAIN');
    await page.selectOption('#m-to', 'VAN-ZW');
    await Promise.all([page.waitForURL((u) => u.pathname === '/stock/ledger'), page.click('#m-submit')]);
    assert.ok(await page.locator('#flash').isVisible());
    const first = page.locator('#ledger tbody tr').first();
    assert.match(await first.innerText(), /调拨/);
    assert.match(await first.innerText(), /WH-MAIN → VAN-ZW/);
    assert.equal((await first.locator('td.balance').innerText()).trim(), '6');
    await shot(page, 'stock-ledger');
    await desk.close();

    const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    const m = await phone.newPage();
    await signIn(m, base, 'engineer');
    await m.goto(`${base}/m`);
    await Promise.all([m.waitForURL((u) => u.pathname === '/m/van'), m.click('#van-link')]);
    assert.match(await m.locator('#page-title').innerText(), /我的车载库/);
    const item = m.locator('#van .van-item[data-part="KT-SNS-T"]');
    assert.equal((await item.locator('.qty').innerText()).trim(), '6');
    const { scroll, client } = await m.evaluate(() => ({
      scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
      client: document.documentElement.clientWidth,
    }));
    assert.ok(scroll <= client, `/m/van: ${scroll} px of content in ${client} px`);
    await shot(m, 'stock-van-phone');

    // An issue from the van on a job on site (the demo's waiting job).
    const token = await apiToken(base, 'engineer');
    const orders = await api(base, token, 'GET', '/api/v1/work-orders?limit=50');
    const job = orders.items.find((w) => ['arrived', 'in_progress', 'waiting'].includes(w.status));
    assert.ok(job, 'a job on site in the demo');
    await m.goto(`${base}/m/orders/${job.number}`);
    await m.fill('#issue-part', 'kt-sns-t');
    await m.fill('#issue-qty', '100');
    await Promise.all([m.waitForLoadState('load'), m.click('#issue button[type=submit]')]);
    assert.match(await m.locator('#issue').innerText(), /库存不足.*6/);
    assert.equal(await m.locator('#issue-part').inputValue(), 'kt-sns-t');
    await m.fill('#issue-qty', '1');
    await Promise.all([m.waitForURL((u) => u.search.includes('done=issued')), m.click('#issue button[type=submit]')]);
    assert.match(await m.locator('#flash').innerText(), /已从车载库领用/);
    await m.goto(`${base}/m/van`);
    assert.equal((await item.locator('.qty').innerText()).trim(), '5');
    await phone.close();
  });
});
