// Paid work in a real browser (issue 15, docs/charges.md): an out-of-warranty repair on the
// engineer's 360 px phone is refused "in service" with a sentence saying why; the engineer
// sends a quote from the phone and the link is shown once; the customer opens the link on
// their own 360 px phone, without signing in, and confirms; the start is still refused
// until payment (the schedule says pay first); the engineer records the payment on the
// phone; the work starts; the receipt PDF downloads and reads back (Poppler) with the total.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, shot, signIn, startServer } from '../lib/server.js';

const T = { timeout: 240_000 };
const PHONE = { width: 360, height: 740 };

async function noHorizontalScroll(page, where) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${where}: no horizontal scroll at 360 px (${overflow})`);
}

describe('quote, confirm, pay, then work', () => {
  let server;
  let browser;
  let base;
  let number;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const agent = await apiToken(base, 'agent');
    const dispatcher = await apiToken(base, 'dispatcher');
    const engineer = await apiToken(base, 'engineer');
    const engineerId = (await api(base, engineer, 'GET', '/api/v1/me')).id;
    // A 5P air conditioner sold in 2019 under "three years, then lifetime service": out of
    // warranty, so travel is charged (parts at cost, labor free).
    const customer = await api(base, agent, 'POST', '/api/v1/customers', {
      kind: 'individual', name: '收费测试客户', region_code: '210102',
      contacts: [{ name: '收费测试客户', phones: ['139 8765 4321'] }],
      sites: [{ address: '沈阳市和平区收费街 1 号', region_code: '210102', latitude: 41.7968, longitude: 123.429 }],
    });
    const unit = await api(base, agent, 'POST', '/api/v1/units', {
      serial: 'E2E-PAID-0001', product_code: 'KT-5P', customer_id: customer.id,
      site_id: customer.sites[0].id, sale_date: '2019-05-01',
    });
    let r = await api(base, agent, 'POST', '/api/v1/service-requests', {
      customer_id: customer.id, unit_id: unit.id, kind: 'repair', priority: 'normal', symptom: '不制冷',
    });
    r = await api(base, agent, 'POST', `/api/v1/service-requests/${r.id}/triage`, { version: r.version, mode: 'onsite' });
    number = r.work_orders[0].number;
    let o = await api(base, dispatcher, 'POST', `/api/v1/work-orders/${number}/dispatch`, { version: 1, engineer_id: engineerId });
    o = await api(base, engineer, 'POST', `/api/v1/work-orders/${number}/accept`, { version: o.version });
    for (const action of ['depart', 'arrive']) {
      o = await api(base, engineer, 'POST', `/api/v1/work-orders/${number}/transition`, { version: o.version, action });
    }
    assert.equal(o.status, 'arrived');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the start waits for the confirmed quote and the payment', T, async (t) => {
    const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true, acceptDownloads: true });
    t.after(() => phone.close());
    phone.setDefaultTimeout(20_000);
    const p = await phone.newPage();
    await signIn(p, base, 'engineer');
    await p.goto(`${base}/m/orders/${number}`);
    await noHorizontalScroll(p, 'the order');

    // Start: refused, saying why.
    await Promise.all([p.waitForLoadState('load'), p.click('#steps-card button[data-next="start"]')]);
    const why = await p.textContent(`#next-error-${number}`);
    assert.match(why, /确认报价/, why);
    assert.match(await p.textContent('#charges-wait'), /报价/);

    // The engineer sends a quote from the phone; the link is shown once, with a QR code.
    await p.fill('#quote-minutes', '60');
    await Promise.all([p.waitForLoadState('load'), p.click('#quote-send')]);
    const link = await p.getAttribute('#quote-link', 'href');
    assert.match(link, /\/q\/[0-9a-f]{64}$/);
    assert.equal(await p.locator('#quote-link-box svg').count(), 1, 'a QR code to scan');
    const total = (await p.textContent('#quote-total')).trim();
    assert.match(total, /^¥\d+\.\d\d$/);
    await shot(p, 'charges-quote-sent');

    // The customer, on their own phone, without signing in.
    const theirs = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    t.after(() => theirs.close());
    const c = await theirs.newPage();
    await c.goto(new URL(link, base).href);
    await noHorizontalScroll(c, 'the quote link');
    assert.equal((await c.textContent('#quote-gross')).trim(), total);
    await shot(c, 'charges-quote-link');
    await Promise.all([c.waitForLoadState('load'), c.click('#quote-confirm')]);
    assert.match(await c.textContent('#quote-message'), /报价已确认/);
    assert.equal(await c.locator('#quote-confirm').count(), 0, 'one answer only');

    // Confirmed, but paid work is paid first: still refused, now for the payment.
    await p.goto(`${base}/m/orders/${number}`);
    assert.match(await p.textContent('#quote-status'), /已确认/);
    await Promise.all([p.waitForLoadState('load'), p.click('#steps-card button[data-next="start"]')]);
    assert.match(await p.textContent(`#next-error-${number}`), /付款/);

    // The payment, in cash, on the phone.
    await Promise.all([p.waitForURL(/\/payments$/), p.click('#record-payment')]);
    await noHorizontalScroll(p, 'the payment form');
    await p.fill('#amount', total.replace('¥', ''));
    await p.selectOption('#method', 'cash');
    await Promise.all([p.waitForURL(/done=RC/), p.click('#record-payment-submit')]);
    const receipt = new URL(p.url()).searchParams.get('done');

    // The receipt downloads and reads back with the total.
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#receipt-link')]);
    assert.equal(download.suggestedFilename(), `${receipt}.pdf`);
    const text = execFileSync('pdftotext', ['-layout', await download.path(), '-'], { encoding: 'utf8' });
    assert.match(text, new RegExp(receipt));
    assert.ok(text.includes(total.replace('¥', '')), `the total ${total} in the receipt:\n${text}`);

    // The work goes on.
    await p.goto(`${base}/m/orders/${number}`);
    await Promise.all([p.waitForLoadState('load'), p.click('#steps-card button[data-next="start"]')]);
    const engineer = await apiToken(base, 'engineer');
    const wo = await api(base, engineer, 'GET', `/api/v1/work-orders/${number}`);
    assert.equal(wo.status, 'in_service');

  });
});
