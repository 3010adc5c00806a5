// A call at the agent console, in a real browser (issue 4): the agent types part of the
// caller's phone number, picks the customer, picks the unit and reads its warranty badge,
// enters the symptom, files with Ctrl+Enter, reads the big request number, opens the request
// and sees the "created" event with their name and the time. Then the customer, on a
// 360 px phone, files a request for their unit in the portal. In zh-CN and in English.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, startServer, api, signIn as login } from '../lib/server.js';

const T = { timeout: 120_000 };

async function noHorizontalScroll(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: the page scrolls sideways (${scroll} > ${client})`);
}

describe('agent console and customer portal', () => {
  let server;
  let browser;
  let base;
  // The demo's portal customer (孙建国): a phone of theirs and a unit with a serial.
  let phone;
  let serial;

  before(async () => {
    server = await startServer();
    base = server.baseUrl;
    browser = await launchBrowser();
    const { token } = await api(base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    const hits = await api(base, token, 'GET', `/api/v1/search?q=${encodeURIComponent('孙建国')}`);
    const customer = await api(base, token, 'GET', `/api/v1/customers/${hits.items[0].customer_id}`);
    phone = customer.contacts.flatMap((c) => c.phones).map((p) => p.number)[0];
    const units = await api(base, token, 'GET', `/api/v1/units?customer_id=${customer.id}`);
    serial = units.items.find((u) => u.serial).serial;
    assert.ok(phone && serial, 'the demo customer has a phone and a unit');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [locale, words] of [
    ['zh-CN', { badge: /保修期内|保修期外/, created: '受理报修', portalCreated: '报修已受理', agent: '王丽', filed: '报修已提交' }],
    ['en-US', { badge: /In warranty|Out of warranty/, created: 'Filed', portalCreated: 'Your request was received', agent: '王丽', filed: 'Your request is filed' }],
  ]) {
    test(`${locale}: a call from a known customer, filed with the keyboard`, T, async (t) => {
      const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
      t.after(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await login(page, base, 'agent');
      // The agent's home is the console (issue 13).
      assert.equal(new URL(page.url()).pathname, '/console');
      await page.locator('#q').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'q', 'the search box has the focus');

      // Part of the number, as the caller reads it out; results appear while typing.
      const digits = phone.replace(/\D/g, '');
      await page.keyboard.type(digits.slice(-7, -1), { delay: 30 });
      await page.locator('#console-hits a.hit').first().waitFor();
      assert.match(await page.locator('#console-hits').textContent(), /孙建国/);
      await Promise.all([page.waitForURL((u) => u.searchParams.has('customer')), page.press('#q', 'Enter')]);
      assert.match(await page.locator('#history-title').textContent(), /孙建国/);

      // Pick the unit: its warranty decision shows before filing.
      await page.locator('#units a.unit-pick', { hasText: serial }).click();
      await page.locator('#chosen-unit').waitFor();
      assert.match(await page.locator('#chosen-unit').textContent(), new RegExp(serial));
      assert.match(await page.locator('#warranty-decision .badge').textContent(), words.badge);
      assert.equal(await page.inputValue('#unit_id') !== '', true, 'the unit is chosen in the form');

      await page.locator('#symptom').click();
      await page.keyboard.type(locale === 'en-US' ? 'Not cooling, the outdoor unit is silent' : '不制冷，外机不转');
      await Promise.all([
        page.waitForURL((u) => u.searchParams.has('filed')),
        page.keyboard.press('Control+Enter'),
      ]);
      const number = (await page.locator('#filed-number').textContent()).trim();
      assert.match(number, /^SR\d{12}$/);
      const size = await page.locator('#filed-number').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(size >= 32, `the number is big enough to read out (${size}px)`);

      await Promise.all([page.waitForURL((u) => u.pathname === `/requests/${number}`), page.click('#open-filed')]);
      const created = page.locator('#timeline li[data-kind="created"]');
      const text = await created.textContent();
      assert.match(text, new RegExp(words.created));
      assert.match(text, new RegExp(number));
      assert.ok(text.includes(words.agent), `the agent's name: ${text}`);
      assert.match(text, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    });

    test(`${locale}: the customer files a request for their unit on a 360 px phone`, T, async (t) => {
      const context = await browser.newContext({ locale, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
      t.after(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await login(page, base, 'customer');
      await page.goto(`${base}/portal`);
      await noHorizontalScroll(page, '/portal');
      assert.match(await page.locator('#portal-units').textContent(), new RegExp(serial));
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/portal/requests/new'),
        page.locator('#portal-units li', { hasText: serial }).locator('a.portal-file').click(),
      ]);
      await noHorizontalScroll(page, '/portal/requests/new');
      assert.match(await page.locator('#unit_id option:checked').textContent(), new RegExp(serial));
      await page.fill('#symptom', locale === 'en-US' ? 'Water drips from the indoor unit' : '室内机漏水');
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/portal/requests/SR')), page.click('#portal-submit')]);
      assert.match(await page.locator('#portal-filed').textContent(), new RegExp(words.filed));
      assert.match(await page.locator('#portal-filed').textContent(), /SR\d{12}/);
      // The customer's words on the portal (issue 13), not the staff timeline's.
      assert.match(await page.locator('#timeline').textContent(), new RegExp(words.portalCreated));
      await noHorizontalScroll(page, 'the filed request');
      await page.goto(`${base}/portal`);
      assert.match(await page.locator('#portal-requests').textContent(), /SR\d{12}/);
    });
  }
});
