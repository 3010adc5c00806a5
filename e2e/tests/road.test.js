// The whole road of issue 4 in a real browser, in zh-CN and again in English, each step
// through the pages its user works in: the agent takes a call at the console and finds the
// customer by part of their phone number, files the request and sends it on site; the
// dispatcher assigns the suggested engineer on the board; the engineer, on a phone-sized
// screen, accepts, travels, arrives, records the diagnosis, a part and the hours, and the
// customer signs on the screen; the agent downloads the PDF service record, which carries
// the signature; the request's timeline shows each step with who did it and when.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, startServer, api, signIn } from '../lib/server.js';

const T = { timeout: 240_000 };
const PHONE = { width: 360, height: 740 };
const SITE = { latitude: 41.7968, longitude: 123.429 };

async function submitAndWait(page, selector, urlPart) {
  await Promise.all([
    page.waitForURL((u) => (u.pathname + u.search).includes(urlPart), { timeout: 20_000 }),
    page.click(selector),
  ]);
}

describe('the whole road: call, dispatch, visit, signed record, timeline', () => {
  let server;
  let browser;
  let base;
  let agentToken;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    agentToken = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'agent', password: DEMO_PASSWORD })).token;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [locale, w] of [
    ['zh-CN', {
      name: '路测客户甲', phone: '139 8800 1101', serial: 'ROAD-ZH-0001', symptom: '不制冷，外机不转',
      suggested: '推荐', accept: '接单', record: '填写服务报告', completed: '已完成',
      agent: '王丽', dispatcher: '李强', engineer: '张伟',
    }],
    ['en-US', {
      name: '路测客户乙', phone: '139 8800 1102', serial: 'ROAD-EN-0001', symptom: 'No cooling, outdoor fan silent',
      suggested: 'Suggested', accept: 'Accept', record: 'Fill in the record', completed: 'Completed',
      agent: '王丽', dispatcher: '李强', engineer: '张伟',
    }],
  ]) {
    test(`${locale}: from the call to the signed PDF and the timeline`, T, async (t) => {
      // The caller is already a customer (in 沈阳市和平区, covered by the demo station) with a
      // 5P air conditioner; the demo engineer is certified for 空调.
      const customer = await api(base, agentToken, 'POST', '/api/v1/customers', {
        kind: 'individual', name: w.name, region_code: '210102',
        contacts: [{ name: w.name, phones: [w.phone] }],
        sites: [{ address: '沈阳市和平区路测街 1 号', region_code: '210102', ...SITE }],
      });
      await api(base, agentToken, 'POST', '/api/v1/units', {
        serial: w.serial, product_code: 'KT-5P', customer_id: customer.id,
        site_id: customer.sites[0].id, sale_date: '2025-06-01',
      });

      // --- The agent takes the call.
      const desk = await browser.newContext({ locale, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      t.after(() => desk.close());
      const agent = await desk.newPage();
      agent.setDefaultTimeout(15_000);
      await signIn(agent, base, 'agent');
      // The agent's home is the console (issue 13).
      assert.equal(new URL(agent.url()).pathname, '/console');
      await agent.locator('#q').waitFor();
      await agent.keyboard.type(w.phone.replace(/\D/g, '').slice(-8, -2), { delay: 30 });
      await agent.locator('#console-hits a.hit').first().waitFor();
      assert.match(await agent.locator('#console-hits').textContent(), new RegExp(w.name));
      await Promise.all([agent.waitForURL((u) => u.searchParams.has('customer')), agent.press('#q', 'Enter')]);
      await agent.locator('#units a.unit-pick', { hasText: w.serial }).click();
      await agent.locator('#chosen-unit').waitFor();
      // The unit's pick swaps the console in (htmx): type once the swap has settled.
      await agent.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping'));
      await agent.locator('#symptom').click();
      await agent.keyboard.type(w.symptom);
      await Promise.all([agent.waitForURL((u) => u.searchParams.has('filed')), agent.keyboard.press('Control+Enter')]);
      const number = (await agent.locator('#filed-number').textContent()).trim();
      assert.match(number, /^SR\d{12}$/);
      await Promise.all([agent.waitForURL((u) => u.pathname === `/requests/${number}`), agent.click('#open-filed')]);
      // Phone help would not do: a visit.
      await agent.selectOption('#triage-form select[name=mode]', 'onsite');
      await Promise.all([agent.waitForNavigation(), agent.click('#triage-form button[type=submit]')]);
      const request = await api(base, agentToken, 'GET', `/api/v1/service-requests/${number}`);
      assert.equal(request.status, 'in_progress');
      const wo = request.work_orders[0].number;

      // --- The dispatcher assigns the suggested engineer on the board.
      const boardCtx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
      t.after(() => boardCtx.close());
      const d = await boardCtx.newPage();
      d.setDefaultTimeout(15_000);
      await signIn(d, base, 'dispatcher');
      await d.goto(`${base}/dispatch`);
      await d.waitForLoadState('load');
      await d.locator(`#jobs li[data-number="${wo}"] a.job-link`).click();
      await d.locator(`#selected-job[data-number="${wo}"]`).waitFor();
      await d.waitForLoadState('load');
      const top = d.locator('#suggestions li.suggestion.top');
      assert.match(await top.textContent(), new RegExp(w.suggested));
      assert.match(await top.textContent(), /张伟/);
      await top.locator('button[type=submit]').click();
      await d.locator('#flash').waitFor();
      assert.equal(await d.locator(`#jobs li[data-number="${wo}"]`).count(), 0);

      // --- The engineer, on the phone, with the location allowed.
      const phoneCtx = await browser.newContext({
        locale, viewport: PHONE, hasTouch: true, isMobile: true,
        permissions: ['geolocation'], geolocation: { ...SITE, accuracy: 10 },
      });
      t.after(() => phoneCtx.close());
      const p = await phoneCtx.newPage();
      p.setDefaultTimeout(15_000);
      await signIn(p, base, 'engineer');
      await p.goto(`${base}/m`);
      const card = `#wo-${wo}`;
      await p.locator(card).waitFor();
      assert.equal((await p.textContent(`${card} button[data-next="accept"]`)).trim(), w.accept);
      await submitAndWait(p, `${card} button[data-next="accept"]`, 'done=accept');
      for (const action of ['depart', 'arrive', 'start']) {
        await submitAndWait(p, `${card} button[data-next="${action}"]`, `done=${action}`);
      }
      assert.equal((await p.textContent(`${card} a[data-next="link"]`)).trim(), w.record);
      await Promise.all([p.waitForURL((u) => u.pathname === `/m/orders/${wo}`), p.click(`${card} a[data-next="link"]`)]);
      // A filled record (docs/service-flow.md): the cause from the catalog, then the rest.
      await p.fill('#fault_cause_code', 'C-AC-CAP');
      await p.fill('#diagnosis', locale === 'zh-CN' ? '启动电容击穿' : 'Start capacitor burnt out');
      await p.fill('#action_taken', locale === 'zh-CN' ? '更换启动电容，试机正常' : 'Replaced it; test run fine');
      await p.fill('#parts-0-part_no', 'C-35UF');
      await p.fill('#parts-0-name', locale === 'zh-CN' ? '启动电容 35μF' : 'Capacitor 35 µF');
      await p.fill('#parts-0-qty', '1');
      await p.fill('#labor_hours', '1.5');
      await p.check('#test_run_done');
      await p.click('label[for="rq-5"]');
      await p.click('label[for="ra-5"]');
      await submitAndWait(p, '#save-record', 'done=record');
      const canvas = p.locator('.signature-canvas');
      await canvas.scrollIntoViewIfNeeded();
      const c = await canvas.boundingBox();
      await p.mouse.move(c.x + c.width * 0.1, c.y + c.height * 0.6);
      await p.mouse.down();
      for (let i = 1; i <= 14; i++) {
        await p.mouse.move(c.x + c.width * (0.1 + i * 0.055), c.y + c.height * (0.55 - 0.3 * Math.sin(i / 2)), { steps: 2 });
      }
      await p.mouse.up();
      await submitAndWait(p, '#sign-button', 'done=signed');
      await p.check('input[name="outcome"][value="fixed"]');
      await submitAndWait(p, '#complete-button', 'done=complete');
      assert.equal((await p.textContent('#wo-status')).trim(), w.completed);

      // --- The agent downloads the signed service record as a PDF.
      const done = await api(base, agentToken, 'GET', `/api/v1/work-orders/${wo}`);
      await agent.goto(`${base}/work-orders/${done.id}/record`);
      assert.match(await agent.locator('#qr svg').evaluate((el) => el.outerHTML), /<svg/);
      const signature = agent.locator('#signature');
      assert.ok(await signature.evaluate((img) => img.complete && img.naturalWidth > 0), 'the signature shows on the page');
      const [download] = await Promise.all([agent.waitForEvent('download'), agent.click('#record-pdf')]);
      assert.equal(download.suggestedFilename(), `${wo}.pdf`);
      const chunks = [];
      for await (const chunk of await download.createReadStream()) chunks.push(chunk);
      const pdf = Buffer.concat(chunks);
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      const text = pdf.toString('latin1');
      assert.match(text, /\/Subtype\s*\/Image/, 'the signature is an image in the PDF');
      assert.match(text, /\/FontFile/, 'with an embedded font');
      // The QR code opens the public page, which says the record is genuine.
      const verify = await (await browser.newContext({ locale })).newPage();
      const href = await agent.locator('#qr ~ p a').getAttribute('href');
      await verify.goto(href);
      assert.match(await verify.locator('#verdict').getAttribute('class'), /ok/);
      await verify.context().close();

      // --- The timeline: each step with who did it and when.
      await agent.goto(`${base}/requests/${number}`);
      const timeline = agent.locator('#timeline');
      const steps = ['created', 'triaged_onsite', 'dispatched', 'accepted', 'en_route', 'arrived', 'in_service', 'record_signed', 'completed', 'resolved'];
      for (const kind of steps) {
        const li = timeline.locator(`li[data-kind="${kind}"]`).first();
        assert.equal(await li.count(), 1, `${kind} on the timeline`);
        assert.match(await li.locator('.event-time').textContent(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/, `${kind} has its time`);
        const actor = (await li.locator('.event-actor').textContent()).trim();
        const who = ['created', 'triaged_onsite'].includes(kind) ? w.agent
          : kind === 'dispatched' ? null : w.engineer;
        if (who) assert.equal(actor, who, `${kind} by ${who}`);
        else assert.match(actor, new RegExp(w.dispatcher), `${kind} by the dispatcher`);
      }
      const order = await timeline.locator('li').evaluateAll((lis) => lis.map((li) => li.dataset.kind));
      const idx = steps.map((k) => order.indexOf(k));
      assert.deepEqual([...idx].sort((a, b) => a - b), idx, `in order: ${order.join(', ')}`);
    });
  }
});
