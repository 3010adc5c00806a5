// The dispatcher's day (issue 13, defect 6) on a 1366 px desktop in zh-CN: the demo
// dispatcher opens the board, goes to tomorrow with the next-day link, books a visit with a
// window (24 h text times, the date given), sees it on tomorrow's timeline, then books an
// overlapping second visit for the same engineer and is warned of the conflict before
// anything changes; confirming assigns it. Screenshots: dispatcher-*.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, launchBrowser, shot, startServer, signIn } from '../lib/server.js';

const T = { timeout: 180_000 };
const ENGINEER = '张伟';

// Selects a waiting job (not `except`) that the engineer may take: its number.
async function selectJobFor(page, engineer, except) {
  const numbers = await page.locator('#jobs li[data-number]').evaluateAll((els) => els.map((e) => e.dataset.number));
  for (const n of numbers) {
    if (n === except) continue;
    await page.locator(`#jobs li[data-number="${n}"] a.job-link`).click();
    await page.locator(`#selected-job[data-number="${n}"]`).waitFor();
    const value = await page.locator('#assign-engineer option:not([disabled])', { hasText: engineer }).first().getAttribute('value').catch(() => null);
    if (value) {
      await page.selectOption('#assign-engineer', value);
      return n;
    }
  }
  throw new Error(`no waiting job that ${engineer} may take`);
}

async function fillWindow(page, from, to) {
  await page.fill('#appt-start', from);
  await page.fill('#appt-end', to);
}

describe('the dispatcher books a visit on tomorrow\'s timeline', () => {
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

  test('zh-CN, 1366 px: next day, book with a window, conflict warned', T, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base, 'dispatcher');
    await page.goto(`${base}/dispatch`);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await shot(page, 'dispatcher-board-today');

    // Tomorrow through the next-day link (the date picker shows the day).
    const today = await page.inputValue('#day-pick');
    await page.click('#next-day');
    await page.waitForURL((u) => u.searchParams.get('day') !== null);
    const tomorrow = await page.inputValue('#day-pick');
    assert.notEqual(tomorrow, today);
    assert.equal(new Date(`${tomorrow}T00:00:00Z`) - new Date(`${today}T00:00:00Z`), 86_400_000, 'one day later');
    assert.match(await page.textContent('#page-title'), new RegExp(tomorrow));

    // The first visit: 14:00–16:00 tomorrow with 张伟.
    const first = await selectJobFor(page, ENGINEER);
    // Text fields in the page's formats, whatever the browser's: no mm/dd/yyyy, no AM/PM.
    assert.equal(await page.locator('#appt-start').getAttribute('type'), 'text', 'no AM/PM time picker');
    assert.equal(await page.locator('#appt-date').getAttribute('type'), 'text', 'no mm/dd/yyyy date picker');
    assert.match(await page.inputValue('#appt-start'), /^\d{2}:\d{2}$/, 'pre-filled, 24 h');
    await page.fill('#appt-date', tomorrow);
    await fillWindow(page, '14:00', '16:00');
    await page.click('#check-booking');
    await page.locator('#no-conflicts, #conflicts').first().waitFor();
    if (await page.locator('#conflicts').count()) {
      // Tomorrow may be a day off in the working calendar: said, never an overlap.
      const text = await page.textContent('#conflicts');
      assert.doesNotMatch(text, /时间重叠/, text);
      await page.check('#confirm-conflicts');
    }
    await shot(page, 'dispatcher-booking-form');
    await page.click('#book');
    await page.locator('#flash').waitFor();
    assert.match(await page.textContent('#flash'), new RegExp(`${first} 已派给 ${ENGINEER.replace(/[()]/g, '\\$&')}`));
    // On tomorrow's timeline, in 张伟's row.
    assert.equal(await page.inputValue('#day-pick'), tomorrow);
    const block = page.locator('#eng-engineer .eng-timeline li.block', { hasText: '14:00–16:00' });
    await block.waitFor();
    assert.match(await block.textContent(), /14:00–16:00/);
    await shot(page, 'dispatcher-booked-tomorrow');

    // The second, 15:00–17:00 with 张伟: the check warns of the overlap before assigning.
    const second = await selectJobFor(page, ENGINEER, first);
    await page.fill('#appt-date', tomorrow);
    await fillWindow(page, '15:00', '17:00');
    await page.click('#check-booking');
    await page.locator('#conflicts').waitFor();
    const warning = await page.textContent('#conflicts');
    assert.match(warning, new RegExp(`与 ${first}（14:00–16:00）时间重叠`), warning);
    await shot(page, 'dispatcher-conflict-warning');
    // Assigning without the confirmation is refused and nothing changes.
    await page.click('#book');
    await page.locator('#starts_at-error').waitFor();
    assert.equal(await page.locator(`#jobs li[data-number="${second}"]`).count(), 1, 'still waiting');
    // Confirmed: assigned, both blocks on tomorrow's timeline.
    await page.check('#confirm-conflicts');
    await page.click('#book');
    await page.locator('#flash').waitFor();
    await page.locator('#eng-engineer .eng-timeline li.block', { hasText: '15:00–17:00' }).waitFor();
    assert.equal(await page.locator(`#jobs li[data-number="${second}"]`).count(), 0, 'no longer waiting');
    await shot(page, 'dispatcher-two-visits');
  });
});
