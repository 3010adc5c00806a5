// aftersales: the engineer's field widgets for phone pages. No framework, no build step,
// ES2017. Each widget enhances plain markup and leaves it usable without JavaScript; the
// widgets carry no language strings: every text comes from the page's data attributes.
//
//   [data-signature-pad]        signature pad that writes a PNG data URL into a hidden input
//   input[data-photo-upload]    photo upload with progress, retry and thumbnails
//   form[data-autosave]         keeps the form on the phone while typing (and optionally on
//                               the server), restores it after a reload
//   button[data-geo]            adds the browser's location to the form it submits
//
// The markup contract of each is in docs/field-widgets.md. New content swapped in by
// htmx is enhanced too; `window.aftersalesField.init(root)` does it by hand.
(function () {
  'use strict';

  // --- Helpers -------------------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  // Elements matching `sel` in `root`, the root itself included.
  function all(root, sel) {
    var found = Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(sel) : []);
    if (root.matches && root.matches(sel)) { found.unshift(root); }
    return found;
  }

  // Marks an element as enhanced; false when it already was.
  function claim(el, what) {
    var attr = 'data-enhanced-' + what;
    if (el.hasAttribute(attr)) { return false; }
    el.setAttribute(attr, '');
    return true;
  }

  function emit(el, name, detail) {
    el.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail }));
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function hhmm(date) { return pad2(date.getHours()) + ':' + pad2(date.getMinutes()); }

  // The page's text with {placeholders} filled in; '' when the page gave none.
  function text(el, attr, vars) {
    var t = el.getAttribute(attr) || '';
    return t.replace(/\{(\w+)\}/g, function (whole, key) {
      return vars && vars[key] !== undefined ? String(vars[key]) : whole;
    });
  }

  // The form's field `name`, or a new hidden input with that name inside `holder`.
  function hiddenField(form, holder, name) {
    var el = null;
    if (form) {
      el = form.elements.namedItem(name);
      if (el && el.length !== undefined && !el.tagName) { el = el[0]; } // a RadioNodeList
    } else {
      el = holder.querySelector('input[name="' + name + '"]');
    }
    if (!el) {
      el = document.createElement('input');
      el.type = 'hidden';
      el.name = name;
      holder.appendChild(el);
    }
    return el;
  }

  function randomKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  // --- 1. Signature pad ----------------------------------------------------------------
  // Strokes are kept as points in units of the canvas width, and the canvas keeps a 2:1
  // shape (CSS aspect-ratio), so a redraw at any size is an exact scale of the drawing.
  var SIG_RATIO = 0.5;
  var SIG_LINE = 0.008; // line width, in units of the width
  var SIG_EXPORT_W = 600; // the PNG is always 600 x 300, whatever the screen
  var SIG_INK = '#111827';

  function initSignaturePad(box) {
    if (!claim(box, 'signature')) { return; }
    var form = box.closest('form');
    var input = hiddenField(form, box, box.getAttribute('data-target') || 'signature_png');
    all(box, '[data-signature-fallback]').forEach(function (el) { el.hidden = true; });

    var canvas = document.createElement('canvas');
    canvas.className = 'signature-canvas';
    canvas.setAttribute('role', 'img');
    if (box.hasAttribute('data-label')) { canvas.setAttribute('aria-label', box.getAttribute('data-label')); }
    var actions = document.createElement('div');
    actions.className = 'signature-actions';
    var clearBtn = document.createElement('button');
    clearBtn.type = 'button';
    clearBtn.className = 'secondary';
    clearBtn.setAttribute('data-signature-clear', '');
    clearBtn.textContent = box.getAttribute('data-clear-label') || '\u2715';
    if (box.hasAttribute('data-clear-aria-label')) { clearBtn.setAttribute('aria-label', box.getAttribute('data-clear-aria-label')); }
    actions.appendChild(clearBtn);
    box.appendChild(canvas);
    box.appendChild(actions);
    box.classList.add('signature-pad');

    var ctx = canvas.getContext('2d');
    var strokes = [];
    var current = null;
    var activePointer = null;
    var base = null; // a signature the page already had (e.g. a form shown again)

    function isEmpty() { return !base && strokes.length === 0; }

    function setState() {
      box.setAttribute('data-signature-empty', isEmpty() ? 'true' : 'false');
    }

    function point(pts, i, w) { return [pts[i][0] * w, pts[i][1] * w]; }
    function mid(a, b) { return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]; }

    function pen(c, w) {
      c.strokeStyle = SIG_INK;
      c.fillStyle = SIG_INK;
      c.lineWidth = Math.max(1.5, w * SIG_LINE);
      c.lineCap = 'round';
      c.lineJoin = 'round';
    }

    function dot(c, p, w) {
      c.beginPath();
      c.arc(p[0], p[1], Math.max(1.5, w * SIG_LINE) / 2, 0, Math.PI * 2);
      c.fill();
    }

    // A whole stroke: straight to the first midpoint, quadratic curves through the
    // points between midpoints, straight to the last point.
    function drawStroke(c, pts, w) {
      if (pts.length === 1) { dot(c, point(pts, 0, w), w); return; }
      c.beginPath();
      var p0 = point(pts, 0, w);
      c.moveTo(p0[0], p0[1]);
      for (var i = 1; i < pts.length - 1; i++) {
        var a = point(pts, i, w);
        var m = mid(a, point(pts, i + 1, w));
        c.quadraticCurveTo(a[0], a[1], m[0], m[1]);
      }
      var last = point(pts, pts.length - 1, w);
      c.lineTo(last[0], last[1]);
      c.stroke();
    }

    // The newest piece of the stroke being drawn, the same curve drawStroke makes.
    function drawTail(c, pts, w) {
      var n = pts.length - 1;
      if (n < 2) { return; }
      var start = n === 2 ? point(pts, 0, w) : mid(point(pts, n - 2, w), point(pts, n - 1, w));
      var ctrl = point(pts, n - 1, w);
      var end = mid(ctrl, point(pts, n, w));
      c.beginPath();
      c.moveTo(start[0], start[1]);
      c.quadraticCurveTo(ctrl[0], ctrl[1], end[0], end[1]);
      c.stroke();
    }

    function drawEnd(c, pts, w) {
      var n = pts.length - 1;
      if (n === 0) { dot(c, point(pts, 0, w), w); return; }
      var start = n === 1 ? point(pts, 0, w) : mid(point(pts, n - 1, w), point(pts, n, w));
      var end = point(pts, n, w);
      c.beginPath();
      c.moveTo(start[0], start[1]);
      c.lineTo(end[0], end[1]);
      c.stroke();
    }

    function paint(c, w, h) {
      c.fillStyle = '#fff';
      c.fillRect(0, 0, w, h);
      if (base && base.complete && base.naturalWidth) { c.drawImage(base, 0, 0, w, h); }
      pen(c, w);
      strokes.forEach(function (s) { drawStroke(c, s, w); });
      if (current) { drawStroke(c, current, w); }
    }

    function cssSize() {
      return [canvas.clientWidth, canvas.clientHeight];
    }

    function fit() {
      var size = cssSize();
      if (!size[0]) { return; } // not shown yet
      var dpr = window.devicePixelRatio || 1;
      var pw = Math.round(size[0] * dpr);
      var ph = Math.round(size[1] * dpr);
      if (canvas.width !== pw || canvas.height !== ph) {
        canvas.width = pw;
        canvas.height = ph;
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      paint(ctx, size[0], size[1]);
    }

    function exportPng() {
      if (isEmpty()) { input.value = ''; return; }
      var out = document.createElement('canvas');
      out.width = SIG_EXPORT_W;
      out.height = Math.round(SIG_EXPORT_W * SIG_RATIO);
      paint(out.getContext('2d'), out.width, out.height);
      input.value = out.toDataURL('image/png');
    }

    function changed() {
      exportPng();
      setState();
      emit(input, 'input');
      emit(box, 'signature:change', { empty: isEmpty() });
    }

    // The pointer in units of the drawing area's width (inside any border).
    function at(e) {
      var r = canvas.getBoundingClientRect();
      var w = canvas.clientWidth || 1;
      var x = Math.min(Math.max(e.clientX - r.left - canvas.clientLeft, 0), w);
      var y = Math.min(Math.max(e.clientY - r.top - canvas.clientTop, 0), canvas.clientHeight);
      return [x / w, y / w];
    }

    canvas.addEventListener('pointerdown', function (e) {
      if (activePointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) { return; }
      e.preventDefault();
      activePointer = e.pointerId;
      if (canvas.setPointerCapture) {
        try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* not capturable: fine */ }
      }
      current = [at(e)];
      pen(ctx, cssSize()[0]);
    });
    canvas.addEventListener('pointermove', function (e) {
      if (e.pointerId !== activePointer || !current) { return; }
      e.preventDefault();
      var w = cssSize()[0];
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      if (!events.length) { events = [e]; }
      events.forEach(function (ev) {
        current.push(at(ev));
        drawTail(ctx, current, w);
      });
    });
    function end(e) {
      if (e.pointerId !== activePointer || !current) { return; }
      drawEnd(ctx, current, cssSize()[0]);
      strokes.push(current);
      current = null;
      activePointer = null;
      changed();
    }
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);

    function clear() {
      strokes = [];
      current = null;
      activePointer = null;
      base = null;
      fit();
      changed();
    }
    clearBtn.addEventListener('click', clear);
    if (form) { form.addEventListener('reset', function () { setTimeout(clear, 0); }); }

    if (/^data:image\/(png|jpeg|webp);base64,/.test(input.value)) {
      base = new Image();
      base.onload = fit;
      base.src = input.value;
    }
    setState();
    if (window.ResizeObserver) {
      new ResizeObserver(fit).observe(canvas);
    } else {
      window.addEventListener('resize', fit);
      window.addEventListener('orientationchange', fit);
    }
    fit();
  }

  // --- 2. Photo upload -----------------------------------------------------------------
  var PHOTO_MAX_BYTES = 5 * 1024 * 1024;
  var PHOTO_MAX_EDGE = 2560;
  var PHOTO_JPEG_QUALITY = 0.85;

  // The real type from the first bytes: the file's name and the browser's guess can lie.
  function sniffImage(file) {
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () {
        var b = new Uint8Array(reader.result);
        var ascii = function (from, to) { return String.fromCharCode.apply(null, b.subarray(from, to)); };
        if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) { resolve('image/jpeg'); }
        else if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a) { resolve('image/png'); }
        else if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') { resolve('image/webp'); }
        else { resolve(null); }
      };
      reader.onerror = function () { resolve(null); };
      reader.readAsArrayBuffer(file.slice(0, 16));
    });
  }

  function decodeImage(file) {
    if (window.createImageBitmap) { return createImageBitmap(file); } // applies EXIF rotation
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('decode')); };
      img.src = url;
    });
  }

  // A JPEG no longer than `maxEdge` on its longest side; transparency becomes white.
  function downscale(file, maxEdge) {
    return decodeImage(file).then(function (img) {
      var w = img.width;
      var h = img.height;
      var k = Math.min(1, maxEdge / Math.max(w, h));
      var c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(w * k));
      c.height = Math.max(1, Math.round(h * k));
      var g = c.getContext('2d');
      g.fillStyle = '#fff';
      g.fillRect(0, 0, c.width, c.height);
      g.drawImage(img, 0, 0, c.width, c.height);
      if (img.close) { img.close(); }
      return new Promise(function (resolve) { c.toBlob(resolve, 'image/jpeg', PHOTO_JPEG_QUALITY); });
    });
  }

  function retriable(status) {
    return status === 0 || status === 408 || status === 425 || status === 429 || status >= 500;
  }

  // The problem+json `detail` (or `title`) of an answer, if it has one.
  function problemText(body) {
    try {
      var p = JSON.parse(body);
      return (p && (p.detail || p.title)) || '';
    } catch (e) {
      return '';
    }
  }

  function initPhotoUpload(input) {
    var url = input.getAttribute('data-url');
    if (!url || !claim(input, 'photo')) { return; } // without a URL: a plain file input
    var maxBytes = Number(input.getAttribute('data-max-bytes')) || PHOTO_MAX_BYTES;
    var maxEdge = Number(input.getAttribute('data-max-edge')) || PHOTO_MAX_EDGE;
    var policy = input.getAttribute('data-downscale') || 'oversize';
    var list = input.hasAttribute('data-list') ? document.querySelector(input.getAttribute('data-list')) : null;
    if (!list) {
      list = document.createElement('ul');
      input.insertAdjacentElement('afterend', list);
    }
    list.classList.add('photo-list');
    var queue = [];
    var busy = false;

    function button(cls, attr) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary ' + cls;
      b.textContent = input.getAttribute(attr) || '';
      b.hidden = true;
      return b;
    }

    function addItem(file) {
      var li = document.createElement('li');
      li.className = 'photo-item';
      var thumb = document.createElement('img');
      thumb.className = 'photo-thumb';
      thumb.alt = '';
      thumb.hidden = true;
      var body = document.createElement('div');
      body.className = 'photo-body';
      var name = document.createElement('span');
      name.className = 'photo-name';
      name.textContent = file.name;
      var bar = document.createElement('progress');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', file.name);
      var status = document.createElement('span');
      status.className = 'photo-status';
      status.setAttribute('role', 'status');
      var buttons = document.createElement('div');
      buttons.className = 'photo-actions';
      var retry = button('photo-retry', 'data-label-retry');
      var remove = button('photo-remove', 'data-label-remove');
      retry.setAttribute('data-photo-retry', '');
      remove.setAttribute('data-photo-remove', '');
      buttons.appendChild(retry);
      buttons.appendChild(remove);
      body.appendChild(name);
      body.appendChild(bar);
      body.appendChild(status);
      body.appendChild(buttons);
      li.appendChild(thumb);
      li.appendChild(body);
      list.appendChild(li);
      remove.addEventListener('click', function () { li.remove(); input.focus(); });
      return { li: li, thumb: thumb, bar: bar, status: status, retry: retry, remove: remove, file: file };
    }

    function state(item, s, message) {
      item.li.setAttribute('data-state', s);
      item.status.textContent = message || '';
      item.bar.hidden = s === 'refused' || s === 'done' || s === 'failed';
      item.retry.hidden = s !== 'failed';
      item.remove.hidden = s !== 'failed' && s !== 'refused';
    }

    function refuse(item, attr) {
      state(item, 'refused', text(input, attr, { name: item.file.name }));
      emit(input, 'photo:refused', { name: item.file.name, reason: attr === 'data-msg-type' ? 'type' : 'size' });
    }

    function send(job) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        xhr.open(input.getAttribute('data-method') || 'POST', url);
        xhr.setRequestHeader('Content-Type', job.type);
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.setRequestHeader('Idempotency-Key', job.key);
        xhr.setRequestHeader('X-File-Name', encodeURIComponent(job.item.file.name));
        var token = csrfToken();
        if (token) { xhr.setRequestHeader('X-CSRF-Token', token); }
        xhr.upload.onprogress = function (e) {
          if (e.lengthComputable) { job.item.bar.value = Math.round(e.loaded / e.total * 100); }
        };
        xhr.onload = function () { resolve({ status: xhr.status, body: xhr.responseText }); };
        xhr.onerror = function () { resolve({ status: 0, body: '' }); };
        xhr.onabort = xhr.onerror;
        xhr.send(job.blob);
      });
    }

    function done(job, res) {
      var item = job.item;
      var reply = null;
      try { reply = JSON.parse(res.body); } catch (e) { reply = null; }
      var src = URL.createObjectURL(job.blob);
      item.thumb.onload = function () { URL.revokeObjectURL(src); };
      item.thumb.src = src;
      item.thumb.hidden = false;
      var field = input.getAttribute('data-field');
      if (field && reply && reply.id !== undefined) {
        var hidden = document.createElement('input');
        hidden.type = 'hidden';
        hidden.name = field;
        hidden.value = reply.id;
        item.li.appendChild(hidden);
      }
      state(item, 'done', text(input, 'data-label-done', { name: item.file.name }));
      emit(input, 'photo:uploaded', { name: item.file.name, status: res.status, response: reply });
    }

    function failed(job, res) {
      var item = job.item;
      var again = retriable(res.status);
      var why = again ? '' : problemText(res.body);
      state(item, 'failed', why || text(input, 'data-msg-failed', { name: item.file.name, status: res.status }));
      if (!again) { item.retry.hidden = true; }
      emit(input, 'photo:failed', { name: item.file.name, status: res.status, retriable: again });
    }

    function pump() {
      if (busy || !queue.length) { return; }
      busy = true;
      var job = queue.shift();
      job.item.bar.value = 0;
      state(job.item, 'uploading', text(input, 'data-label-uploading', { name: job.item.file.name }));
      send(job).then(function (res) {
        if (res.status >= 200 && res.status < 300) { done(job, res); } else { failed(job, res); }
        busy = false;
        pump();
      });
    }

    function enqueue(job) {
      state(job.item, 'queued', text(input, 'data-label-queued', { name: job.item.file.name }));
      queue.push(job);
      pump();
    }

    async function accept(file) {
      var item = addItem(file);
      state(item, 'checking', '');
      var type = await sniffImage(file);
      if (!type) { refuse(item, 'data-msg-type'); return; }
      var blob = file;
      var big = file.size > maxBytes;
      if (policy !== 'never' && (big || policy === 'always')) {
        try {
          var smaller = await downscale(file, maxEdge);
          if (smaller && (big || smaller.size < file.size)) {
            blob = smaller;
            type = 'image/jpeg';
          }
        } catch (e) {
          blob = file; // not decodable here: the size check decides
        }
      }
      if (blob.size > maxBytes) { refuse(item, 'data-msg-size'); return; }
      var job = { item: item, blob: blob, type: type, key: randomKey() };
      item.retry.addEventListener('click', function () { enqueue(job); });
      enqueue(job);
    }

    input.addEventListener('change', async function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = ''; // the same photo may be chosen again; the form never sends it
      for (var i = 0; i < files.length; i++) { await accept(files[i]); }
    });
  }

  // --- 3. Save as you go ---------------------------------------------------------------
  var DRAFT_PREFIX = 'aftersales.autosave.';
  var SKIP_TYPES = ['hidden', 'file', 'password', 'submit', 'button', 'reset', 'image'];
  var SAVE_DELAY_MS = 400;
  var SYNC_DELAY_MS = 800;
  var SYNC_MAX_BACKOFF_MS = 60000;
  var HOLD_SUBMIT_MS = 5000;

  function storage() {
    try {
      var s = window.localStorage;
      s.setItem(DRAFT_PREFIX + '?', '1');
      s.removeItem(DRAFT_PREFIX + '?');
      return s;
    } catch (e) {
      return null; // private mode or disabled: no drafts, the form still works
    }
  }

  function readDraft(key) {
    var s = storage();
    if (!s) { return null; }
    try { return JSON.parse(s.getItem(DRAFT_PREFIX + key) || 'null'); } catch (e) { return null; }
  }

  function writeDraft(key, draft) {
    var s = storage();
    if (!s) { return false; }
    try { s.setItem(DRAFT_PREFIX + key, JSON.stringify(draft)); return true; } catch (e) { return false; }
  }

  function dropDraft(key) {
    var s = storage();
    if (s) { s.removeItem(DRAFT_PREFIX + key); }
  }

  // Whether version `a` is later than `b`: as numbers, else as dates, else any difference.
  function newer(a, b) {
    a = a || '';
    b = b || '';
    if (a === b) { return false; }
    if (/^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b)) { return Number(a) > Number(b); }
    var da = Date.parse(a);
    var db = Date.parse(b);
    if (!isNaN(da) && !isNaN(db)) { return da > db; }
    return true;
  }

  function kept(el) {
    var t = (el.type || '').toLowerCase();
    return el.name && !el.disabled && SKIP_TYPES.indexOf(t) < 0 && !el.hasAttribute('data-autosave-skip');
  }

  function isChoice(el) { return el.type === 'checkbox' || el.type === 'radio'; }

  // name -> values, in document order; for check boxes and radios the checked values.
  function snapshot(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) { return; }
      var values = out[el.name] || (out[el.name] = []);
      if (isChoice(el)) {
        if (el.checked) { values.push(el.value); }
      } else if (el.type === 'select-multiple') {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values.push(o.value); });
      } else {
        values.push(el.value);
      }
    });
    return out;
  }

  // Puts the saved values back; returns the elements that changed.
  function restore(form, fields) {
    var changed = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !Object.prototype.hasOwnProperty.call(fields, el.name)) { return; }
      var values = fields[el.name];
      if (isChoice(el)) {
        var on = values.indexOf(el.value) >= 0;
        if (el.checked !== on) { el.checked = on; changed.push(el); }
      } else if (el.type === 'select-multiple') {
        var any = false;
        Array.prototype.forEach.call(el.options, function (o) {
          var sel = values.indexOf(o.value) >= 0;
          if (o.selected !== sel) { o.selected = sel; any = true; }
        });
        if (any) { changed.push(el); }
      } else {
        // Repeated names take their values in order; extra saved values have no field.
        var same = Array.prototype.filter.call(form.elements, function (x) { return x.name === el.name && kept(x); });
        var i = same.indexOf(el);
        if (i < values.length && el.value !== values[i]) { el.value = values[i]; changed.push(el); }
      }
    });
    return changed;
  }

  // The fields as the server gets them: form-encoded like a submit, or flat JSON.
  function body(form, json) {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      var t = (el.type || '').toLowerCase();
      if (!el.name || el.disabled || ['file', 'submit', 'button', 'reset', 'image'].indexOf(t) >= 0) { return; }
      if (isChoice(el) && !el.checked) { return; }
      if (t === 'select-multiple') {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { pairs.push([el.name, o.value]); });
      } else {
        pairs.push([el.name, el.value]);
      }
    });
    if (!json) { return new URLSearchParams(pairs).toString(); }
    var obj = {};
    pairs.forEach(function (p) {
      if (!Object.prototype.hasOwnProperty.call(obj, p[0])) { obj[p[0]] = p[1]; }
      else if (Array.isArray(obj[p[0]])) { obj[p[0]].push(p[1]); }
      else { obj[p[0]] = [obj[p[0]], p[1]]; }
    });
    return JSON.stringify(obj);
  }

  var holding = new WeakSet(); // forms whose submit is being replayed

  function initAutosave(form) {
    if (!claim(form, 'autosave')) { return; }
    var key = form.getAttribute('data-autosave');
    if (!key) { return; }
    var status = form.querySelector('[data-autosave-status]');
    if (!status) {
      status = document.createElement('p');
      status.setAttribute('data-autosave-status', '');
      form.appendChild(status);
    }
    status.classList.add('autosave-status');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    var postUrl = form.getAttribute('data-autosave-post');
    var days = Number(form.getAttribute('data-autosave-days')) || 7;
    var draft = null;
    var saveTimer = null;
    var syncTimer = null;
    var inFlight = null;
    var again = false;
    var attempt = 0;
    var restoring = false;

    function show(state, attr, when) {
      form.setAttribute('data-autosave-state', state);
      status.textContent = text(form, attr, { time: hhmm(when || new Date()) });
    }

    function version() { return form.getAttribute('data-autosave-version') || ''; }

    function save() {
      clearTimeout(saveTimer);
      saveTimer = null;
      var now = Date.now();
      draft = {
        base: draft ? draft.base : version(),
        at: now,
        fields: snapshot(form),
        pending: !!postUrl,
      };
      if (!writeDraft(key, draft)) { return; }
      if (postUrl) { show('pending', 'data-autosave-pending', new Date(now)); }
      else { show('saved', 'data-autosave-saved', new Date(now)); }
    }

    function flush() {
      if (saveTimer) { save(); }
    }

    function later(fn, ms) {
      clearTimeout(syncTimer);
      syncTimer = setTimeout(fn, ms);
    }

    function sync() {
      syncTimer = null;
      if (!postUrl) { return Promise.resolve(); }
      if (inFlight) { again = true; return inFlight; }
      flush();
      var json = form.getAttribute('data-autosave-format') === 'json';
      var headers = {
        'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded',
        'Accept': 'application/json',
      };
      var token = csrfToken();
      if (token) { headers['X-CSRF-Token'] = token; }
      show('sending', 'data-autosave-pending');
      inFlight = fetch(postUrl, {
        method: form.getAttribute('data-autosave-method') || 'PUT',
        headers: headers,
        body: body(form, json),
        credentials: 'same-origin',
      }).then(function (res) {
        return res.text().then(function (t) { return { status: res.status, body: t }; });
      }, function () {
        return { status: 0, body: '' };
      }).then(function (res) {
        inFlight = null;
        if (res.status >= 200 && res.status < 300) {
          attempt = 0;
          var reply = null;
          try { reply = JSON.parse(res.body); } catch (e) { reply = null; }
          if (reply && reply.version !== undefined && reply.version !== null) {
            var v = String(reply.version);
            form.setAttribute('data-autosave-version', v);
            var field = form.elements.namedItem('version');
            if (field && field.tagName === 'INPUT') { field.value = v; }
            if (draft) { draft.base = v; }
          }
          if (draft) { draft.pending = false; writeDraft(key, draft); }
          show('synced', 'data-autosave-synced');
          emit(form, 'autosave:synced', { response: reply });
          if (again) { again = false; later(sync, 0); }
        } else if (retriable(res.status)) {
          var wait = Math.min(SYNC_MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt)) * (0.8 + Math.random() * 0.4);
          attempt += 1;
          again = false;
          show('pending', 'data-autosave-pending');
          later(sync, wait);
        } else {
          again = false;
          form.setAttribute('data-autosave-state', 'error');
          status.textContent = text(form, 'data-autosave-error', { detail: problemText(res.body), status: res.status });
          emit(form, 'autosave:error', { status: res.status });
        }
      });
      return inFlight;
    }

    // A draft of this form from an earlier page: restore it unless the server has a later
    // version, or it is older than the days kept.
    var old = readDraft(key);
    if (old && (newer(version(), old.base) || Date.now() - old.at > days * 86400000)) {
      dropDraft(key);
      old = null;
    }
    if (old) {
      draft = old;
      restoring = true;
      var changed = restore(form, old.fields || {});
      changed.forEach(function (el) {
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      });
      restoring = false;
      if (changed.length) { show('restored', 'data-autosave-restored', new Date(old.at)); }
      if (postUrl && old.pending) { later(sync, SYNC_DELAY_MS); }
    }

    function edited(e) {
      if (restoring || !e.target || !e.target.name || !kept(e.target)) { return; }
      clearTimeout(saveTimer);
      saveTimer = setTimeout(save, SAVE_DELAY_MS);
      if (postUrl && e.type === 'change') { later(sync, SYNC_DELAY_MS); }
    }
    form.addEventListener('input', edited);
    form.addEventListener('change', edited);
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') { flush(); }
    });
    window.addEventListener('online', function () {
      if (draft && draft.pending && postUrl) { attempt = 0; later(sync, 0); }
    });

    form.addEventListener('submit', function (e) {
      if (inFlight && !holding.has(form)) {
        // A save on its way would change the version this submit carries: wait for it.
        e.preventDefault();
        var submitter = e.submitter || null;
        holding.add(form);
        var wait = new Promise(function (resolve) { setTimeout(resolve, HOLD_SUBMIT_MS); });
        Promise.race([inFlight, wait]).then(function () {
          try {
            if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
          } finally {
            holding.delete(form);
          }
        });
        return;
      }
      // The submit carries everything: no separate save to the server now. The draft
      // stays until the server's answer settles it (see clearSettled), so a submit that
      // never arrived (offline) is still there after a reload.
      clearTimeout(syncTimer);
      save();
    });
    // An htmx form that succeeded: nothing left to keep.
    form.addEventListener('htmx:afterRequest', function (e) {
      if (e.detail && e.detail.successful && e.detail.elt === form) {
        dropDraft(key);
        draft = null;
      }
    });
  }

  // Pages shown after a successful submit name the drafts they settle.
  function clearSettled(root) {
    all(root, '[data-autosave-clear]').forEach(function (el) {
      el.getAttribute('data-autosave-clear').split(/\s+/).forEach(function (key) {
        if (key) { dropDraft(key); }
      });
    });
  }

  // --- 4. One-tap status with location ------------------------------------------------
  var GEO_TIMEOUT_MS = 5000;
  var passing = new WeakSet(); // buttons whose click goes through to the form

  function locate(timeoutMs) {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      var settled = false;
      function finish(pos) {
        if (settled) { return; }
        settled = true;
        resolve(pos);
      }
      // Our own timer: the browser's does not run while it asks for permission.
      setTimeout(function () { finish(null); }, timeoutMs);
      try {
        navigator.geolocation.getCurrentPosition(finish, function () { finish(null); }, {
          enableHighAccuracy: true,
          timeout: timeoutMs,
          maximumAge: 60000,
        });
      } catch (e) {
        finish(null);
      }
    });
  }

  document.addEventListener('click', function (e) {
    var btn = e.target.closest && e.target.closest('[data-geo]');
    if (!btn || !btn.form || btn.type !== 'submit') { return; }
    if (passing.has(btn)) { return; }
    var form = btn.form;
    // An invalid form: let the browser say what is missing, no need to locate first.
    if (!btn.formNoValidate && !form.noValidate && !form.checkValidity()) { return; }
    e.preventDefault();
    if (btn.getAttribute('aria-busy') === 'true') { return; }
    var label = btn.innerHTML;
    btn.setAttribute('aria-busy', 'true');
    if (btn.hasAttribute('data-geo-busy')) { btn.textContent = btn.getAttribute('data-geo-busy'); }
    var timeout = Number(btn.getAttribute('data-geo-timeout')) || GEO_TIMEOUT_MS;
    locate(timeout).then(function (pos) {
      // Without a position the fields are disabled, so the form is sent without them.
      var fields = [
        [hiddenField(form, form, 'latitude'), pos && pos.coords.latitude.toFixed(6)],
        [hiddenField(form, form, 'longitude'), pos && pos.coords.longitude.toFixed(6)],
      ];
      var acc = form.elements.namedItem('accuracy');
      if (acc && acc.tagName === 'INPUT') { fields.push([acc, pos && String(Math.round(pos.coords.accuracy))]); }
      fields.forEach(function (f) {
        f[0].value = f[1] || '';
        f[0].disabled = !f[1];
      });
      btn.removeAttribute('aria-busy');
      if (btn.hasAttribute('data-geo-busy')) { btn.innerHTML = label; }
      emit(form, 'geo:located', { located: !!pos });
      passing.add(btn);
      try { btn.click(); } finally { passing.delete(btn); }
    });
  });

  // --- Start ---------------------------------------------------------------------------
  function init(root) {
    root = root || document;
    clearSettled(root); // before any form restores a draft the page says is settled
    all(root, '[data-signature-pad]').forEach(initSignaturePad);
    all(root, 'input[type="file"][data-photo-upload]').forEach(initPhotoUpload);
    all(root, 'form[data-autosave]').forEach(initAutosave);
  }

  window.aftersalesField = { init: init };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener('htmx:load', function (e) { init(e.target); });
})();
