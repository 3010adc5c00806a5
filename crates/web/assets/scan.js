// aftersales: scan fields (docs/labels.md). No framework, ES2017, no language strings: every
// text comes from the input's data attributes.
//
//   input[data-scan]   a part number, serial or location code. It takes
//     - typing, as any input;
//     - a keyboard-wedge scanner (it types the code and presses Enter): Enter in a scan
//       field moves on to the next field of its form instead of submitting a half-filled
//       form; Enter in the form's last field submits as usual;
//     - the phone camera, where the browser offers BarcodeDetector: a camera button after
//       the input opens the rear camera in a small dialog and fills the field with the
//       first code read (then `input` and `change` are dispatched). Without
//       BarcodeDetector no button appears.
//   data-scan-label    the button's text         data-scan-cancel  the dialog's close button
//   data-scan-denied   shown when the camera cannot be opened (refused or missing)
(function () {
  'use strict';

  var FORMATS = ['qr_code', 'code_128', 'code_39', 'ean_13', 'ean_8', 'upc_a', 'data_matrix'];

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') &&
        el.type !== 'hidden' && !el.disabled && el.offsetParent !== null;
    });
  }

  function onEnter(e) {
    if (e.key !== 'Enter' || e.isComposing) { return; }
    var input = e.target;
    var form = input.form;
    if (!form) { return; }
    var list = fields(form);
    var next = list[list.indexOf(input) + 1];
    if (next) {
      e.preventDefault();
      next.focus();
      if (next.select) { next.select(); }
    }
  }

  function fill(input, value) {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function showError(input, text) {
    var id = input.id + '-scan-error';
    var p = document.getElementById(id);
    if (!p) {
      p = document.createElement('p');
      p.id = id;
      p.className = 'field-error scan-error';
      p.setAttribute('role', 'alert');
      var after = input.nextSibling;
      input.parentNode.insertBefore(p, after ? after.nextSibling : null);
    }
    p.textContent = text;
  }

  async function detector() {
    var wanted = FORMATS;
    if (window.BarcodeDetector.getSupportedFormats) {
      var have = await window.BarcodeDetector.getSupportedFormats();
      wanted = FORMATS.filter(function (f) { return have.indexOf(f) >= 0; });
    }
    return new window.BarcodeDetector(wanted.length ? { formats: wanted } : undefined);
  }

  async function openCamera(input) {
    var dialog = document.createElement('dialog');
    dialog.className = 'scan-dialog';
    var video = document.createElement('video');
    video.setAttribute('playsinline', '');
    video.muted = true;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'touch';
    close.textContent = input.getAttribute('data-scan-cancel') || '×';
    dialog.appendChild(video);
    dialog.appendChild(close);
    document.body.appendChild(dialog);
    var stream = null;
    var done = false;
    function finish() {
      done = true;
      if (stream && stream.getTracks) { stream.getTracks().forEach(function (t) { t.stop(); }); }
      if (dialog.open) { dialog.close(); }
      dialog.remove();
    }
    close.addEventListener('click', function () { finish(); input.focus(); });
    dialog.addEventListener('cancel', finish);
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: 'environment' } }, audio: false
      });
    } catch (err) {
      finish();
      showError(input, input.getAttribute('data-scan-denied') || String(err));
      return;
    }
    dialog.showModal();
    video.srcObject = stream;
    var playing = video.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
    var d = await detector();
    while (!done) {
      try {
        var codes = await d.detect(video);
        var code = codes && codes.length ? String(codes[0].rawValue || '').trim() : '';
        if (code) {
          finish();
          fill(input, code);
          input.focus();
          var old = document.getElementById(input.id + '-scan-error');
          if (old) { old.remove(); }
          return;
        }
      } catch (e) {
        // Not ready yet (no frame): try again.
      }
      await new Promise(function (r) { setTimeout(r, 200); });
    }
  }

  function enhance(input) {
    if (input.hasAttribute('data-enhanced-scan')) { return; }
    input.setAttribute('data-enhanced-scan', '');
    input.addEventListener('keydown', onEnter);
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) {
      return;
    }
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'scan-button touch';
    b.textContent = input.getAttribute('data-scan-label') || 'Scan';
    b.setAttribute('data-scan-for', input.id);
    b.addEventListener('click', function () { openCamera(input); });
    input.parentNode.insertBefore(b, input.nextSibling);
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll('input[data-scan]'), enhance);
  }

  window.aftersalesScan = { init: init };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener('htmx:afterSwap', function (e) { init(e.target); });
})();
