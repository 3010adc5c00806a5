// Loaners (issue 14 point 8, docs/loaners.md) in the browser. The demo warehouse keeper
// (赵敏) opens the loaner pool from the menu, lends LN5P001 against an open demo request
// with its expected return date, and sees it on loan; the dispatcher finds the loaner on
// the request's page and its lending on the timeline; the keeper takes it back damaged with
// an accessory missing, marks it repaired, and the history reads all four steps. A return date in the past
// comes back beside its field. In zh-CN on a desktop, the loaner's page in English at
// 360 px. Screenshots: loaners-*.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, menuLink, shot, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const DESKTOP = { width: 1366, height: 900 };

describe('a warehouse keeper lends a loaner against a request and takes it back', () => {
  let server;
  let browser;
  let base;
  let number;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const token = await apiToken(base, 'dispatcher');
    const open = await api(base, token, 'GET', '/api/v1/service-requests?status=open&limit=5');
    assert.ok(open.items.length > 0, 'the demo has open requests');
    number = open.items[0].number;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('lend, see it on the request, take it back with the inspection', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => context.close());
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await signIn(page, base, 'warehouse');
    await (await menuLink(page, '/loaners')).click();
    await page.waitForURL(/\/loaners$/);
    assert.equal(await page.textContent('h1'), '备用机池');
    // The demo pool: two lent already, LN5P001 available.
    const row = page.locator('#loaner-list tr[data-serial="LN5P001"]');
    assert.match(await row.textContent(), /在库/);
    await shot(page, 'loaners-pool');
    await row.locator('a').first().click();
    await page.waitForURL(/\/loaners\/[0-9a-f-]{36}$/);
    const loanerUrl = page.url();

    // A return date in the past is refused beside its field, the request kept as typed.
    await page.fill('#request', number);
    await page.fill('#expected_return', '2020-01-01');
    await Promise.all([page.waitForLoadState('load'), page.click('#issue-form button[type=submit]')]);
    assert.match(await page.textContent('#issue-form .field-error'), /不能早于今天/);
    assert.equal(await page.inputValue('#request'), number);

    const due = await page.evaluate(() => {
      const d = new Date(Date.now() + 10 * 864e5);
      return d.toISOString().slice(0, 10);
    });
    await page.fill('#expected_return', due);
    await Promise.all([page.waitForURL(/done=issue/), page.click('#issue-form button[type=submit]')]);
    assert.match(await page.textContent('#loaner-notice'), /已借出/);
    assert.equal(await page.textContent('#loaner-status'), '已借出');
    assert.match(await page.textContent('#current-loan'), new RegExp(number));
    await shot(page, 'loaners-lent');

    // The dispatcher sees it on the request: the line, and the lending on the timeline.
    const dctx = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => dctx.close());
    const dpage = await dctx.newPage();
    await signIn(dpage, base, 'dispatcher');
    await dpage.goto(`${base}/requests/${number}`);
    assert.match(await dpage.textContent('#loaner-out'), /LN5P001/);
    assert.match(await dpage.textContent('body'), /备用机 LN5P001（KT-5P 5匹柜式空调）借给客户/);
    await shot(dpage, 'loaners-on-request');

    // Back damaged, the remote missing: to repair.
    await page.check('#return-form input[name=condition][value=damaged]');
    await page.uncheck('#accessories_complete');
    await page.fill('#return-note', '外壳磕伤，遥控器未归还');
    await Promise.all([page.waitForURL(/done=return/), page.click('#return-form button[type=submit]')]);
    assert.equal(await page.textContent('#loaner-status'), '维修中');
    const history = await page.$$eval('#loaner-history li', (li) => li.map((l) => l.dataset.kind));
    assert.deepEqual(history, ['registered', 'issued', 'returned']);
    assert.match(await page.textContent('#loans'), /损坏/);
    assert.equal(await page.locator('#issue-form').count(), 0, 'a loaner in repair is not lent');
    await shot(page, 'loaners-returned');

    // Repaired: back in the pool, and the lending form is offered again.
    await page.fill('#status-note', '更换外壳');
    await Promise.all([page.waitForURL(/done=status/), page.click('#repaired')]);
    assert.equal(await page.textContent('#loaner-status'), '在库');
    assert.equal(await page.locator('#issue-form').count(), 1);
    const after = await page.$$eval('#loaner-history li', (li) => li.map((l) => l.dataset.kind));
    assert.deepEqual(after, ['registered', 'issued', 'returned', 'repaired']);

    // The request's timeline says it came back.
    await dpage.reload();
    assert.match(await dpage.textContent('body'), /备用机 LN5P001 已归还：损坏，附件不全/);
    assert.equal(await dpage.locator('#loaner-out').count(), 0);

    // The loaner's page in English on a phone: its words, and no sideways scrolling.
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`${base}/lang?to=en&back=${encodeURIComponent(new URL(loanerUrl).pathname)}`);
    assert.match(await page.textContent('h1'), /^Loaner/);
    assert.equal(await page.textContent('#loaner-status'), 'Available');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `the page is ${wide} px wide at 360`);
    await shot(page, 'loaners-en-360');
  });
});
