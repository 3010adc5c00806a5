// Service levels in a real browser with a real SMTP server (issue 5): the server runs on a
// test clock; the test moves it past a response deadline and sees the escalation ladder on
// the request's timeline, the clocks' states on the SLA board and the request page, and the
// e-mails in the SMTP server in each recipient's language (the dispatcher reads English,
// the station manager Chinese). An acknowledgement stops the ladder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, DEMO_PASSWORD, launchBrowser, startServer, api } from '../lib/server.js';

const T = { timeout: 180_000 };
const SINK = resolve(import.meta.dirname, '../../scripts/smtp-sink.py');

// The real SMTP server: scripts/smtp-sink.py writes each message to DIR/<n>.eml.
async function startSink() {
  const dir = await mkdtemp(join(tmpdir(), 'aftersales-smtp-'));
  const child = spawn('python3', [SINK, dir, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/listening on (\d+)/);
      if (m) ok(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`smtp-sink exited (${code})`)));
  });
  return {
    port,
    dir,
    async stop() {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// RFC 2047 encoded words (=?utf-8?b?…?= / =?utf-8?q?…?=) in a header, decoded.
function decodeHeader(v) {
  return v
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc, text) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}

async function mails(dir) {
  const out = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort()) {
    const text = await readFile(join(dir, f), 'utf8');
    const head = text.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
    const get = (name) => (head.match(new RegExp(`^${name}: (.*)$`, 'mi')) || [])[1] || '';
    out.push({ to: get('To'), subject: decodeHeader(get('Subject')), lang: get('Content-Language') });
  }
  return out;
}

async function waitFor(what, fn, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('SLA: a breach escalates on the timeline and by e-mail in the recipient\'s language', () => {
  let sink;
  let server;
  let browser;
  let base;
  let admin;

  before(async () => {
    sink = await startSink();
    server = await startServer({
      env: {
        AFTERSALES_TEST_CLOCK: 'true',
        AFTERSALES_SMTP__HOST: '127.0.0.1',
        AFTERSALES_SMTP__PORT: String(sink.port),
        AFTERSALES_SMTP__TLS: 'none',
        AFTERSALES_SMTP__FROM: 'aftersales <noreply@example.com>',
        AFTERSALES_JOBS__POLL_INTERVAL_MS: '200',
      },
    });
    base = server.baseUrl;
    browser = await launchBrowser();
    admin = (await api(base, null, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.stop();
  });

  test('moving the test clock past the response deadline', T, async () => {
    assert.equal((await api(base, admin, 'GET', '/api/v1/test-clock')).test_clock, true);
    // The dispatcher reads English, the station manager Chinese; both get e-mail.
    const users = (await api(base, admin, 'GET', '/api/v1/users?limit=100')).items;
    const dispatcher = users.find((u) => u.username === 'dispatcher');
    const manager = users.find((u) => u.username === 'manager');
    await api(base, admin, 'PATCH', `/api/v1/users/${dispatcher.id}`, { version: dispatcher.version, locale: 'en' });
    await api(base, admin, 'PUT', `/api/v1/users/${dispatcher.id}/contact`, { email: 'dispatcher@example.com' });
    await api(base, admin, 'PUT', `/api/v1/users/${manager.id}/contact`, { email: 'manager@example.com' });

    // A demo request in a Shenyang station whose response clock runs (the board is
    // computed by the worker from each request's events).
    const row = await waitFor('a running response clock on the board', async () => {
      const rows = await api(base, admin, 'GET', '/api/v1/sla/board');
      return rows.find((r) => (r.org_unit_name || '').startsWith('沈阳') && r.clocks.some((c) => c.milestone === 'response' && c.state === 'running'));
    });
    const number = row.number;
    const sla = await api(base, admin, 'GET', `/api/v1/service-requests/${number}/sla`);
    const response = sla.clocks.find((c) => c.milestone === 'response');
    assert.equal(response.state, 'running');
    assert.equal(response.target_minutes, 60);
    assert.ok(sla.rule.why.length > 0, 'the rule says why it applies');

    // The dispatcher watches the board in English.
    const ctx = await browser.newContext({ locale: 'en-US' });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#login-form input[name=username]', 'dispatcher');
    await page.fill('#login-form input[name=password]', DEMO_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
    await page.goto(`${base}/sla`);
    const boardRow = page.locator(`#sla-board tr[data-number="${number}"]`);
    assert.match(await boardRow.getAttribute('data-state'), /running|warning/);

    // 70 minutes later the response is overdue: step 1 tells the dispatcher.
    await api(base, admin, 'POST', '/api/v1/test-clock/advance', { minutes: 70 });
    const eventsOf = async () => (await api(base, admin, 'GET', `/api/v1/service-requests/${number}/events`)).items;
    await waitFor('the breach on the timeline', async () => (await eventsOf()).some((e) => e.kind === 'sla_breached'));
    // 31 minutes more: step 2 tells the station manager.
    await api(base, admin, 'POST', '/api/v1/test-clock/advance', { minutes: 31 });
    await waitFor('escalation step 2', async () => (await eventsOf()).some((e) => e.kind === 'sla_escalated' && e.data.step === 2));

    await page.goto(`${base}/sla`);
    assert.equal(await boardRow.getAttribute('data-state'), 'breached');
    await page.goto(`${base}/requests/${number}`);
    const timeline = await page.locator('#timeline').innerText();
    assert.match(timeline, /Response overdue since .*; escalated to the dispatcher: 李强/);
    assert.match(timeline, /Response still overdue; escalation step 2 to the station manager: 刘洋/);
    assert.equal(await page.locator('#sla-clocks tr[data-milestone=response]').getAttribute('data-state'), 'breached');
    await page.locator('#sla-clocks tr[data-milestone=response] summary').click();
    assert.match(await page.locator('#sla-clocks tr[data-milestone=response] .sla-trace').innerText(), /started .* in '24\/7'/);

    // The e-mails, each in its reader's language.
    const got = await waitFor('two e-mails', async () => {
      const m = await mails(sink.dir);
      const mine = m.filter((x) => x.subject.includes(number));
      return mine.some((x) => x.to.includes('dispatcher@example.com')) && mine.some((x) => x.to.includes('manager@example.com')) ? mine : null;
    });
    const toDispatcher = got.find((x) => x.to.includes('dispatcher@example.com'));
    const toManager = got.find((x) => x.to.includes('manager@example.com'));
    assert.equal(toDispatcher.subject, `[SLA breach] ${number}: response overdue`);
    assert.equal(toManager.subject, `【时效超时】${number} 响应已超时`);

    // The bell counts the unread notifications (other demo requests breached too); the
    // list shows this one in English.
    await page.waitForSelector('#bell-count');
    assert.ok(Number(await page.locator('#bell-count').innerText()) >= 1);
    await page.goto(`${base}/notifications`);
    assert.match(await page.locator('#notifications').innerText(), new RegExp(`\\[SLA breach\\] ${number}: response overdue`));
    // The message's link is a link, never a raw path printed as text (issue 13).
    const breachNote = page.locator('#notifications li[data-event=sla_breached]', { hasText: number }).first();
    assert.doesNotMatch(await breachNote.locator('.notification-body').innerText(), /\/requests\//);
    assert.equal(await breachNote.locator(`a.notification-link[href$="/requests/${number}"]`).count(), 1);
    await page.goto(`${base}/requests/${number}`);

    // The dispatcher acknowledges: the ladder stops before the center head.
    await Promise.all([
      page.waitForURL((u) => u.search.includes('done=sla-ack')),
      page.click('#sla-clocks button[data-ack=response]'),
    ]);
    assert.match(await page.locator('#timeline').innerText(), /Breach of Response acknowledged/);
    // The SLA panel and the board show the acknowledged state: who and when (issue 13).
    assert.match(
      await page.locator('#sla-clocks tr[data-milestone=response] .sla-ack').innerText(),
      /Acknowledged by 李强 at \d{4}-\d{2}-\d{2} \d{2}:\d{2}/,
    );
    assert.equal(await page.locator('#sla-clocks button[data-ack=response]').count(), 0, 'no second acknowledgement offered');
    await page.goto(`${base}/sla`);
    assert.match(await boardRow.locator('.sla-ack[data-acked=response]').innerText(), /Acknowledged by 李强/);
    await api(base, admin, 'POST', '/api/v1/test-clock/advance', { minutes: 61 });
    await sleep(1500);
    const steps = (await eventsOf()).filter((e) => ['sla_breached', 'sla_escalated'].includes(e.kind) && e.data.milestone === 'response');
    assert.deepEqual(steps.map((e) => e.data.step), [1, 2]);
    await ctx.close();
  });

  test('holidays and make-up workdays are kept on the calendar page', T, async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN' });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#login-form input[name=username]', 'admin');
    await page.fill('#login-form input[name=password]', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('#login-form button[type=submit]')]);
    await page.goto(`${base}/admin/calendars?year=2026`);
    // The 2026 notice is there: Saturday 2026-02-14 is a make-up workday of 春节.
    assert.equal(await page.locator('#special-days tr[data-day="2026-02-14"]').getAttribute('data-kind'), 'workday');
    assert.match(await page.locator('#sla-rules').innerText(), /同城/);

    // Import next year's notice typed as CSV: a bad file first, then a good one.
    await page.goto(`${base}/admin/calendars?year=2027`);
    await page.setInputFiles('#file', { name: 'cn-2027.csv', mimeType: 'text/csv', buffer: Buffer.from('date,kind,name\n2027-02-30,holiday,春节\n') });
    // Importing replaces a year: it asks first.
    await page.click('#days-import button[type=submit]');
    assert.match(await page.locator('dialog[data-confirm-dialog]').innerText(), /整体替换/);
    await page.click('dialog[data-confirm-dialog] [data-confirm-yes]');
    await page.waitForSelector('#import-outcome.error');
    assert.match(await page.locator('#import-outcome').innerText(), /第 2 行/);
    const good = 'date,kind,name\n2027-02-06..2027-02-14,holiday,春节\n2027-02-20,班,春节\n';
    await page.setInputFiles('#file', { name: 'cn-2027.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.click('#days-import button[type=submit]');
    await page.click('dialog[data-confirm-dialog] [data-confirm-yes]');
    await page.waitForSelector('#import-outcome.ok');
    assert.match(await page.locator('#import-outcome').innerText(), /放假 9 天，调休上班 1 天/);
    await page.goto(`${base}/admin/calendars?year=2027`);
    assert.equal(await page.locator('#special-days tbody tr[data-day]').count(), 10);

    // The working hours of a calendar, on the page: a bad span is named, a good one saved.
    await page.goto(`${base}/admin/calendars`);
    const form = page.locator('form[data-calendar-form=workdays]');
    await page.locator('section[data-calendar=workdays] summary').click();
    await form.locator('input[name=d5]').fill('25:00-26:00');
    await form.locator('button[type=submit]').click();
    await page.waitForSelector('#form-alert');
    assert.match(await page.locator('#form-alert').innerText(), /周六/);
    await page.locator('section[data-calendar=workdays] summary').click();
    await form.locator('input[name=d5]').fill('09:00-12:00');
    await Promise.all([page.waitForURL((u) => u.search.includes('done=calendar')), form.locator('button[type=submit]').click()]);
    const cals = await api(base, admin, 'GET', '/api/v1/calendars');
    assert.deepEqual(cals.find((c) => c.key === 'workdays').weekly[5], ['09:00-12:00']);

    // A new rule on the page: VIP customers get a response within 15 minutes.
    await page.goto(`${base}/admin/calendars`);
    await page.locator('#new-rule summary').click();
    const rule = page.locator('#new-rule form');
    await rule.locator('input[name=name]').fill('VIP 客户');
    await rule.locator('input[name=customer_tier]').fill('vip');
    // Targets in days, hours and minutes: a bad one comes back as typed, the error beside it.
    await rule.locator('input[name=response_mins]').fill('15');
    await rule.locator('input[name=arrival_days]').fill('2x');
    await rule.locator('input[name=resolution_days]').fill('100');
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin/calendars/rules'), rule.locator('button[type=submit]').click()]);
    const refused = page.locator('#new-rule form');
    assert.equal(await page.locator('#new-rule').getAttribute('open'), '', 'the refused form is open');
    assert.equal(await refused.locator('input[name=name]').inputValue(), 'VIP 客户', 'the name as typed');
    assert.equal(await refused.locator('input[name=arrival_days]').inputValue(), '2x', 'the days as typed');
    assert.match(await refused.locator('[data-field-error="arrival_duration"]').innerText(), /整数/);
    assert.match(await refused.locator('[data-field-error="resolution_duration"]').innerText(), /90 天/);
    assert.doesNotMatch(await page.locator('#form-alert').innerText(), /targets\./, 'no field keys at the top');
    await refused.locator('input[name=arrival_days]').fill('');
    await refused.locator('input[name=resolution_days]').fill('');
    await Promise.all([page.waitForURL((u) => u.search.includes('done=rule')), rule.locator('button[type=submit]').click()]);
    const rules = await api(base, admin, 'GET', '/api/v1/sla/rules');
    const vip = rules.find((r) => r.name === 'VIP 客户');
    assert.deepEqual([vip.customer_tier, vip.targets], ['vip', [{ milestone: 'response', minutes: 15, calendar: '7x24' }]]);
    assert.match(await page.locator(`#sla-rules tr[data-rule="${vip.id}"]`).innerText(), /客户等级: vip/);

    // One day by hand, then removed again.
    await page.fill('#day', '2027-05-03');
    await page.selectOption('#kind', 'holiday');
    await page.fill('#name', '劳动节');
    await Promise.all([page.waitForURL((u) => u.search.includes('done=saved')), page.click('#day-form button[type=submit]')]);
    assert.equal(await page.locator('#special-days tr[data-day="2027-05-03"]').getAttribute('data-kind'), 'holiday');
    // Removing asks first (in Chinese); "cancel" keeps the day.
    await page.click('button[data-delete-day="2027-05-03"]');
    const ask = page.locator('dialog[data-confirm-dialog]');
    assert.match(await ask.innerText(), /2027-05-03 劳动节 — 删除这一天/);
    assert.equal(await ask.locator('[data-confirm-no]').innerText(), '取消');
    await ask.locator('[data-confirm-no]').click();
    assert.equal(await page.locator('#special-days tr[data-day="2027-05-03"]').count(), 1, 'cancel keeps the day');
    await page.click('button[data-delete-day="2027-05-03"]');
    await Promise.all([page.waitForURL((u) => u.search.includes('done=deleted')), ask.locator('[data-confirm-yes]').click()]);
    assert.equal(await page.locator('#special-days tr[data-day="2027-05-03"]').count(), 0);
    // …and can be undone: the day comes back as it was.
    assert.match(await page.locator('#notice').innerText(), /已删除 2027-05-03（劳动节）/);
    await Promise.all([page.waitForURL((u) => u.search.includes('done=restored')), page.click('#undo-delete button[type=submit]')]);
    assert.equal(await page.locator('#special-days tr[data-day="2027-05-03"]').getAttribute('data-kind'), 'holiday');
    await ctx.close();
  });
});
