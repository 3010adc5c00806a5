// The service network in a real browser: an admin adds covered regions to a station with
// the region picker (province → city → district, and by name), gives an engineer a
// certification that expires soon, and reads both pages again in English; a phone-sized
// screen shows them without horizontal scrolling.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, startServer, menuLink } from '../lib/server.js';

const T = { timeout: 120_000 };

// Today in the site's time zone, plus `days`, as YYYY-MM-DD.
function day(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d);
}

describe('service network: coverage and certifications', () => {
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

  async function newPage(t, options) {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(15_000);
    t.after(() => context.close());
    return context.newPage();
  }

  async function login(page, username) {
    await page.goto(`${base}/login`);
    await page.fill('#login-form input[name=username]', username);
    await page.fill('#login-form input[name=password]', username === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
  }

  async function switchTo(page, lang) {
    await page.click(`a[data-lang="${lang}"]`);
    await page.waitForSelector(`html[lang="${lang}"]`, { state: 'attached' });
    await page.waitForLoadState();
  }

  const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  test('admin adds regions with the picker and a certification, in zh-CN then English', T, async (t) => {
    const page = await newPage(t, { locale: 'zh-CN' });
    await login(page, 'admin');

    // The network page lists each unit's regions; open 大连金州服务站.
    await (await menuLink(page, '/org-units')).click();
    const row = page.locator('tr[data-unit="DL-JZ"]');
    assert.match(await row.locator('td.regions').textContent(), /金州区/);
    // The demo has 沈河区 on two stations: the overlap is pointed out in words.
    assert.match(await page.locator('#overlap-summary').textContent(), /覆盖重叠/);
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/org-units/')), row.locator('a').first().click()]);
    assert.match(await page.locator('h1#page-title').textContent(), /大连金州服务站/);

    // Province → city → district: 辽宁省 → 大连市 → 甘井子区.
    await page.selectOption('#province', '210000');
    await page.waitForSelector('#city option[value="210200"]', { state: 'attached' });
    await page.selectOption('#city', '210200');
    await page.waitForSelector('#district option[value="210211"]', { state: 'attached' });
    await page.selectOption('#district', '210211');
    await Promise.all([page.waitForURL((u) => u.search.includes('saved=1')), page.click('#add-region')]);
    assert.match(await page.locator('#coverage li[data-code="210211"]').textContent(), /辽宁省 大连市 甘井子区/);
    assert.match(await page.locator('.alert.ok').textContent(), /已保存/);

    // By name: type part of it, pick the match.
    await page.locator('#region-search').pressSequentially('旅顺', { delay: 40 });
    const match = page.locator('.region-results button[data-code="210212"]');
    await match.waitFor();
    await match.click();
    assert.match(await page.locator('[data-region-chosen-text]').textContent(), /已选：辽宁省 大连市 旅顺口区 210212/);
    await Promise.all([page.waitForURL((u) => u.search.includes('saved=1')), page.click('#add-region')]);
    assert.deepEqual(
      await page.locator('#coverage li').evaluateAll((lis) => lis.map((li) => li.dataset.code)),
      ['210211', '210212', '210213'],
    );

    // Who serves 旅顺口区 now: the station first, then its branch, then the center.
    await page.goto(`${base}/org-units?region=210212`);
    assert.deepEqual(
      await page.locator('#covering li').evaluateAll((lis) => lis.map((li) => li.dataset.code)),
      ['DL-JZ', 'DL', 'HQ'],
    );
    assert.match(await page.locator('#covering').textContent(), /本单位覆盖区县/);

    // A certification for the demo engineer, reached from the user list.
    await page.goto(`${base}/admin/users`);
    const engineerRow = page.locator('tr', { hasText: '张伟' });
    await Promise.all([
      page.waitForURL((u) => u.pathname.endsWith('/certifications')),
      engineerRow.locator('a[href$="/certifications"]').click(),
    ]);
    assert.match(await page.locator('h1#page-title').textContent(), /资质证书：张伟/);
    // The demo records: one expiring soon, one expired, each said in words.
    assert.match(await page.locator('#certs tr[data-line="空调"]').textContent(), /20 天后到期/);
    assert.match(await page.locator('#certs tr[data-line="水处理设备"]').textContent(), /已过期 15 天/);

    await page.click('#add-cert > summary');
    await page.fill('#new-product_line', '数控机床');
    await page.selectOption('#new-level', 'certified');
    await page.fill('#new-number', 'CNC-E2E-0001');
    await page.fill('#new-issued_on', day(-100));
    await page.fill('#new-expires_on', day(10));
    await page.fill('#new-issuer', '厂家技术培训中心');
    await Promise.all([page.waitForURL((u) => u.search.includes('added=1')), page.click('#add-cert-submit')]);
    const added = page.locator('#certs tr[data-line="数控机床"]');
    assert.match(await added.textContent(), /CNC-E2E-0001/);
    assert.match(await added.textContent(), /10 天后到期/);
    assert.match(await added.textContent(), /可派工/);
    assert.equal(await added.locator('.badge.warn').count() >= 1, true, 'highlighted as expiring soon');

    // Editing with a contradicting date shows the error beside the field.
    const edit = page.locator('#certs tr[data-edit-line="数控机床"]');
    await edit.locator('details.row-edit > summary').click();
    await edit.locator('input[name=expires_on]').fill(day(-200));
    await edit.locator('form.stack button[type=submit]').click();
    await page.waitForSelector('.field-error');
    assert.match(await page.locator('#certs tr[data-edit-line="数控机床"] .field-error').textContent(), /有效期至不能早于发证日期/);

    // The same pages in English.
    await page.goto(`${base}/admin/users`);
    await Promise.all([
      page.waitForURL((u) => u.pathname.endsWith('/certifications')),
      page.locator('tr', { hasText: '张伟' }).locator('a[href$="/certifications"]').click(),
    ]);
    await switchTo(page, 'en');
    assert.match(await page.locator('h1#page-title').textContent(), /Certifications: 张伟/);
    assert.match(await page.locator('#certs thead').textContent(), /Product line.*Level.*Certificate no\..*Valid until/s);
    assert.match(await page.locator('#certs tr[data-line="数控机床"]').textContent(), /Expires in 10 days/);
    assert.match(await page.locator('#certs tr[data-line="水处理设备"]').textContent(), /Expired 15 days ago/);
    assert.match(await page.locator('#add-cert > summary').textContent(), /Add a certification/);

    await page.goto(`${base}/org-units`);
    await page.locator('tr[data-unit="DL-JZ"] a').first().click();
    await page.waitForSelector('#region-form');
    assert.match(await page.locator('#coverage-card h2').textContent(), /Covered regions/);
    assert.match(await page.locator('label[for="province"]').textContent(), /Province/);
    assert.match(await page.locator('#add-region').textContent(), /Add a covered region/);
  });

  test('a manager sees what expires soon; pages fit a 360 px phone', T, async (t) => {
    const page = await newPage(t, { locale: 'zh-CN', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await login(page, 'manager');
    await page.goto(`${base}/certifications`);
    const rows = page.locator('#cert-list tbody tr');
    const text = await page.locator('#cert-list').textContent();
    assert.match(text, /张伟/);
    assert.match(text, /天后到期/);
    assert.doesNotMatch(text, /已过期/, 'expired ones only when asked');
    assert.ok((await rows.count()) >= 1);
    assert.ok(await noSideScroll(page), 'the list fits 360 px');
    await page.check('input[name=include_expired]');
    await Promise.all([page.waitForURL((u) => u.search.includes('include_expired')), page.click('form.filters button[type=submit]')]);
    assert.match(await page.locator('#cert-list').textContent(), /已过期/);

    await page.goto(`${base}/org-units`);
    assert.ok(await noSideScroll(page), 'the network page fits 360 px');
    await page.locator('tr[data-unit="SY-HP"] a').first().click();
    await page.waitForSelector('#coverage');
    assert.ok(await noSideScroll(page), 'a unit page fits 360 px');
    assert.match(await page.locator('#overlaps').textContent(), /沈阳浑南服务站/);
    assert.equal(await page.locator('#region-form').count(), 0, 'only admins change coverage');
  });
});
