// Dispatch and the engineer's phone in a real browser, in zh-CN and in English: the
// dispatcher selects a waiting job on /dispatch, sees the suggested engineer with the
// reasons and assigns in one click; the engineer, on a 360 x 740 phone with the location
// allowed, accepts on /m, sets the appointment, leaves, arrives, starts, fills in the
// service record (a part, hours, test run, 5/5), the customer signs with the mouse, and
// the engineer completes. The request's timeline has every step by the engineer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, startServer, api, signIn, apiToken as login } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const SITE = { latitude: 41.7968, longitude: 123.4290 };

// Neither the document nor the body is wider than the screen.
async function assertNoHorizontalScroll(page, where) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${where}: ${scroll} px of content in ${client} px`);
}

// Clicks a button that navigates (a form post answered by a redirect) and waits for it.
async function submitAndWait(page, selector, urlPart) {
  await Promise.all([
    page.waitForURL((u) => (u.pathname + u.search).includes(urlPart), { timeout: 20_000 }),
    page.click(selector),
  ]);
}

describe('dispatch and the engineer\'s phone', () => {
  let server;
  let browser;
  let base;
  let agent;
  let dispatcherToken;
  let engineerId;
  let customer;
  let unit;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    agent = await login(base, 'agent');
    dispatcherToken = await login(base, 'dispatcher');
    engineerId = (await api(base, await login(base, 'engineer'), 'GET', '/api/v1/me')).id;
    // A customer in 沈阳市和平区 (the demo station 沈阳和平 covers it) with a 5P air
    // conditioner; the demo engineer holds the 空调 certificate.
    customer = await api(base, agent, 'POST', '/api/v1/customers', {
      kind: 'individual', name: '端到端测试客户', region_code: '210102',
      contacts: [{ name: '端到端测试客户', phones: ['139 1234 5678'] }],
      sites: [{ address: '沈阳市和平区测试街 9 号', region_code: '210102', ...SITE }],
    });
    unit = await api(base, agent, 'POST', '/api/v1/units', {
      serial: 'E2E-FIELD-0001', product_code: 'KT-5P', customer_id: customer.id,
      site_id: customer.sites[0].id, sale_date: '2025-06-01',
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [locale, words] of [
    ['zh-CN', {
      suggested: '推荐', certified: '持空调上岗证', covers: '覆盖该区县', assign: '派给', assigned: '已派给',
      accept: '接单', depart: '出发', arrive: '到达', start: '开始维修', record: '填写服务报告',
      agreed: '客户同意', completed: '已完成', done: '工单已完成。',
    }],
    ['en-US', {
      suggested: 'Suggested', certified: 'Certified for 空调', covers: 'covers the district', assign: 'Assign to', assigned: 'assigned to',
      accept: 'Accept', depart: 'Set off', arrive: 'Arrived', start: 'Start repair', record: 'Fill in the record',
      agreed: 'Customer agreed', completed: 'Completed', done: 'The work order is completed.',
    }],
  ]) {
    test(`${locale}: the dispatcher assigns in one click, the engineer works the order on the phone`, T, async (t) => {
      // A waiting job.
      let request = await api(base, agent, 'POST', '/api/v1/service-requests', {
        customer_id: customer.id, unit_id: unit.id, kind: 'repair', priority: 'high',
        symptom: locale === 'zh-CN' ? '不制冷，外机不转' : 'No cooling, the outdoor fan does not turn',
      });
      request = await api(base, agent, 'POST', `/api/v1/service-requests/${request.id}/triage`, { version: request.version, mode: 'onsite' });
      const number = request.work_orders[0].number;

      // --- The dispatcher, at 1280 px.
      const desk = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
      t.after(() => desk.close());
      const board = await desk.newPage();
      board.setDefaultTimeout(15_000);
      await signIn(board, base, 'dispatcher');
      // The dispatcher's home is the board (issue 13).
      assert.equal(new URL(board.url()).pathname, '/dispatch');
      // Wait for the scripts (htmx): the board then changes in place.
      await board.waitForLoadState('load');
      const job = board.locator(`#jobs li[data-number="${number}"] a.job-link`);
      await job.waitFor();
      // Priority and risk are words, not only colors.
      assert.match(await job.textContent(), locale === 'zh-CN' ? /高/ : /High/);
      await job.click();
      await board.locator(`#selected-job[data-number="${number}"]`).waitFor();
      await board.waitForLoadState('load');
      assert.match(board.url(), new RegExp(`job=${number}`), 'the selection is in the address');
      const top = board.locator('#suggestions li.suggestion.top');
      const topText = await top.textContent();
      assert.match(topText, /张伟/);
      assert.match(topText, new RegExp(words.suggested));
      assert.match(topText, new RegExp(words.certified));
      assert.match(topText, new RegExp(words.covers));
      // The suggested engineer is highlighted on the right too.
      await board.locator(`#engineers li.engineer.suggested[data-engineer="${engineerId}"]`).waitFor();
      // One click.
      const button = top.locator('button[type=submit]');
      assert.match(await button.textContent(), new RegExp(words.assign));
      await button.click();
      await board.locator('#flash').waitFor();
      await board.waitForLoadState('load');
      assert.match(await board.locator('#flash').textContent(), new RegExp(`${number}.*${words.assigned}`));
      assert.equal(await board.locator(`#jobs li[data-number="${number}"]`).count(), 0, 'no longer waiting');
      const wo = await api(base, dispatcherToken, 'GET', `/api/v1/work-orders/${number}`);
      assert.equal(wo.status, 'dispatched');
      assert.equal(wo.engineer.id, engineerId);
      // Still usable on a phone: stacked, nothing wider than the screen.
      await board.setViewportSize(PHONE);
      await board.goto(`${base}/dispatch?job=${number}`);
      await assertNoHorizontalScroll(board, '/dispatch at 360 px');

      // --- The engineer, on a phone with the location allowed.
      const phone = await browser.newContext({
        locale, viewport: PHONE, hasTouch: true, isMobile: true,
        permissions: ['geolocation'], geolocation: { ...SITE, accuracy: 15 },
      });
      t.after(() => phone.close());
      const page = await phone.newPage();
      page.setDefaultTimeout(15_000);
      await signIn(page, base, 'engineer');
      await page.goto(`${base}/m`);
      const card = `#wo-${number}`;
      await page.locator(card).waitFor();
      await assertNoHorizontalScroll(page, '/m');
      const accept = `${card} button[data-next="accept"]`;
      assert.equal((await page.textContent(accept)).trim(), words.accept);
      const box = await page.locator(accept).boundingBox();
      assert.ok(box.height >= 44 && box.width >= 44, `a big button: ${JSON.stringify(box)}`);
      await submitAndWait(page, accept, 'done=accept');

      // The appointment, from the menu, with the customer's agreement.
      await page.click(`${card} details.more > summary`);
      const appt = `${card} form.appt-form`;
      await page.locator(appt).waitFor();
      await page.check(`${appt} input[name="customer_agreed"]`);
      assert.match(await page.textContent(`${appt} label.check`), new RegExp(words.agreed));
      await submitAndWait(page, `${appt} button[type=submit]`, 'done=appointment');

      for (const [action, word] of [['depart', words.depart], ['arrive', words.arrive], ['start', words.start]]) {
        const b = `${card} button[data-next="${action}"]`;
        assert.equal((await page.textContent(b)).trim(), word);
        await submitAndWait(page, b, `done=${action}`);
      }
      const fill = `${card} a[data-next="link"]`;
      assert.equal((await page.textContent(fill)).trim(), words.record);
      await Promise.all([page.waitForURL((u) => u.pathname === `/m/orders/${number}`), page.click(fill)]);

      // The service record.
      await page.locator('#record-form').waitFor();
      await assertNoHorizontalScroll(page, 'the record form');
      await page.fill('#fault_cause_code', 'C-AC-CAP');
      await page.fill('#diagnosis', locale === 'zh-CN' ? '启动电容损坏' : 'Start capacitor failed');
      await page.fill('#action_taken', locale === 'zh-CN' ? '更换启动电容' : 'Replaced the capacitor');
      await page.fill('#parts-0-part_no', 'C-35UF');
      await page.fill('#parts-0-name', locale === 'zh-CN' ? '启动电容 35μF' : 'Capacitor 35 µF');
      await page.fill('#parts-0-qty', '1');
      await page.fill('#labor_hours', '1.5');
      await page.check('#test_run_done');
      await page.click('label[for="rq-5"]');
      await page.click('label[for="ra-5"]');
      const star = await page.locator('label[for="rq-5"]').boundingBox();
      assert.ok(star.height >= 44 && star.width >= 44, 'rating targets are big');
      assert.equal(await page.isChecked('#rq-5'), true);
      await submitAndWait(page, '#save-record', 'done=record');

      // The customer signs with the mouse on the pad, which fills the width.
      const canvas = page.locator('.signature-canvas');
      await canvas.scrollIntoViewIfNeeded();
      const c = await canvas.boundingBox();
      const formWidth = (await page.locator('#signature-form').boundingBox()).width;
      assert.ok(c.width >= formWidth - 2, `the pad fills the width (${c.width} of ${formWidth})`);
      await page.mouse.move(c.x + c.width * 0.15, c.y + c.height * 0.6);
      await page.mouse.down();
      for (let i = 1; i <= 12; i++) {
        await page.mouse.move(c.x + c.width * (0.15 + i * 0.055), c.y + c.height * (0.6 - 0.3 * Math.sin(i / 2)), { steps: 2 });
      }
      await page.mouse.up();
      assert.match(await page.inputValue('input[name="signature_png"]'), /^data:image\/png;base64,/);
      await assertNoHorizontalScroll(page, 'the signature step');
      await submitAndWait(page, '#sign-button', 'done=signed');

      await page.check('input[name="outcome"][value="fixed"]');
      await submitAndWait(page, '#complete-button', 'done=complete');
      assert.equal((await page.textContent('#wo-status')).trim(), words.completed);
      assert.equal((await page.textContent('#flash')).trim(), words.done);
      await assertNoHorizontalScroll(page, 'the completed order');

      // The timeline: every step by the engineer, the arrival with a position.
      const done = await api(base, dispatcherToken, 'GET', `/api/v1/work-orders/${number}`);
      assert.equal(done.status, 'completed');
      assert.equal(done.outcome, 'fixed');
      assert.equal(done.record.labor_minutes, 90);
      assert.equal(done.record.rating_quality, 5);
      assert.equal(done.record.rating_attitude, 5);
      assert.equal(done.record.test_run_done, true);
      assert.equal(done.record.has_signature, true);
      assert.equal(done.record.parts.length, 1);
      const { items } = await api(base, dispatcherToken, 'GET', `/api/v1/service-requests/${request.id}/events`);
      const mine = items.filter((e) => e.work_order_number === number);
      for (const kind of ['accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'record_saved', 'record_signed', 'completed']) {
        const e = mine.find((x) => x.kind === kind);
        assert.ok(e, `${kind} in ${mine.map((x) => x.kind).join(', ')}`);
        assert.equal(e.actor_id, engineerId, `${kind} by the engineer`);
      }
      const dispatched = mine.find((x) => x.kind === 'dispatched');
      assert.notEqual(dispatched.actor_id, engineerId, 'dispatched by the dispatcher');
      const arrived = mine.find((x) => x.kind === 'arrived');
      assert.ok(Math.abs(arrived.latitude - SITE.latitude) < 1e-4, `arrival at ${arrived.latitude}`);
      assert.ok(Math.abs(arrived.longitude - SITE.longitude) < 1e-4);
    });
  }
});
