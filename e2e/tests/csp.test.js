// The Content Security Policy in force on every console page (issue 11): each demo role
// logs in (the engineer and the partner on a phone) and opens every page its navigation
// offers, plus a detail page of each kind linked from there (a request, a customer, a
// unit, a work order on the phone, …). Any `securitypolicyviolation` event, or a console
// message about the Content Security Policy, fails the test. The security headers are
// checked on a page, an API answer, an asset and a 404.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, startServer, signIn as login } from '../lib/server.js';

const T = { timeout: 240_000 };
const PHONE = { width: 390, height: 844 };
const ROLES = ['admin', 'agent', 'dispatcher', 'engineer', 'warehouse', 'manager', 'partner', 'customer'];
const ON_PHONE = new Set(['engineer', 'partner']);
// Detail pages worth opening once per kind (first link found on the pages visited).
const DETAIL = /^\/(requests|customers|units|contracts|org-units|admin\/users|admin\/calendars|certifications|products|m\/orders|work-orders|portal\/requests)\/[^?#]+$/;
const MAX_DETAILS = 20;

// Records violations in the page itself (each document starts a new list).
const RECORDER = () => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push({
      directive: e.violatedDirective,
      blocked: e.blockedURI,
      source: e.sourceFile,
      line: e.lineNumber,
      sample: e.sample,
    });
  });
};

describe('Content Security Policy on every console page', () => {
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

  test('the security headers are on a page, an API answer, an asset and a 404', T, async () => {
    for (const [path, status] of [
      ['/login', 200],
      ['/api/v1/users', 401],
      ['/assets/htmx.min.js', 200],
      ['/no-such-page', 404],
      ['/api/v1/no-such-thing', 404],
    ]) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' });
      assert.equal(res.status, status, path);
      const csp = res.headers.get('content-security-policy') || '';
      assert.match(csp, /default-src 'self'/, `${path}: ${csp}`);
      assert.match(csp, /script-src 'self'/, `${path}: ${csp}`);
      assert.match(csp, /frame-ancestors 'none'/, `${path}: ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${path}: ${csp}`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', path);
      assert.match(res.headers.get('permissions-policy') || '', /geolocation=\(self\)/, path);
      assert.equal(res.headers.get('strict-transport-security'), null, `${path}: HSTS over plain http`);
    }
  });

  for (const role of ROLES) {
    test(`${role}: no page breaks the policy`, T, async (t) => {
      const phone = ON_PHONE.has(role);
      const context = await browser.newContext({
        locale: 'zh-CN',
        viewport: phone ? PHONE : { width: 1280, height: 900 },
        ...(phone ? { isMobile: true, hasTouch: true, permissions: ['geolocation'], geolocation: { latitude: 41.8, longitude: 123.4 } } : {}),
      });
      t.after(() => context.close());
      await context.addInitScript(RECORDER);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const problems = [];
      let selfCheck = false;
      page.on('console', (m) => {
        if (!selfCheck && /content security policy|refused to (load|execute|apply|evaluate|connect|frame)/i.test(m.text())) {
          problems.push(`${page.url()}: console: ${m.text()}`);
        }
      });
      page.on('pageerror', (e) => problems.push(`${page.url()}: page error: ${e.message}`));

      const visited = new Set();
      const kinds = new Set();
      const queue = [];
      const collect = async () => {
        const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')));
        for (const h of hrefs) {
          if (!h || !h.startsWith('/') || h.startsWith('//')) continue;
          const path = h.split('#')[0];
          if (path === '/logout' || path.startsWith('/lang') || path.endsWith('.pdf') || path.includes('/photos/')) continue;
          const m = DETAIL.exec(path.split('?')[0]);
          if (!m) continue;
          // Forms such as /customers/new count on their own; ids by the kind of record.
          const last = path.split('?')[0].split('/').pop();
          const kind = /^[a-z-]+$/.test(last) ? path : m[1] + (path.endsWith('/record') ? '/record' : '');
          if (kinds.has(kind) || kinds.size >= MAX_DETAILS) continue;
          kinds.add(kind);
          queue.push(path);
        }
      };
      const visit = async (path) => {
        if (visited.has(path)) return;
        visited.add(path);
        const res = await page.goto(`${base}${path}`);
        assert.ok(res, `${path}: no answer`);
        assert.ok(res.status() < 500, `${path}: ${res.status()}`);
        assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/, `${path}: no CSP`);
        // Let htmx load what it loads on its own (the bell, lazy parts) and scripts settle.
        await page.waitForLoadState('networkidle').catch(() => {});
        const v = await page.evaluate(() => window.__cspViolations || []);
        for (const x of v) problems.push(`${path}: ${x.directive} blocked ${x.blocked} at ${x.source}:${x.line} ${x.sample || ''}`);
        const inlineStyles = await page.evaluate(() => document.querySelectorAll('style').length);
        assert.equal(inlineStyles, 0, `${path}: an inline <style> element was added`);
        await collect();
      };

      // The login page itself; and the recorder is seen to work: an inline style attribute
      // added here must be reported.
      await visit('/login');
      selfCheck = true;
      await page.evaluate(() => {
        const d = document.createElement('div');
        d.innerHTML = '<span style="color: red">inline</span>';
        document.body.append(d);
      });
      await page.waitForFunction(() => window.__cspViolations.length > 0, null, { timeout: 5_000 });
      await page.waitForTimeout(200);
      selfCheck = false;
      visited.clear();
      await login(page, base, role);
      await visit('/');
      const nav = await page.$$eval('#main-nav a[href]', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(nav.length > 0, `${role}: no navigation`);
      for (const href of nav) await visit(href);
      // Detail pages found on the way (and those found on them), once per kind.
      while (queue.length) await visit(queue.shift());
      // The dispatch board's day line places its blocks through the CSSOM.
      if (nav.includes('/dispatch')) {
        await visit('/dispatch?view=day');
        const placed = await page.$$eval('.eng-timeline .block[data-left]', (els) =>
          els.every((el) => el.style.getPropertyValue('--l') !== ''),
        );
        assert.ok(placed, `${role}: a block of the day line has no place`);
      }
      assert.ok(visited.size >= nav.length, `${role}: visited ${[...visited].join(', ')}`);
      t.diagnostic(`${role}: ${visited.size} pages: ${[...visited].join(' ')}`);
      assert.deepEqual(problems, [], `${role}: Content Security Policy violations`);
    });
  }
});
