// One language per page (issue 13, defect 14): every page a role can reach from its menu
// and its home, and the detail pages they link to, in zh-CN and in English, read in the
// page's language. A zh-CN page may show no English word outside a list of allowed terms
// (acronyms and codes); an English page may show no Chinese in its own words (headings,
// labels, table and list heads, buttons, the menu, field errors). Data — names, addresses,
// symptoms typed in Chinese — is the user's, not the page's: it may be in either language,
// and templates mark it `translate="no"` where it sits among the page's own words.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { launchBrowser, signIn, startServer } from '../lib/server.js';

// The page's own Chinese words: every run of Chinese characters in the zh-CN catalog's texts.
// On an English page, such a run is the UI speaking Chinese; other Chinese is the users' data
// (names, addresses, symptoms), which may be in any language.
// Chinese words the English catalog uses too are examples of data ("e.g. 和平区").
const zhRuns = (file) =>
  [...readFileSync(new URL(`../../crates/web/locales/${file}`, import.meta.url), 'utf8')
    .matchAll(/^[A-Za-z0-9_]+ = "(.*)"$/gm)]
    .flatMap((m) => m[1].replace(/\{[^}]*\}/g, ' ').match(/[\u3400-\u9fff]{2,}/g) || []);
const EXAMPLES = new Set(zhRuns('en.toml'));
const UI_ZH = [...new Set(zhRuns('zh-CN.toml'))].filter((w) => !EXAMPLES.has(w));

const T = { timeout: 600_000 };
const ROLES = ['admin', 'agent', 'dispatcher', 'engineer', 'manager', 'partner', 'customer', 'warehouse'];
// Detail pages worth a visit: the first link of each kind found on the pages visited.
const DETAIL = [/^\/requests\/SR\d+$/, /^\/customers\/[0-9a-f-]{36}$/, /^\/units\/[0-9a-f-]{36}$/, /^\/work-orders\/[0-9a-f-]{36}$/,
  /^\/work-orders\/[0-9a-f-]{36}\/record$/, /^\/m\/orders\/[^/]+$/, /^\/org-units\/[0-9a-f-]{36}$/, /^\/portal\/requests\/SR\d+$/,
  /^\/admin\/users\/[0-9a-f-]{36}$/, /^\/users\/[0-9a-f-]{36}\/certifications$/, /^\/customers\/[0-9a-f-]{36}\/edit$/,
  /^\/parts\/[A-Z0-9._-]+$/, /^\/stock\/ledger\?location=[^&]+&part=[^&]+$/, /^\/loaners\/[0-9a-f-]{36}$/,
  /^\/requisitions\/RQ\d+$/, /^\/m\/defects$/, /^\/requisitions\/new$/, /^\/failure-codes$/];
// Never followed: actions, downloads, other sites, the language switch, signing out.
const SKIP = /^\/(lang|logout|exports|assets|verify|api)\b|\.pdf$|\/rejects$/;

// Runs in the page: the words of the page that break its language.
function offenders([lang, uiZh]) {
  const ui = new Set(uiZh);
  const out = [];
  // Skipped: data marked as such, code, and passages declared in another language (a message
  // written in the recipient's language, `lang="zh-CN"` on an English page).
  const skipEl = (el) => el.closest(`[translate="no"], script, style, code, kbd, pre, .langs, svg, [hidden], [lang]:not([lang="${lang}"])`);
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && (r.width > 0 || r.height > 0);
  };
  // zh-CN: English words. Allowed: acronyms and codes (upper case, digits, hyphens), e-mail
  // addresses and links, and the few terms users here say in English.
  const ALLOWED = new Set(['English', 'Excel', 'WeChat', 'Email']);
  const englishWords = (text) =>
    (text.match(/[A-Za-z][A-Za-z0-9_'’.@/-]*[A-Za-z0-9]/g) || []).filter((w) => {
      if (/[@/]|^https?/.test(w)) return false; // addresses, links, paths
      if (/\d/.test(w) && !/_/.test(w)) return false; // codes: KT-5P, SN2024, GB/T
      if (/^[A-Z0-9-]+$/.test(w)) return false; // acronyms: SLA, PDF, XLSX
      if (ALLOWED.has(w)) return false;
      return w.replace(/[^A-Za-z]/g, '').length >= 3 || /_/.test(w);
    });
  // English pages: the UI's Chinese words anywhere; any Chinese in the page's own words
  // (headings, labels, table heads, buttons, the menu, field errors).
  const OWN = 'h1, h2, h3, th, dt, label, legend, button, summary, nav a, .field-error';
  const cjk = (text, el) => {
    const runs = text.match(/[\u3400-\u9fff]+/g) || [];
    const own = el && el.matches(OWN);
    return runs.filter((r) => own || ui.has(r));
  };
  // Text the user reads: visible text nodes, and the options of a visible list (closed
  // lists have no box of their own).
  const texts = () => {
    const got = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || skipEl(el)) continue;
      const sel = el.closest('select');
      if (sel ? !visible(sel) : !visible(el)) continue;
      if (n.textContent.trim()) got.push({ text: n.textContent, at: '', el });
    }
    for (const el of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
      if (skipEl(el)) continue;
      for (const a of ['placeholder', 'title', 'aria-label']) {
        const v = el.getAttribute(a);
        if (v) got.push({ text: v, at: `@${a} `, el: null });
      }
    }
    return got;
  };
  for (const { text, at, el } of texts()) {
    const words = lang === 'zh-CN' ? englishWords(text) : cjk(text, el);
    for (const w of words) out.push(`${w} ‹${at}${text.trim().slice(0, 80)}›`);
  }
  return out;
}

describe('one language per page', () => {
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

  for (const locale of ['zh-CN', 'en']) {
    test(`every reachable page reads in ${locale}`, T, async (t) => {
      const problems = [];
      let pages = 0;
      for (const role of ROLES) {
        const context = await browser.newContext({ locale: locale === 'en' ? 'en-US' : 'zh-CN', viewport: { width: 1366, height: 900 } });
        t.after(() => context.close());
        context.setDefaultTimeout(15_000);
        const page = await context.newPage();
        await signIn(page, base, role);
        assert.equal(await page.getAttribute('html', 'lang'), locale);
        const home = new URL(page.url()).pathname;
        const menu = await page.$$eval('#main-nav a[href]', (as) => as.map((a) => a.getAttribute('href')));
        const queue = [home, '/notifications', ...menu];
        const seen = new Set();
        const found = new Set();
        while (queue.length) {
          const path = queue.shift();
          if (seen.has(path) || SKIP.test(path)) continue;
          seen.add(path);
          const res = await page.goto(`${base}${path}`);
          if (!res || res.status() !== 200) continue;
          await page.waitForLoadState('load');
          pages++;
          for (const p of await page.evaluate(offenders, [locale, UI_ZH])) problems.push(`${role} ${path}: ${p}`);
          const links = await page.$$eval('main a[href^="/"]', (as) => as.map((a) => a.getAttribute('href').split('#')[0]));
          for (const l of links) {
            const kind = DETAIL.find((re) => re.test(l));
            if (kind && !found.has(kind)) {
              found.add(kind);
              queue.push(l);
            }
          }
        }
      }
      assert.ok(pages >= 40, `visited ${pages} pages`);
      const unique = [...new Set(problems)];
      assert.deepEqual(unique, [], `${unique.length} words out of ${locale}:\n${unique.join('\n')}`);
    });
  }
});
