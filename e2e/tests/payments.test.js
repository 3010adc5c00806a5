// Payments, receipts and the cash hand-over (issue 15 points 4 and 5,
// docs/charges.md) in the browser. The demo engineer (张伟), on a 360 px phone,
// opens a job of theirs, records a cash payment of ¥128.50 through "Record payment",
// downloads the receipt PDF, which reads back (Poppler's pdftotext) with the receipt number
// and the amount; hands the cash over on /cash; the manager confirms the hand-over with
// what was counted and the difference reads 0.00. Screenshots: payments-*.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, shot, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1366, height: 900 };

describe('an engineer takes cash on site and the manager confirms the hand-over', () => {
  let server;
  let browser;
  let base;
  let job;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const token = await apiToken(base, 'engineer');
    const orders = await api(base, token, 'GET', '/api/v1/work-orders?engineer_id=me&limit=100');
    job = orders.items.find((w) => !['completed', 'cancelled'].includes(w.status));
    assert.ok(job, 'the demo engineer has an open job');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('record cash on the phone, download the receipt, hand over, confirm', T, async (t) => {
    const phone = await browser.newContext({
      locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true, acceptDownloads: true,
    });
    t.after(() => phone.close());
    phone.setDefaultTimeout(15_000);
    const p = await phone.newPage();
    await signIn(p, base, 'engineer');
    await p.goto(`${base}/m/orders/${job.number}`);
    await Promise.all([p.waitForURL(/\/payments$/), p.click('#record-payment')]);
    assert.equal(await p.textContent('h1'), '收款');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scroll at 360 px (${overflow})`);

    // A payment by WeChat without its reference is refused beside the field.
    await p.fill('#amount', '128.50');
    await p.selectOption('#method', 'wechat_pay');
    await Promise.all([p.waitForLoadState('load'), p.click('#record-payment-submit')]);
    assert.ok(await p.locator('#record-payment-form .field-error').count() > 0, 'reference required');

    await p.selectOption('#method', 'cash');
    await p.fill('#amount', '128.50');
    await Promise.all([p.waitForURL(/done=RC/), p.click('#record-payment-submit')]);
    const receipt = new URL(p.url()).searchParams.get('done');
    assert.match(await p.textContent('#payment-list'), /128\.50/);
    await shot(p, 'payments-phone');

    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#receipt-link')]);
    assert.equal(download.suggestedFilename(), `${receipt}.pdf`);
    const text = execFileSync('pdftotext', ['-layout', await download.path(), '-'], { encoding: 'utf8' });
    assert.match(text, new RegExp(receipt));
    assert.match(text, /128\.50/);

    // The engineer hands the cash over.
    await p.goto(`${base}/cash`);
    assert.match(await p.textContent('#cash-held'), /128\.50/);
    await Promise.all([p.waitForURL(/\/cash$/), p.click('#hand-over')]);
    assert.match(await p.textContent('#handovers'), /128\.50/);

    // The manager confirms what was counted.
    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP });
    t.after(() => desk.close());
    const m = await desk.newPage();
    await signIn(m, base, 'manager');
    await m.goto(`${base}/cash`);
    const row = m.locator('#handovers tr', { hasText: '128.50' }).first();
    await row.locator('input[name=counted]').fill('128.50');
    await Promise.all([m.waitForURL(/\/cash$/), row.locator('button.confirm-handover').click()]);
    const done = m.locator('#handovers tr', { hasText: '128.50' }).first();
    assert.equal((await done.locator('.difference').textContent()).trim(), '0.00');
    await shot(m, 'payments-cash-confirmed');
  });
});
