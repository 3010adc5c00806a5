// Login, language switch, logout and CSRF, in a real browser against the real
// server started with `serve --demo`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, startServer } from '../lib/server.js';

// Each role's home is its work (issue 13): where it lands and the title there, [zh-CN, en].
const ROLES = {
  admin: ['/', '服务概况', 'Service overview'],
  agent: ['/console', '坐席受理', 'Agent console'],
  dispatcher: ['/dispatch', '调度台', 'Dispatch board'],
  engineer: ['/m', '我的工单', 'My jobs'],
  warehouse: ['/', '库房管理', 'Warehouse'],
  manager: ['/', '主管看板', 'Manager dashboard'],
  partner: ['/m', '我的工单', 'My jobs'],
  customer: ['/portal', '我的设备与报修', 'My units and requests'],
};
const passwordOf = (role) => (role === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD);
const T = { timeout: 90_000 };

describe('login pages', () => {
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

  // A page in a fresh context (own cookies); the context closes after the test.
  async function newPage(t, options) {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(15_000);
    t.after(() => context.close());
    return context.newPage();
  }

  const pathOf = (page) => new URL(page.url()).pathname;
  const htmlLang = (page) => page.getAttribute('html', 'lang');
  const title = async (page) => (await page.locator('h1#page-title').textContent()).trim();

  async function fillLogin(page, username, password) {
    await page.goto(`${base}/login`);
    await page.fill('#login-form input[name=username]', username);
    await page.fill('#login-form input[name=password]', password);
  }

  async function login(page, username, password) {
    await fillLogin(page, username, password);
    await Promise.all([
      page.waitForURL((u) => u.pathname !== '/login'),
      page.click('#login-form button[type=submit]'),
    ]);
  }

  // Submit a wrong password; the error shows and we stay on /login.
  async function failLogin(page, username, message) {
    await fillLogin(page, username, 'wrong-password-1');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#login-error').textContent(), new RegExp(message));
    assert.equal(pathOf(page), '/login');
  }

  async function switchLang(page, lang) {
    const from = pathOf(page);
    await page.click(`a[data-lang="${lang}"]`);
    await page.waitForSelector(`html[lang="${lang}"]`, { state: 'attached' });
    await page.waitForLoadState();
    assert.equal(pathOf(page), from, 'language switch stays on the same page');
  }

  async function logout(page) {
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/login'),
      page.$eval('#logout-form', (f) => f.requestSubmit()),
    ]);
  }

  test('login page without a language preference is zh-CN', T, async () => {
    // Node's fetch sends no cookie and `Accept-Language: *`.
    const res = await fetch(`${base}/login`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<html[^>]*\slang="zh-CN"/);
    assert.match(html, /id="login-form"/);
  });

  test('login page has the form and both language links', T, async (t) => {
    const page = await newPage(t, { locale: 'zh-CN' });
    await page.goto(`${base}/login`);
    assert.equal(await htmlLang(page), 'zh-CN');
    for (const sel of ['input[name=username]', 'input[name=password]', 'button[type=submit]']) {
      assert.ok(await page.locator(`form#login-form ${sel}`).isVisible(), `${sel} is visible`);
    }
    await switchLang(page, 'en');
    assert.ok(await page.locator('form#login-form').isVisible());
    await switchLang(page, 'zh-CN');
  });

  test('wrong password shows an error (zh-CN)', T, async (t) => {
    const page = await newPage(t, { locale: 'zh-CN' });
    await failLogin(page, 'agent', '用户名或密码错误');
  });

  test('wrong password shows an error (en)', T, async (t) => {
    const page = await newPage(t, { locale: 'en-US' });
    // An unknown user gets the same message as a wrong password.
    await failLogin(page, `nobody-${Date.now()}`, 'Wrong username or password');
  });

  for (const [role, [home, zh, en]] of Object.entries(ROLES)) {
    test(`${role}: log in (zh-CN) lands on the role's work, switch to English, log out`, T, async (t) => {
      const page = await newPage(t, { locale: 'zh-CN' });
      await login(page, role, passwordOf(role));
      assert.equal(pathOf(page), home, `${role} lands on ${home}`);
      assert.equal(await page.getAttribute('body', 'data-role'), role);
      assert.equal(await htmlLang(page), 'zh-CN');
      assert.ok((await title(page)).includes(zh), `zh title for ${role}`);

      await switchLang(page, 'en');
      assert.ok((await title(page)).includes(en), `en title for ${role}`);

      await logout(page);
      await page.goto(`${base}/`);
      assert.equal(pathOf(page), '/login', '/ redirects to /login after logout');
      assert.ok(await page.locator('form#login-form').isVisible());
    });
  }

  test('an en-US browser gets English without switching', T, async (t) => {
    const page = await newPage(t, { locale: 'en-US' });
    await page.goto(`${base}/login`);
    assert.equal(await htmlLang(page), 'en');
    await login(page, 'manager', DEMO_PASSWORD);
    assert.equal(await htmlLang(page), 'en');
    assert.ok((await title(page)).includes('Manager dashboard'));
  });

  for (const role of ['engineer', 'agent']) {
    test(`${role}: no horizontal scrolling at 360x740`, T, async (t) => {
      const page = await newPage(t, {
        locale: 'zh-CN',
        viewport: { width: 360, height: 740 },
        isMobile: true,
        hasTouch: true,
      });
      const scrollWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
      await page.goto(`${base}/login`);
      assert.ok((await scrollWidth()) <= 360, `login page scrollWidth ${await scrollWidth()} <= 360`);
      await login(page, role, DEMO_PASSWORD);
      assert.ok((await scrollWidth()) <= 360, `home page scrollWidth ${await scrollWidth()} <= 360`);
      assert.ok(await page.locator('h1#page-title').isVisible(), 'title is visible');
    });
  }

  test('admin: every page of the menu fits 360 px in both languages', T, async (t) => {
    for (const locale of ['zh-CN', 'en-US']) {
      const page = await newPage(t, { locale, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
      await login(page, 'admin', ADMIN_PASSWORD);
      for (const path of ['/admin/users', '/admin/users/new', '/admin/audit', '/admin/jobs', '/admin/calendars', '/fee-schedules', '/fee-schedules/new', '/sla', '/notifications', '/org-units', '/imports', '/me/tokens', '/me/password']) {
        await page.goto(`${base}${path}`);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `${locale} ${path}: scrollWidth ${width} <= 360`);
        assert.ok(await page.locator('h1#page-title').isVisible(), `${locale} ${path}: title visible`);
      }
    }
  });

  test('admin creates a user in the browser; a bad user name is explained beside the field', T, async (t) => {
    const page = await newPage(t, { locale: 'en-US' });
    await login(page, 'admin', ADMIN_PASSWORD);
    await page.goto(`${base}/admin/users/new`);
    await page.fill('#username', 'x');
    await page.fill('#display_name', 'Browser Test');
    await page.fill('#password', 'browser-pass-1');
    await page.click('#user-form button[type=submit]');
    assert.match(await page.locator('#username-error').textContent(), /At least 3 characters/);
    await page.fill('#username', 'browser.user');
    await page.fill('#password', 'browser-pass-1');
    await Promise.all([
      page.waitForURL((u) => u.pathname.startsWith('/admin/users/') && u.search.includes('created=1')),
      page.click('#user-form button[type=submit]'),
    ]);
    await page.goto(`${base}/admin/users?q=browser`);
    assert.equal(await page.locator('#users-results a', { hasText: 'browser.user' }).count(), 1);
  });

  test('POST /logout without the CSRF token is refused', T, async (t) => {
    const page = await newPage(t, { locale: 'zh-CN' });
    await login(page, 'dispatcher', DEMO_PASSWORD);
    const res = await page.request.post(`${base}/logout`, { maxRedirects: 0 });
    assert.equal(res.status(), 403);
    // Still logged in: home is the dispatcher's board.
    await page.goto(`${base}/`);
    assert.equal(pathOf(page), '/dispatch');
    assert.equal(await page.getAttribute('body', 'data-role'), 'dispatcher');
  });
});
