// Labels and scanning (issue 14 point 9, docs/labels.md) in a real browser: the label PDF
// of a part downloads from its page; on a 360 px phone the part number field of the issue
// form takes a typed code + Enter as a keyboard-wedge scanner sends it (Enter moves on to
// the quantity, the form is not sent half-filled), and the camera button, with a fake
// BarcodeDetector and a fake camera injected before the page loads, fills the field with
// the code read. Without BarcodeDetector there is no camera button.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { api, apiToken, launchBrowser, shot, signIn, startServer } from '../lib/server.js';

const T = { timeout: 180_000 };
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };

// Installed before any script of the page runs.
const FAKE_SCANNER = () => {
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return ['qr_code', 'code_128']; }
    constructor(opts) { window.__scanFormats = opts && opts.formats; }
    async detect() { return [{ rawValue: 'KT-SNS-T', format: 'qr_code' }]; }
  };
  const getUserMedia = async (c) => {
    window.__cameraAsked = c;
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 32;
    canvas.getContext('2d').fillRect(0, 0, 32, 32);
    return canvas.captureStream();
  };
  if (navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = getUserMedia;
  } else {
    Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia } });
  }
};

describe('labels and scanning', () => {
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

  test('a part page prints its labels as a PDF', T, async () => {
    const desk = await browser.newContext({ locale: 'zh-CN', viewport: DESK, acceptDownloads: true });
    const page = await desk.newPage();
    await signIn(page, base, 'warehouse');
    await page.goto(`${base}/parts/KT-SNS-T`);
    const button = page.locator('#print-labels button[type=submit]');
    assert.match(await button.innerText(), /打印标签/);
    await page.fill('#label-copies', '3');
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    assert.equal(download.suggestedFilename(), 'part-labels.pdf');
    const pdf = await readFile(await download.path());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    // Three labels: three QR codes drawn (their XObjects are named Qr, Qr1, Qr2).
    const text = pdf.toString('latin1');
    assert.ok(text.includes('/Qr2') && !text.includes('/Qr3'), 'three QR codes');
    await desk.close();
  });

  test('on a phone the part field takes a wedge scanner and the camera', T, async () => {
    const token = await apiToken(base, 'engineer');
    const orders = await api(base, token, 'GET', '/api/v1/work-orders?limit=50');
    const job = orders.items.find((w) => ['arrived', 'in_progress', 'waiting'].includes(w.status));
    assert.ok(job, 'a job on site in the demo');

    // Without BarcodeDetector: no camera button, and the wedge works.
    const plain = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    await plain.addInitScript(() => { delete window.BarcodeDetector; });
    const p = await plain.newPage();
    await signIn(p, base, 'engineer');
    await p.goto(`${base}/m/orders/${job.number}`);
    await p.waitForSelector('#issue-part[data-enhanced-scan]', { state: 'attached' });
    assert.equal(await p.locator('#issue .scan-button').count(), 0);
    const url = p.url();
    await p.click('#issue-part');
    await p.keyboard.type('KT-SNS-T');
    await p.keyboard.press('Enter');
    assert.equal(p.url(), url, 'Enter after a scan does not send the form');
    assert.equal(await p.evaluate(() => document.activeElement.id), 'issue-qty');
    assert.equal(await p.locator('#issue-part').inputValue(), 'KT-SNS-T');
    await plain.close();

    // With the camera: the button opens it and the code read fills the field.
    const phone = await browser.newContext({
      locale: 'en', viewport: PHONE, isMobile: true, hasTouch: true, permissions: ['camera'],
    });
    await phone.addInitScript(FAKE_SCANNER);
    const m = await phone.newPage();
    await signIn(m, base, 'engineer');
    await m.goto(`${base}/m/orders/${job.number}`);
    const scan = m.locator('#issue .scan-button');
    await scan.waitFor();
    assert.equal(await scan.innerText(), 'Scan');
    await m.evaluate(() => {
      const el = document.getElementById('issue-part');
      el.addEventListener('change', () => { window.__changed = el.value; });
    });
    await scan.click();
    await m.waitForFunction(() => document.getElementById('issue-part').value === 'KT-SNS-T');
    assert.equal(await m.evaluate(() => window.__changed), 'KT-SNS-T');
    const asked = await m.evaluate(() => window.__cameraAsked);
    assert.deepEqual(asked.video.facingMode, { ideal: 'environment' });
    assert.deepEqual(await m.evaluate(() => window.__scanFormats), ['qr_code', 'code_128']);
    assert.equal(await m.locator('dialog.scan-dialog').count(), 0, 'the camera dialog closed');
    const { scroll, client } = await m.evaluate(() => ({
      scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
      client: document.documentElement.clientWidth,
    }));
    assert.ok(scroll <= client, `${scroll} px of content in ${client} px`);
    await shot(m, 'labels-scan-phone');

    // The camera refused: the field says so, and typing still works.
    await m.evaluate(() => {
      navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('denied', 'NotAllowedError'); };
    });
    await scan.click();
    await m.locator('#issue-part-scan-error').waitFor();
    assert.match(await m.locator('#issue-part-scan-error').innerText(), /camera could not be opened/);
    await phone.close();
  });
});
