// Requisitions and shipments in a real browser (issue 14 points 3 and 10): the warehouse
// finds the demo's approved urgent requisition for the engineer's van, ships it with a
// carrier and urgent freight; the engineer, on a 360 × 740 phone, counts nothing arrived
// and confirms; the line shows "short", and the accuracy figure on /stock drops from
// 100 % to 50 % with the below-target badge.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, menuLink, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };

describe('requisition pages', () => {
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

  test('shipped 1, counted 0: the line is short and the accuracy drops below 100 %', T, async () => {
    const token = await apiToken(base, 'warehouse');
    const list = await api(base, token, 'GET', '/api/v1/requisitions?status=approved');
    const req = list.find((r) => r.requesting === 'VAN-ZW');
    assert.ok(req, JSON.stringify(list));

    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESK });
    const page = await desk.newPage();
    await signIn(page, base, 'warehouse');
    await page.goto(`${base}/stock`);
    assert.match(await page.locator('#accuracy-figure').innerText(), /100\.00%/);
    assert.equal(await page.locator('#accuracy-below').count(), 0);
    const link = await menuLink(page, '/requisitions');
    await Promise.all([page.waitForURL((u) => u.pathname === '/requisitions'), link.click()]);
    await Promise.all([page.waitForURL((u) => u.pathname === `/requisitions/${req.number}`), page.click(`a[href="/requisitions/${req.number}"]`)]);
    // Shipping without a carrier is refused beside the field.
    await Promise.all([page.waitForLoadState('load'), page.click('#ship-submit')]);
    assert.ok((await page.locator('#ship-form .field-error').count()) >= 1);
    await page.fill('#s-carrier', '顺丰速运');
    await page.fill('#s-tracking', 'SF123');
    await page.fill('#s-freight', '25');
    await Promise.all([page.waitForURL((u) => u.search.includes('done')), page.click('#ship-submit')]);
    assert.match(await page.locator('#status').innerText(), /已发货/);
    assert.match(await page.locator('#freight').innerText(), /¥25\.00/);

    // The engineer on the phone: nothing arrived.
    const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    const mp = await phone.newPage();
    await signIn(mp, base, 'engineer');
    await mp.goto(`${base}/requisitions/${req.number}`);
    const width = await mp.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `page is ${width}px wide`);
    await mp.fill('#r-qty_1', '0');
    await Promise.all([mp.waitForURL((u) => u.search.includes('done')), mp.click('#receive-submit')]);
    assert.match(await mp.locator('#status').innerText(), /已收货/);
    assert.match(await mp.locator('#lines tr[data-line="1"] .discrepancy').innerText(), /短少/);

    await page.goto(`${base}/stock`);
    assert.match(await page.locator('#accuracy-figure').innerText(), /50\.00%/);
    assert.equal(await page.locator('#accuracy-below').count(), 1);
    await desk.close();
    await phone.close();
  });

  test('an engineer asks for parts on the phone, is told what is wrong, then withdraws it', T, async () => {
    const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    const mp = await phone.newPage();
    await signIn(mp, base, 'engineer');
    await mp.goto(`${base}/requisitions`);
    await Promise.all([mp.waitForURL((u) => u.pathname === '/requisitions/new'), mp.click('#new-requisition-link')]);
    // The engineer's own van comes chosen; their station's store is offered too.
    const places = await mp.locator('#n-requesting option').allTextContents();
    assert.deepEqual(places.map((p) => p.split(' · ')[0].trim()).sort(), ['ST-SY-HP', 'VAN-ZW']);
    assert.equal(await mp.inputValue('#n-requesting'), 'VAN-ZW');
    await mp.selectOption('#n-priority', 'urgent');
    await mp.fill('#n-part-1', 'jsq-ro-400');
    await mp.fill('#n-qty-1', '0');
    await mp.fill('#n-part-2', 'NO-SUCH-PART');
    await mp.fill('#n-qty-2', '1');
    await Promise.all([mp.waitForLoadState('load'), mp.click('#new-submit')]);
    // Each refusal beside its own line, what was typed kept.
    assert.match(await mp.locator('[data-line="1"] .field-error').innerText(), /\S/);
    assert.match(await mp.locator('[data-line="2"] .field-error').innerText(), /\S/);
    assert.equal(await mp.inputValue('#n-part-2'), 'NO-SUCH-PART');
    assert.equal(await mp.inputValue('#n-priority'), 'urgent');
    const width = await mp.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `page is ${width}px wide`);
    await mp.fill('#n-qty-1', '2');
    await mp.fill('#n-part-2', '');
    await mp.fill('#n-qty-2', '');
    await Promise.all([mp.waitForURL((u) => u.search.includes('done')), mp.click('#new-submit')]);
    assert.match(await mp.locator('#status').innerText(), /已提交/);
    assert.match(await mp.locator('#lines').innerText(), /JSQ-RO-400/);
    const number = (await mp.locator('#page-title').innerText()).split(/\s/)[0];

    // Withdrawing asks first; then the requisition is cancelled and the form is gone.
    await mp.click('#cancel-submit');
    assert.match(await mp.locator('dialog[data-confirm-dialog]').innerText(), /撤回/);
    await Promise.all([mp.waitForURL((u) => u.search.includes('done')), mp.click('dialog[data-confirm-dialog] [data-confirm-yes]')]);
    assert.match(await mp.locator('#status').innerText(), /已取消/);
    assert.equal(await mp.locator('#cancel-form').count(), 0);
    const token = await apiToken(base, 'engineer');
    const r = await api(base, token, 'GET', `/api/v1/requisitions/${number}`);
    assert.equal(r.status, 'cancelled');
    assert.equal(r.priority, 'urgent');
    await phone.close();
  });
});
