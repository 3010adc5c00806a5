// The engineer's field widgets (crates/web/assets/field.js) in a real browser at a 360 px
// phone viewport: signature pad, photo upload with progress and retry, save as you go,
// one-tap status with location. A tiny node http server in this file serves HTML
// fixtures that include the real asset files, and records what the widgets send.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateSync, inflateSync } from 'node:zlib';
import { launchBrowser } from '../lib/server.js';

const T = { timeout: 90_000 };
const CSRF = 'csrf-test-token-7f3a';
const PHONE = { width: 360, height: 740 };
const ASSETS = new URL('../../crates/web/assets/', import.meta.url);
const MIB = 1024 * 1024;

// --- PNG by hand: encode test photos, decode the signature -----------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// An RGB PNG; `rows` are the raw pixel bytes of each row (3 per pixel).
function encodePng(width, height, rows, level = 6) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A small photo: a red square on blue.
function smallPng() {
  const rows = [];
  for (let y = 0; y < 32; y++) {
    const r = Buffer.alloc(32 * 3);
    for (let x = 0; x < 32; x++) r.set(x > 8 && x < 24 && y > 8 && y < 24 ? [220, 30, 30] : [30, 60, 200], x * 3);
    rows.push(r);
  }
  return encodePng(32, 32, rows);
}

// Noise does not compress: 1400 x 1400 RGB is a valid PNG of about 5.9 MB.
function noisePng() {
  const rows = Array.from({ length: 1400 }, () => randomBytes(1400 * 3));
  return encodePng(1400, 1400, rows, 0);
}

// Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what canvas.toDataURL writes) to
// { width, height, channels, pixels }.
function decodePng(buf) {
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'a PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      assert.equal(data[12], 0, 'not interlaced');
      channels = { 2: 3, 6: 4 }[data[9]];
      assert.ok(channels, `colour type ${data[9]}`);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

// Pixels that are clearly ink: dark and opaque.
function darkPixels(dataUrl) {
  const prefix = 'data:image/png;base64,';
  assert.ok(dataUrl.startsWith(prefix), `a PNG data URL, got ${dataUrl.slice(0, 40)}`);
  const img = decodePng(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  let dark = 0;
  for (let i = 0; i < img.pixels.length; i += img.channels) {
    const opaque = img.channels === 3 || img.pixels[i + 3] > 128;
    if (opaque && img.pixels[i] < 128 && img.pixels[i + 1] < 128 && img.pixels[i + 2] < 128) dark++;
  }
  return { dark, width: img.width, height: img.height };
}

// --- The fixture server ----------------------------------------------------------------

function page(title, body) {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${CSRF}">
<title>${title}</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
<script src="/assets/field.js" defer></script>
</head>
<body><main><h1>${title}</h1>
${body}
</main></body>
</html>`;
}

const SIGNATURE_PAGE = page('签名', `
<form method="post" action="/sign" class="stack">
  <div class="field">
    <span id="sig-title">客户签名</span>
    <div data-signature-pad data-target="signature_png" data-label="客户签名：请用手指在框内签名"
         data-clear-label="清除" aria-labelledby="sig-title">
      <input type="hidden" name="signature_png">
      <p data-signature-fallback>请在纸质派工单上签名</p>
    </div>
  </div>
  <label class="check"><input type="checkbox" name="declined" value="1"> 客户拒签</label>
  <button type="submit">提交</button>
</form>`);

const PHOTO_ATTRS = `type="file" accept="image/*" capture="environment" multiple data-photo-upload
  data-url="/upload" data-msg-type="只能上传 JPEG、PNG 或 WebP 照片：{name}"
  data-msg-size="照片不能超过 5 MB：{name}" data-msg-failed="上传失败，请重试"
  data-label-retry="重试" data-label-remove="移除" data-label-uploading="上传中…" data-label-done="已上传"`;

const PHOTO_PAGE = page('现场照片', `
<form class="stack">
  <div class="field">
    <label for="photos">现场照片（自动缩小过大的照片）</label>
    <input id="photos" ${PHOTO_ATTRS} data-field="photo_ids">
  </div>
  <div class="field">
    <label for="originals">原图（不缩小）</label>
    <input id="originals" ${PHOTO_ATTRS} data-downscale="never" data-list="#original-list">
    <ul id="original-list"></ul>
  </div>
</form>`);

const autosavePage = (version, post) => page('服务记录', `
<form method="post" action="/record-submit" class="stack" data-autosave="wo-1-record"
      data-autosave-version="${version}" data-autosave-saved="已暂存在本机 {time}"
      data-autosave-restored="已恢复本机暂存的内容（{time}）"
      ${post ? 'data-autosave-post="/record" data-autosave-pending="未同步" data-autosave-synced="已同步 {time}" data-autosave-error="保存失败：{detail}"' : ''}>
  <input type="hidden" name="_csrf" value="${CSRF}">
  <input type="hidden" name="version" value="${version}">
  <div class="field"><label for="diagnosis">诊断</label><textarea id="diagnosis" name="diagnosis"></textarea></div>
  <div class="field"><label for="labor">工时（分钟）</label><input id="labor" name="labor_minutes" type="number" inputmode="numeric"></div>
  <div class="field"><label for="cause">故障原因</label>
    <select id="cause" name="cause"><option value="">—</option><option value="wear">磨损</option><option value="misuse">使用不当</option></select></div>
  <label class="check"><input type="checkbox" name="test_run" value="1"> 已试机</label>
  <fieldset><legend>服务质量</legend>
    <label class="check"><input type="radio" name="rating" value="4"> 4</label>
    <label class="check"><input type="radio" name="rating" value="5"> 5</label>
  </fieldset>
  <p data-autosave-status></p>
  <button type="submit">保存</button>
</form>`);

const GEO_PAGE = page('工单 WO202611300001', `
<form method="post" action="/status" class="actions">
  <input type="hidden" name="_csrf" value="${CSRF}">
  <button type="submit" name="action" value="arrive" data-geo data-geo-busy="正在定位…">到达</button>
</form>`);

function readBody(req) {
  return new Promise((ok, fail) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

async function startFixture() {
  const state = {
    uploads: [],
    failUploads: 0,
    version: 1,
    submits: [],
    puts: [],
    failPuts: 0,
    statuses: [],
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://fixture');
    const body = await readBody(req);
    const html = (s, status = 200) => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(s);
    };
    const json = (status, obj, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(JSON.stringify(obj));
    };
    const route = `${req.method} ${url.pathname}`;
    if (req.method === 'GET' && url.pathname.startsWith('/assets/')) {
      const name = url.pathname.slice('/assets/'.length);
      if (!['app.css', 'app.js', 'field.js'].includes(name)) return html('not found', 404);
      // The real files, read on every request.
      const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
      res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` });
      return res.end(readFileSync(new URL(name, ASSETS)));
    }
    switch (route) {
      case 'GET /signature':
        return html(SIGNATURE_PAGE);
      case 'GET /photos':
        return html(PHOTO_PAGE);
      case 'POST /upload': {
        state.uploads.push({
          type: req.headers['content-type'],
          csrf: req.headers['x-csrf-token'],
          key: req.headers['idempotency-key'],
          name: decodeURIComponent(req.headers['x-file-name'] || ''),
          body,
        });
        if (state.failUploads > 0) {
          state.failUploads--;
          return json(500, { title: 'Internal Server Error', status: 500 }, 'application/problem+json');
        }
        return json(201, { id: `photo-${state.uploads.length}` });
      }
      case 'GET /record':
        return html(autosavePage(state.version, url.searchParams.has('post')));
      case 'POST /record-submit':
        state.submits.push(new URLSearchParams(body.toString()));
        state.version++;
        res.writeHead(303, { Location: '/record-saved' });
        return res.end();
      case 'GET /record-saved':
        return html(page('已保存', '<p class="alert ok" data-autosave-clear="wo-1-record">服务记录已保存</p><a href="/record">返回</a>'));
      case 'PUT /record': {
        state.puts.push({ csrf: req.headers['x-csrf-token'], type: req.headers['content-type'], form: new URLSearchParams(body.toString()) });
        if (state.failPuts > 0) {
          state.failPuts--;
          return json(503, { title: 'Service Unavailable', status: 503 }, 'application/problem+json');
        }
        state.version++;
        return json(200, { version: state.version });
      }
      case 'GET /geo':
        return html(GEO_PAGE);
      case 'POST /status':
        state.statuses.push(new URLSearchParams(body.toString()));
        return html(page('已提交', '<p id="done">状态已更新</p>'));
      default:
        return html('not found', 404);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

// --- The tests -------------------------------------------------------------------------

describe('field widgets at 360 px', () => {
  let fixture;
  let browser;
  let base;

  before(async () => {
    fixture = await startFixture();
    base = fixture.base;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  // A phone-sized page in a fresh context; script errors fail the test.
  async function phone(t, options = {}) {
    const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', ...options });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    t.after(async () => {
      await context.close();
      assert.deepEqual(errors, [], 'no script errors');
    });
    return { context, page };
  }

  const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  // Every visible button is at least 44 x 44 px.
  async function touchTargets(page) {
    const small = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button'))
        .filter((b) => b.offsetParent !== null)
        .map((b) => [b.textContent.trim(), b.getBoundingClientRect()])
        .filter(([, r]) => r.width < 44 || r.height < 44)
        .map(([name, r]) => `${name} ${r.width}x${r.height}`));
    assert.deepEqual(small, [], 'touch targets of at least 44 px');
  }

  async function sign(page) {
    const box = await page.locator('.signature-canvas').boundingBox();
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.6);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) {
      await page.mouse.move(box.x + box.width * (0.15 + i * 0.05), box.y + box.height * (0.6 - 0.3 * Math.sin(i / 2)), { steps: 2 });
    }
    await page.mouse.up();
  }

  const signatureValue = (page) => page.inputValue('input[name="signature_png"]');

  test('the signature pad fills the width, writes a PNG, survives a rotation and clears', T, async (t) => {
    const { page } = await phone(t);
    await page.goto(`${base}/signature`);
    const pad = page.locator('[data-signature-pad]');
    await page.locator('.signature-canvas').waitFor();
    assert.equal(await pad.getAttribute('data-signature-empty'), 'true');
    assert.equal(await page.isVisible('[data-signature-fallback]'), false, 'the no-script text is hidden');
    assert.equal(await signatureValue(page), '', 'an empty pad leaves the input empty');
    assert.equal(await page.getAttribute('.signature-canvas', 'aria-label'), '客户签名：请用手指在框内签名');

    // The canvas takes the whole width of its column.
    const widths = await page.evaluate(() => {
      const c = document.querySelector('.signature-canvas');
      return [c.clientWidth, c.clientHeight, c.parentElement.clientWidth];
    });
    assert.equal(widths[0], widths[2]);
    assert.ok(widths[0] >= 300, `wide enough: ${widths}`);
    assert.equal(widths[1], Math.round(widths[0] / 2));

    const events = page.evaluate(() => new Promise((ok) => {
      document.querySelector('[data-signature-pad]').addEventListener('signature:change', (e) => ok(e.detail), { once: true });
    }));
    await sign(page);
    assert.deepEqual(await events, { empty: false });
    const value = await signatureValue(page);
    const png = darkPixels(value);
    assert.equal(png.width, 600);
    assert.equal(png.height, 300);
    assert.ok(png.dark > 200, `ink in the PNG: ${png.dark} dark pixels`);
    assert.equal(await pad.getAttribute('data-signature-empty'), 'false');
    assert.ok(await noSideScroll(page));
    await touchTargets(page);

    // Landscape: the canvas grows, the drawing is redrawn scaled, the PNG stays the same.
    await page.setViewportSize({ width: 740, height: 360 });
    await page.waitForFunction((w) => document.querySelector('.signature-canvas').clientWidth > w, widths[0]);
    await page.waitForTimeout(100);
    const redrawn = await page.evaluate(() => document.querySelector('.signature-canvas').toDataURL('image/png'));
    const shown = darkPixels(redrawn);
    assert.ok(shown.dark > 200, `still drawn after the resize: ${shown.dark}`);
    assert.equal(await signatureValue(page), value, 'a resize does not change the signature');
    await page.setViewportSize(PHONE);

    await page.click('[data-signature-clear]');
    assert.equal(await signatureValue(page), '', 'clear empties the input');
    assert.equal(await pad.getAttribute('data-signature-empty'), 'true');
    const blank = await page.evaluate(() => document.querySelector('.signature-canvas').toDataURL('image/png'));
    assert.equal(darkPixels(blank).dark, 0, 'the canvas is blank again');

    // A dot is a mark too (a tap).
    const box = await page.locator('.signature-canvas').boundingBox();
    await page.mouse.click(box.x + 40, box.y + 40);
    assert.ok(darkPixels(await signatureValue(page)).dark > 0);
  });

  test('photos upload with the CSRF header, show progress and a thumbnail, and can be retried', T, async (t) => {
    const { page } = await phone(t);
    await page.goto(`${base}/photos`);
    const small = smallPng();
    fixture.state.uploads.length = 0;

    await page.setInputFiles('#photos', { name: 'IMG_0001.png', mimeType: 'image/png', buffer: small });
    const item = page.locator('#photos + .photo-list .photo-item').first();
    await page.waitForSelector('#photos + .photo-list .photo-item[data-state="done"]');
    assert.equal(fixture.state.uploads.length, 1);
    const up = fixture.state.uploads[0];
    assert.equal(up.type, 'image/png');
    assert.equal(up.csrf, CSRF);
    assert.equal(up.name, 'IMG_0001.png');
    assert.ok(up.body.equals(small), 'a small photo is sent as it is');
    assert.equal((await item.locator('.photo-status').textContent()).trim(), '已上传');
    assert.ok(await item.locator('img.photo-thumb').evaluate((img) => !img.hidden && img.naturalWidth === 32), 'a thumbnail');
    assert.equal(await item.locator('input[type=hidden][name=photo_ids]').inputValue(), 'photo-1');

    // The server fails once: retry shows, and the retry succeeds with the same key.
    fixture.state.failUploads = 1;
    await page.setInputFiles('#photos', {
      name: 'IMG_20261130_142233_a_long_name_from_the_camera_app_0002.png',
      mimeType: 'image/png',
      buffer: small,
    });
    const second = page.locator('#photos + .photo-list .photo-item').nth(1);
    await second.locator('[data-photo-retry]').waitFor({ state: 'visible' });
    assert.equal(await second.getAttribute('data-state'), 'failed');
    assert.equal((await second.locator('.photo-status').textContent()).trim(), '上传失败，请重试');
    assert.ok(await noSideScroll(page), 'a long name does not widen the page');
    await touchTargets(page);
    await second.locator('[data-photo-retry]').click();
    await page.waitForSelector('#photos + .photo-list .photo-item:nth-child(2)[data-state="done"]');
    assert.equal(fixture.state.uploads.length, 3);
    assert.equal(fixture.state.uploads[1].key, fixture.state.uploads[2].key, 'the retry repeats the Idempotency-Key');
    assert.notEqual(fixture.state.uploads[0].key, fixture.state.uploads[1].key);
    assert.equal(await second.locator('[data-photo-retry]').isVisible(), false);
  });

  test('wrong types and photos over 5 MiB are refused before upload, or downscaled', T, async (t) => {
    const { page } = await phone(t);
    await page.goto(`${base}/photos`);
    fixture.state.uploads.length = 0;

    // A GIF, and text that claims to be a PNG: refused by their first bytes.
    await page.setInputFiles('#originals', [
      { name: 'anim.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'binary') },
      { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') },
    ]);
    const refused = page.locator('#original-list .photo-item[data-state="refused"]');
    await page.waitForFunction(() => document.querySelectorAll('#original-list [data-state="refused"]').length === 2);
    assert.equal((await refused.nth(0).locator('.photo-status').textContent()).trim(), '只能上传 JPEG、PNG 或 WebP 照片：anim.gif');
    assert.equal((await refused.nth(1).locator('.photo-status').textContent()).trim(), '只能上传 JPEG、PNG 或 WebP 照片：notes.png');

    // Over 5 MiB with downscaling off: refused with the page's message.
    const big = noisePng();
    assert.ok(big.length > 5 * MIB, `the fixture is big: ${big.length}`);
    await page.setInputFiles('#originals', { name: 'huge.png', mimeType: 'image/png', buffer: big });
    await page.waitForFunction(() => document.querySelectorAll('#original-list [data-state="refused"]').length === 3);
    assert.equal((await refused.nth(2).locator('.photo-status').textContent()).trim(), '照片不能超过 5 MB：huge.png');
    assert.equal(fixture.state.uploads.length, 0, 'nothing refused reached the server');
    assert.ok(await noSideScroll(page));
    await touchTargets(page);
    await refused.nth(0).locator('[data-photo-remove]').click();
    assert.equal(await refused.count(), 2, 'a refused photo can be removed from the list');

    // The same photo on the default input is downscaled to a JPEG under the limit.
    await page.setInputFiles('#photos', { name: 'huge.png', mimeType: 'image/png', buffer: big });
    await page.waitForSelector('#photos + .photo-list .photo-item[data-state="done"]', { timeout: 30_000 });
    assert.equal(fixture.state.uploads.length, 1);
    const up = fixture.state.uploads[0];
    assert.equal(up.type, 'image/jpeg');
    assert.ok(up.body.length <= 5 * MIB, `under the limit: ${up.body.length}`);
    assert.deepEqual([...up.body.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
    const bar = await page.locator('#photos + .photo-list progress').evaluate((p) => p.value);
    assert.equal(bar, 100, 'the progress bar reached the end');
  });

  test('a form keeps its values on the phone, restores them after a reload and forgets them after the submit', T, async (t) => {
    const { page } = await phone(t);
    fixture.state.version = 1;
    await page.goto(`${base}/record`);
    await page.fill('#diagnosis', '压缩机启动电容损坏');
    await page.fill('#labor', '45');
    await page.selectOption('#cause', 'wear');
    await page.check('input[name=test_run]');
    await page.check('input[name=rating][value="5"]');
    await page.waitForFunction(() => document.querySelector('form').getAttribute('data-autosave-state') === 'saved');
    assert.match(await page.textContent('[data-autosave-status]'), /^已暂存在本机 \d\d:\d\d$/);
    assert.equal(await page.getAttribute('[data-autosave-status]', 'aria-live'), 'polite');

    // Typing and reloading at once loses nothing (the page saves when it is left).
    await page.fill('#diagnosis', '压缩机启动电容损坏，已更换');
    await page.reload();
    assert.equal(await page.inputValue('#diagnosis'), '压缩机启动电容损坏，已更换');
    assert.equal(await page.inputValue('#labor'), '45');
    assert.equal(await page.inputValue('#cause'), 'wear');
    assert.equal(await page.isChecked('input[name=test_run]'), true);
    assert.equal(await page.isChecked('input[name=rating][value="5"]'), true);
    assert.equal(await page.inputValue('input[name=_csrf]'), CSRF, 'hidden fields stay the server\'s');
    assert.match(await page.textContent('[data-autosave-status]'), /^已恢复本机暂存的内容（\d\d:\d\d）$/);
    assert.equal(await page.getAttribute('form', 'data-autosave-state'), 'restored');
    assert.ok(await noSideScroll(page));
    await touchTargets(page);

    // Submitting sends the values; the page after a successful submit settles the draft.
    await Promise.all([page.waitForURL(`${base}/record-saved`), page.click('button[type=submit]')]);
    const sent = fixture.state.submits.at(-1);
    assert.equal(sent.get('diagnosis'), '压缩机启动电容损坏，已更换');
    assert.equal(sent.get('rating'), '5');
    assert.equal(await page.evaluate(() => localStorage.getItem('aftersales.autosave.wo-1-record')), null);
    await page.goto(`${base}/record`);
    assert.equal(await page.inputValue('#diagnosis'), '');
    assert.equal(await page.isChecked('input[name=test_run]'), false);

    // A draft older than the server's version of the form is dropped, not restored.
    await page.fill('#diagnosis', '旧的草稿');
    await page.waitForFunction(() => document.querySelector('form').getAttribute('data-autosave-state') === 'saved');
    fixture.state.version++;
    await page.reload();
    assert.equal(await page.inputValue('#diagnosis'), '');
    assert.equal(await page.evaluate(() => localStorage.getItem('aftersales.autosave.wo-1-record')), null);
  });

  test('with data-autosave-post a change goes to the server, and waits out errors and offline', T, async (t) => {
    const { context, page } = await phone(t);
    fixture.state.version = 5;
    fixture.state.puts.length = 0;
    fixture.state.failPuts = 1;
    await page.goto(`${base}/record?post`);
    const state = () => page.getAttribute('form', 'data-autosave-state');

    // The first PUT fails (503): "not yet sent", then the retry succeeds.
    await page.fill('#diagnosis', '更换风机');
    await page.locator('#labor').focus(); // the change event
    await page.waitForFunction(() => document.querySelector('[data-autosave-status]').textContent === '未同步');
    await page.waitForFunction(() => document.querySelector('form').getAttribute('data-autosave-state') === 'synced', null, { timeout: 10_000 });
    assert.match(await page.textContent('[data-autosave-status]'), /^已同步 \d\d:\d\d$/);
    assert.equal(fixture.state.puts.length, 2);
    const put = fixture.state.puts[1];
    assert.equal(put.csrf, CSRF);
    assert.equal(put.type, 'application/x-www-form-urlencoded');
    assert.equal(put.form.get('diagnosis'), '更换风机');
    assert.equal(put.form.get('version'), '5');
    assert.equal(await page.inputValue('input[name=version]'), '6', 'the answer\'s version is kept for the next save');

    // Offline: the change waits, marked "not yet sent"; back online, it goes.
    await context.setOffline(true);
    await page.selectOption('#cause', 'misuse');
    await page.waitForFunction(() => document.querySelector('form').getAttribute('data-autosave-state') === 'pending');
    await sleep(1500);
    assert.equal(await state(), 'pending');
    assert.equal(await page.textContent('[data-autosave-status]'), '未同步');
    assert.equal(fixture.state.puts.length, 2, 'nothing arrived while offline');
    await context.setOffline(false);
    await page.waitForFunction(() => document.querySelector('form').getAttribute('data-autosave-state') === 'synced', null, { timeout: 10_000 });
    assert.equal(fixture.state.puts.at(-1).form.get('cause'), 'misuse');
    assert.equal(fixture.state.puts.at(-1).form.get('version'), '6');
    assert.ok(await noSideScroll(page));
  });

  test('the status button sends the location when allowed', T, async (t) => {
    const { page } = await phone(t, {
      permissions: ['geolocation'],
      geolocation: { latitude: 41.796812, longitude: 123.429011, accuracy: 12 },
    });
    await page.goto(`${base}/geo`);
    await touchTargets(page);
    assert.ok(await noSideScroll(page));
    const before = fixture.state.statuses.length;
    await Promise.all([page.waitForURL(`${base}/status`), page.click('button[data-geo]')]);
    const sent = fixture.state.statuses[before];
    assert.equal(sent.get('action'), 'arrive', 'the button\'s own name and value are sent');
    assert.equal(sent.get('_csrf'), CSRF);
    assert.equal(sent.get('latitude'), '41.796812');
    assert.equal(sent.get('longitude'), '123.429011');
  });

  test('the status button sends the form without a location when it is refused', T, async (t) => {
    const { context, page } = await phone(t);
    await context.clearPermissions();
    await page.goto(`${base}/geo`);
    const before = fixture.state.statuses.length;
    const started = Date.now();
    await Promise.all([page.waitForURL(`${base}/status`), page.click('button[data-geo]')]);
    assert.ok(Date.now() - started < 7_000, 'never held longer than the 5 s timeout');
    const sent = fixture.state.statuses[before];
    assert.equal(sent.get('action'), 'arrive');
    assert.equal(sent.has('latitude'), false);
    assert.equal(sent.has('longitude'), false);
  });
});
