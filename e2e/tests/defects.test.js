// Old for new and defect analysis (issue 14 points 5-6) in a real browser, the Done-when
// line: an engineer on a 360 px phone issues a part from the van on a work order in
// warranty; the defective-part obligation appears ("待返旧件"); the engineer hands the
// defective part in; the warehouse receives it and assigns a failure code; the obligation
// closes; the defect report (/quality) counts it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, menuLink, shot, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };

async function noSideScroll(m, what) {
  const { scroll, client } = await m.evaluate(() => ({
    scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: ${scroll} px of content in ${client} px`);
}

describe('defective parts', () => {
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

  test('issued in warranty, handed in, received with a failure code, counted in the report', T, async () => {
    const token = await apiToken(base, 'engineer');
    const orders = await api(base, token, 'GET', '/api/v1/work-orders?limit=50');
    const job = orders.items.find((w) => ['arrived', 'in_progress', 'waiting'].includes(w.status));
    assert.ok(job, 'a job on site in the demo');
    const before = await api(base, token, 'GET', `/api/v1/defect-returns?work_order=${job.number}`);

    // The engineer issues one part from the van on the job, on the phone.
    const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    const m = await phone.newPage();
    await signIn(m, base, 'engineer');
    await m.goto(`${base}/m/orders/${job.number}`);
    await m.fill('#issue-part', 'KT-SNS-T');
    await m.fill('#issue-qty', '1');
    await Promise.all([m.waitForURL((u) => u.search.includes('done=issued')), m.click('#issue button[type=submit]')]);

    // The obligation appears under "待返旧件", reached from the van.
    await m.goto(`${base}/m/van`);
    await Promise.all([m.waitForURL((u) => u.pathname === '/m/defects'), m.click('#to-defects')]);
    assert.match(await m.locator('#page-title').innerText(), /待返旧件/);
    const after = await api(base, token, 'GET', `/api/v1/defect-returns?work_order=${job.number}`);
    const fresh = after.find((o) => !before.some((b) => b.number === o.number));
    assert.ok(fresh, 'a new obligation for the issue in warranty');
    assert.equal(fresh.status, 'open');
    const card = m.locator(`#to-hand-in .defect-item[data-number="${fresh.number}"]`);
    assert.match(await card.innerText(), /KT-SNS-T/);
    await noSideScroll(m, '/m/defects');
    await shot(m, 'defects-phone');

    // Handed in: it leaves the list of those to hand in.
    await Promise.all([m.waitForURL((u) => u.search.includes('done=1')), card.locator('button[type=submit]').click()]);
    assert.match(await m.locator('#notice').innerText(), /已交回/);
    assert.equal(await m.locator(`#to-hand-in .defect-item[data-number="${fresh.number}"]`).count(), 0);
    assert.match(await m.locator(`#handed-in .defect-item[data-number="${fresh.number}"]`).innerText(), /已交回/);
    await phone.close();

    // The warehouse receives it with a failure code: the obligation closes.
    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESK });
    const page = await desk.newPage();
    await signIn(page, base, 'warehouse');
    const link = await menuLink(page, '/defect-returns');
    await Promise.all([page.waitForURL((u) => u.pathname === '/defect-returns'), link.click()]);
    const row = page.locator(`#returns tbody tr[data-number="${fresh.number}"]`);
    await row.locator('select[name=failure_code]').selectOption('S-DRIFT');
    await Promise.all([page.waitForURL((u) => u.search.includes('done=1')), row.locator('button[type=submit]').click()]);
    assert.match(await page.locator('#notice').innerText(), /已收货/);
    assert.match(await row.locator('.status').innerText(), /已入库/);
    assert.match(await row.innerText(), /S-DRIFT/);
    assert.equal(await row.locator('select').count(), 0);
    const closed = await api(base, await apiToken(base, 'warehouse'), 'GET', `/api/v1/defect-returns?work_order=${job.number}`);
    assert.equal(closed.find((o) => o.number === fresh.number).status, 'received');
    await desk.close();

    // The manager's defect report counts it.
    const mgr = await browser.newContext({ locale: 'zh-CN', viewport: DESK });
    const q = await mgr.newPage();
    await signIn(q, base, 'manager');
    const ql = await menuLink(q, '/quality');
    await Promise.all([q.waitForURL((u) => u.pathname === '/quality'), ql.click()]);
    assert.match(await q.locator('#page-title').innerText(), /故障件分析/);
    assert.ok(Number(await q.locator('#total').innerText()) >= 1);
    const line = q.locator('#report tbody tr[data-part="KT-SNS-T"]');
    assert.ok((await line.count()) >= 1, 'a report row of KT-SNS-T');
    assert.match(await line.first().innerText(), /S-DRIFT/);
    await shot(q, 'quality');
    await mgr.close();
  });

  test('the warehouse keeps the failure-code catalog: a refusal beside the field, a rename, a retired code no longer offered', T, async () => {
    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESK });
    const page = await desk.newPage();
    await signIn(page, base, 'warehouse');
    await page.goto(`${base}/quality`);
    await Promise.all([page.waitForURL((u) => u.pathname === '/failure-codes'), page.click('#codes-link')]);
    // Adding without an English name is refused beside that field, the rest kept.
    await page.fill('#c-code', 'e-short');
    await page.fill('#c-zh', '线路短路');
    await page.selectOption('#c-cat', 'electrical');
    await Promise.all([page.waitForLoadState('load'), page.click('#new-code-submit')]);
    assert.match(await page.locator('#new-code .field.invalid').innerText(), /英文名称/);
    assert.equal(await page.inputValue('#c-zh'), '线路短路');
    await page.fill('#c-en', 'Short circuit');
    await Promise.all([page.waitForURL((u) => u.search.includes('done')), page.click('#new-code-submit')]);
    assert.equal(await page.locator('tr[data-code="E-SHORT"]').count(), 1);
    // Retiring X-NFF: still listed, no longer offered when a defective part is received.
    const row = page.locator('tr[data-code="X-NFF"]');
    await row.locator('input[name=active]').uncheck();
    await Promise.all([page.waitForURL((u) => u.search.includes('done')), row.locator('button[type=submit]').click()]);
    assert.equal(await page.locator('tr[data-code="X-NFF"] input[name=active]').isChecked(), false);
    const token = await apiToken(base, 'warehouse');
    const offered = (await api(base, token, 'GET', '/api/v1/failure-codes')).map((c) => c.code);
    assert.ok(offered.includes('E-SHORT') && !offered.includes('X-NFF'), offered.join());
    const trail = await api(base, await apiToken(base, 'admin'), 'GET', '/api/v1/audit?entity=failure_code&action=update');
    assert.equal(trail.items[0].before.active, true);
    assert.equal(trail.items[0].after.active, false);
    await desk.close();
  });
});
