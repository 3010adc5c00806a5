// The agent's day at the front desk (issue 13, defects 2 and 7), at 1366 px in zh-CN: a new
// caller's number typed in the console search finds nobody; the one "new customer" control
// opens the short form with the number in the phone field (the name empty); the record is
// filed and the search box keeps the number. A second new-caller attempt under another name
// with the same number spaced otherwise is flagged as a duplicate and offers the existing
// customer instead; Enter on the whole number opens them even before results arrive. A request is filed for them; the customer's page lists it in the service
// history, and the request list narrowed to that customer shows it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, shot, startServer, signIn as login } from '../lib/server.js';

const T = { timeout: 180_000 };

describe("the agent's day: a new caller and the customer's history", () => {
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

  test('zh-CN: a new caller filed by phone, a duplicate flagged, a request in the history', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // "4567" never occurs in the demo's numbers: this caller is new.
    const phone = '139 4567 2013';
    const name = '路新来';
    await login(page, base, 'agent');
    await page.goto(`${base}/console`);

    // The number as the caller reads it out: nobody has it, one control to file them.
    await page.locator('#q').pressSequentially(phone, { delay: 20 });
    await page.locator('#new-caller-link').waitFor();
    assert.equal(await page.getByText('新客户：建档').count(), 1, 'one "new customer" control');
    await shot(page, 'agent-console-new-number');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('new_caller')), page.click('#new-caller-link')]);
    await page.locator('#new-caller-form').waitFor();
    assert.equal(await page.inputValue('#caller-phone'), phone, 'the number lands in the phone field');
    assert.equal(await page.inputValue('#caller-name'), '', 'the name is left to type');
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'caller-name');
    assert.equal(await page.getByText('新客户：建档').count(), 0, 'the control gave way to its form');
    assert.equal(await page.getAttribute('#caller-name', 'maxlength'), '50');

    // The phone is required: cleared, the form says so beside it and keeps the name.
    await page.fill('#caller-name', name);
    await page.fill('#caller-phone', '');
    await page.click('#create-caller');
    await page.locator('#caller-phone-error').waitFor();
    assert.equal(await page.inputValue('#caller-name'), name);
    await page.fill('#caller-phone', phone);
    await page.fill('#caller-address', '沈阳市和平区路新街 3 号');
    await page.fill('#caller-region', '210102');
    await shot(page, 'agent-new-caller-form');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('customer')), page.click('#create-caller')]);
    assert.match(await page.locator('#history-title').textContent(), new RegExp(name));
    assert.equal(await page.inputValue('#q'), phone, 'the search box keeps the number');
    const customerId = new URL(page.url()).searchParams.get('customer');

    // The next call from them: Enter on the whole number, before any result has arrived,
    // opens their record.
    await page.goto(`${base}/console`);
    await page.fill('#q', '13945672013');
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('customer') === customerId),
      page.press('#q', 'Enter'),
    ]);
    assert.match(await page.locator('#history-title').textContent(), new RegExp(name));

    // Another call: the agent types a name the record does not have, then the same number
    // spaced otherwise. Flagged before anything is filed, with the record to use instead.
    await page.goto(`${base}/console`);
    await page.locator('#q').pressSequentially('路欣来', { delay: 20 });
    await page.locator('#new-caller-link').waitFor();
    await Promise.all([page.waitForURL((u) => u.searchParams.has('new_caller')), page.click('#new-caller-link')]);
    assert.equal(await page.inputValue('#caller-name'), '路欣来', 'a name goes to the name');
    assert.equal(await page.inputValue('#caller-phone'), '');
    await page.fill('#caller-phone', '139-4567-2013');
    await page.click('#create-caller');
    await page.locator('#duplicate-phone').waitFor();
    assert.match(await page.locator('#duplicate-phone').textContent(), new RegExp(name));
    assert.match(await page.locator('#caller-phone-error').textContent(), /已登记在其他客户名下/);
    assert.equal(await page.isVisible('#confirm-duplicate'), true, 'filing anyway is a deliberate tick');
    assert.equal(await page.inputValue('#caller-name'), '路欣来', 'what was typed is kept');
    await shot(page, 'agent-duplicate-phone');
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('customer') === customerId),
      page.locator('#phone-owners a.use-customer').first().click(),
    ]);
    assert.match(await page.locator('#history-title').textContent(), new RegExp(name));

    // The request, filed for the existing customer.
    await page.locator('#symptom').click();
    await page.keyboard.type('热水器不点火');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('filed')), page.keyboard.press('Control+Enter')]);
    const number = (await page.locator('#filed-number').textContent()).trim();
    assert.match(number, /^SR\d{12}$/);

    // The customer's page: the history lists the request, linked to its page.
    await page.goto(`${base}/customers/${customerId}`);
    const history = page.locator('#service-history');
    await history.waitFor();
    assert.match(await history.textContent(), new RegExp(number));
    assert.match(await history.textContent(), /热水器不点火/);
    assert.equal(await history.locator(`a[href="/requests/${number}"]`).count(), 1);
    await shot(page, 'agent-customer-history');

    // The request list narrowed to this customer shows it, and only theirs.
    await Promise.all([page.waitForURL((u) => u.pathname === '/requests'), page.click('#all-requests')]);
    assert.equal(new URL(page.url()).searchParams.get('customer'), customerId);
    assert.match(await page.locator('#customer-filter').textContent(), new RegExp(name));
    const rows = page.locator('#requests tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), new RegExp(number));
    await shot(page, 'agent-requests-of-customer');
  });
});
