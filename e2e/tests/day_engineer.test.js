// The engineer's day on a 360 × 740 phone in zh-CN (issue 13, defects 3–5): the day's jobs,
// a refused appointment whose error is at the top of the screen, the visit, a blank service
// record refused with every error at once and in view (what was typed kept), a fault cause
// picked from the catalog, an empty signature refused in view, then the signed record and
// the completed visit. Screenshots of the main screens are kept (shot()).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, shot, startServer, api, signIn } from '../lib/server.js';

const T = { timeout: 240_000 };
const PHONE = { width: 360, height: 740 };

async function submitAndWait(page, selector, urlPart) {
  await Promise.all([
    page.waitForURL((u) => (u.pathname + u.search).includes(urlPart), { timeout: 20_000 }),
    page.click(selector),
  ]);
}

/// Clicks a submit button and waits for the refusal: the answer's status.
async function submitRefused(page, selector) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    page.click(selector),
  ]);
  await page.waitForLoadState('load');
  return res.status();
}

/// The error summary is on screen (inside the 740 px viewport, not scrolled away) and has
/// the focus; its items (label and message).
async function assertSummaryInView(page, what) {
  const summary = page.locator('#error-summary');
  await summary.waitFor();
  const box = await summary.boundingBox();
  assert.ok(box, `${what}: a summary`);
  assert.ok(box.y >= -1 && box.y < PHONE.height - 40, `${what}: the summary starts on screen (y = ${box.y})`);
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  assert.equal(focused, 'error-summary', `${what}: the summary has the focus`);
  return page.$$eval('#error-summary li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
}

describe('the engineer\'s day on a phone (zh-CN, 360 × 740)', () => {
  let server;
  let browser;
  let base;
  let token;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    token = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'engineer', password: DEMO_PASSWORD })).token;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a refused form shows every error at once, at the top, with what was typed', T, async (t) => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true });
    t.after(() => ctx.close());
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base, 'engineer');

    // The demo day: one job booked and not started, one on the way.
    const mine = (await api(base, token, 'GET', '/api/v1/work-orders?engineer_id=me&limit=100')).items;
    const booked = mine.find((o) => o.status === 'scheduled');
    const onTheWay = mine.find((o) => o.status === 'en_route');
    assert.ok(booked && onTheWay, `demo jobs: ${mine.map((o) => o.status).join(', ')}`);

    await page.goto(`${base}/m`);
    await page.locator(`#wo-${booked.number}`).waitFor();
    await shot(page, 'engineer-home');

    // An appointment that ends before it starts, from the card's menu on the day's list.
    const card = `#wo-${booked.number}`;
    await page.click(`${card} details.more > summary`);
    const appt = `${card} form.appt-form`;
    await page.fill(`${appt} input[name=start]`, '15:00');
    await page.fill(`${appt} input[name=end]`, '14:00');
    await page.fill(`${appt} textarea[name=reason]`, '客户临时有事');
    // The end before the start conflicts with the start (409), said at the top.
    assert.equal(await submitRefused(page, `${appt} button[type=submit]`), 409);
    const apptErrors = await assertSummaryInView(page, 'the appointment');
    assert.ok(apptErrors.some((x) => x.includes('结束')), `the end time is named: ${apptErrors}`);
    assert.equal(await page.inputValue(`${appt} input[name=end]`), '14:00', 'the end as typed');
    assert.equal(await page.inputValue(`${appt} textarea[name=reason]`), '客户临时有事', 'the reason as typed');
    await shot(page, 'engineer-appointment-refused');

    // On site: arrive and start with the big button.
    await page.goto(`${base}/m/orders/${onTheWay.number}`);
    for (const action of ['arrive', 'start']) {
      await submitAndWait(page, `button[data-next="${action}"]`, `done=${action}`);
    }
    await page.locator('#record-form').waitFor();
    // Nothing to sign while the record is not filled in.
    assert.equal(await page.locator('#signature-form').count(), 0, 'no signature for an empty record');

    // A blank record: every gap at once, at the top of the screen.
    await page.locator('#save-record').scrollIntoViewIfNeeded();
    assert.equal(await submitRefused(page, '#save-record'), 422);
    const blank = await assertSummaryInView(page, 'the blank record');
    for (const label of ['故障原因', '处理措施', '配件', '工时', '试机']) {
      assert.ok(blank.some((x) => x.includes(label)), `${label} is named in: ${blank.join(' | ')}`);
    }
    assert.equal(await page.locator('#signature-form').count(), 0, 'still nothing to sign');
    await shot(page, 'engineer-record-refused');

    // Typed values stay; a made-up code and 999 hours are refused together with the rest.
    await page.fill('#fault_cause_code', '<script>x</script>');
    await page.fill('#diagnosis', '外机启动电容鼓包');
    await page.fill('#labor_hours', '999');
    await page.locator('#save-record').scrollIntoViewIfNeeded();
    assert.equal(await submitRefused(page, '#save-record'), 422);
    const second = await assertSummaryInView(page, 'the second try');
    assert.ok(second.some((x) => x.includes('故障原因') && x.includes('目录')), `the code is not in the catalog: ${second}`);
    assert.ok(second.some((x) => x.includes('工时') && x.includes('24')), `the hours: ${second}`);
    assert.ok(second.some((x) => x.includes('处理措施')), `the action is still missing: ${second}`);
    assert.equal(await page.inputValue('#diagnosis'), '外机启动电容鼓包');
    assert.equal(await page.inputValue('#labor_hours'), '999');
    assert.equal(await page.inputValue('#fault_cause_code'), '<script>x</script>');

    // The cause is picked from the catalog: the picker offers the air conditioners' causes
    // and those of every line by name, and names the chosen one.
    const options = await page.$$eval('#cause-codes option', (os) => os.map((o) => ({ value: o.value, label: o.label })));
    assert.ok(options.length >= 5, `the catalog's causes: ${options.length}`);
    const capacitor = options.find((o) => o.label.includes('电容'));
    assert.ok(capacitor, `a capacitor cause among ${JSON.stringify(options)}`);
    assert.ok(!options.some((o) => o.value.startsWith('C-EL-')), 'no lift causes for an air conditioner');
    await page.fill('#fault_cause_code', capacitor.value);
    assert.equal((await page.textContent('#fault_cause_code-name')).trim(), capacitor.label);
    const pickerBox = await page.locator('#fault_cause_code').boundingBox();
    assert.ok(pickerBox.x >= 0 && pickerBox.x + pickerBox.width <= PHONE.width, 'the picker fits the screen');

    await page.fill('#action_taken', '更换启动电容，试机运行正常');
    await page.fill('#parts-0-part_no', 'C-35UF');
    await page.fill('#parts-0-name', '启动电容 35μF');
    await page.fill('#parts-0-qty', '1');
    await page.fill('#labor_hours', '1.5');
    await page.check('#test_run_done');
    await page.click('label[for="rq-5"]');
    await page.click('label[for="ra-5"]');
    await submitAndWait(page, '#save-record', 'done=record');

    // The customer's screen: what they sign for, then an empty signature refused in view.
    await page.locator('#signature-form').waitFor();
    const facts = await page.textContent('#signature .record-facts');
    assert.match(facts, /更换启动电容/);
    assert.match(facts, /启动电容 35μF/);
    await shot(page, 'engineer-signature');
    await page.locator('#sign-button').scrollIntoViewIfNeeded();
    assert.equal(await submitRefused(page, '#sign-button'), 422);
    const unsigned = await assertSummaryInView(page, 'the empty signature');
    assert.ok(unsigned.some((x) => x.includes('签名')), `the signature is named: ${unsigned}`);

    const canvas = page.locator('.signature-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const c = await canvas.boundingBox();
    await page.mouse.move(c.x + c.width * 0.15, c.y + c.height * 0.6);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) {
      await page.mouse.move(c.x + c.width * (0.15 + i * 0.055), c.y + c.height * (0.6 - 0.3 * Math.sin(i / 2)), { steps: 2 });
    }
    await page.mouse.up();
    await submitAndWait(page, '#sign-button', 'done=signed');
    await page.check('input[name="outcome"][value="fixed"]');
    await submitAndWait(page, '#complete-button', 'done=complete');
    await shot(page, 'engineer-done');

    const done = await api(base, token, 'GET', `/api/v1/work-orders/${onTheWay.number}`);
    assert.equal(done.status, 'completed');
    assert.equal(done.record.fault_cause_code, capacitor.value);
    assert.equal(done.record.labor_minutes, 90);
    assert.equal(done.record.test_run_done, true);
    assert.equal(done.record.filled, true);
    assert.equal(done.record.has_signature, true);
    const noScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(noScroll, 'nothing scrolls sideways at 360 px');
  });
});
