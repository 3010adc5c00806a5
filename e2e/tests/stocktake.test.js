// Stocktaking in a real browser (issue 14 point 7): the warehouse, on a 360 × 740 phone,
// opens a count sheet for the Shenyang station's store, counts one part one short, is told
// beside the input that "-1" is no count (what was typed kept), saves and submits; a
// manager on a desktop sees the difference and its value, is asked for a reason before
// rejecting, approves; the book then holds the counted quantity. The paper sheet
// (`?print=1`) has a blank box per line and no inputs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };
const LOCATION = 'ST-SY-HP';
const SHORT = 'KT-SNS-T';

const noSideScroll = async (p) => {
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `page is ${width}px wide`);
};

describe('stocktaking pages', () => {
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

  test('counted one short on the phone, approved by a manager, the book follows', T, async () => {
    const token = await apiToken(base, 'warehouse');
    const balances = await api(base, token, 'GET', `/api/v1/stock/balances?location=${LOCATION}`);
    const book = new Map(balances.filter((b) => b.condition === 'new').map((b) => [b.part, b.on_hand]));
    const before = book.get(SHORT);
    assert.ok(before >= 1, JSON.stringify(balances));

    const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    const mp = await phone.newPage();
    await signIn(mp, base, 'warehouse');
    await mp.goto(`${base}/stock`);
    await Promise.all([mp.waitForURL((u) => u.pathname === '/stock/counts'), mp.click('#stocktake-link')]);
    await noSideScroll(mp);
    await mp.selectOption('#o-location', LOCATION);
    await Promise.all([mp.waitForURL((u) => /^\/stock\/counts\/SC\d+$/.test(u.pathname)), mp.click('#open-submit')]);
    assert.match(await mp.locator('#status').innerText(), /盘点中/);
    const number = new URL(mp.url()).pathname.split('/').pop();
    await noSideScroll(mp);

    // Every line gets the book's quantity, the short part one less, and first a refused "-1".
    const rows = mp.locator('#lines tbody tr');
    const n = await rows.count();
    assert.ok(n >= 3, `${n} lines`);
    const inputOf = {};
    for (let i = 0; i < n; i += 1) {
      const row = rows.nth(i);
      const part = (await row.locator('td').first().innerText()).trim().split(/\s/)[0];
      const id = await row.locator('input').getAttribute('id');
      inputOf[part] = `#${id}`;
      await mp.fill(`#${id}`, part === SHORT ? '-1' : String(book.get(part) ?? 0));
    }
    assert.ok(inputOf[SHORT], JSON.stringify(inputOf));
    await Promise.all([mp.waitForLoadState('load'), mp.click('#save-submit')]);
    const shortRow = mp.locator(`#lines tbody tr:has(${inputOf[SHORT]})`);
    assert.match(await shortRow.locator('.field-error').innerText(), /\S/);
    assert.equal(await mp.inputValue(inputOf[SHORT]), '-1');
    const other = Object.keys(inputOf).find((p) => p !== SHORT);
    assert.equal(await mp.inputValue(inputOf[other]), String(book.get(other) ?? 0));
    await noSideScroll(mp);
    // Nothing was entered: the refusal wrote nothing.
    const still = await api(base, token, 'GET', `/api/v1/stock/counts/${number}`);
    assert.equal(still.lines_counted, 0);

    await mp.fill(inputOf[SHORT], String(before - 1));
    await Promise.all([mp.waitForURL((u) => u.search.includes('done')), mp.click('#save-submit')]);
    assert.equal(await mp.locator('#progress').innerText(), `${n}/${n}`);
    assert.equal(await mp.inputValue(inputOf[SHORT]), String(before - 1));
    await Promise.all([mp.waitForURL((u) => u.search.includes('done')), mp.click('#submit-submit')]);
    assert.match(await mp.locator('#status').innerText(), /待审批/);
    assert.equal(await mp.locator('#count-form').count(), 0);
    await noSideScroll(mp);

    // The paper sheet: a blank box per line, no inputs.
    await mp.goto(`${base}/stock/counts/${number}?print=1`);
    assert.equal(await mp.locator('#print-lines tbody tr').count(), n);
    assert.equal(await mp.locator('#print-lines td.count-box').count(), n);
    assert.equal(await mp.locator('#print-lines input').count(), 0);
    await phone.close();

    // The manager (the store is in their unit) sees the difference and decides.
    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESK });
    const page = await desk.newPage();
    await signIn(page, base, 'manager');
    await page.goto(`${base}/stock/counts`);
    await Promise.all([page.waitForURL((u) => u.pathname === `/stock/counts/${number}`), page.click(`a[href="/stock/counts/${number}"]`)]);
    const line = page.locator(`#lines tbody tr:has-text("${SHORT}")`);
    assert.equal((await line.locator('.difference').innerText()).trim(), '-1');
    assert.match(await page.locator('#loss').innerText(), /¥[1-9]/);
    assert.match(await page.locator('#gain').innerText(), /¥0\.00/);
    // A rejection needs a reason, asked beside the field.
    await Promise.all([page.waitForLoadState('load'), page.click('#reject-submit')]);
    assert.match(await page.locator('#reject-form .field-error').innerText(), /\S/);
    assert.match(await page.locator('#status').innerText(), /待审批/);
    await Promise.all([page.waitForURL((u) => u.search.includes('done')), page.click('#approve-submit')]);
    assert.match(await page.locator('#status').innerText(), /已批准/);
    assert.equal(await page.locator('#approve-form').count(), 0);
    assert.equal((await page.locator(`#lines tbody tr:has-text("${SHORT}") .counted`).innerText()).split(/\s/)[0], String(before - 1));
    await desk.close();

    const after = await api(base, token, 'GET', `/api/v1/stock/balances?location=${LOCATION}&part=${SHORT}`);
    assert.equal(after.find((b) => b.condition === 'new').on_hand, before - 1);
  });
});
