// aftersales: small behaviors shared by every page. No framework; htmx does the partial
// updates. Sends the CSRF token with every htmx request.
(function () {
  'use strict';
  document.addEventListener('htmx:configRequest', function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { e.detail.headers['X-CSRF-Token'] = meta.content; }
  });
  // The menu button of narrow screens.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-toggle-nav]');
    if (!btn) { return; }
    var nav = document.getElementById('main-nav');
    if (nav) {
      var open = nav.classList.toggle('open');
      btn.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
  });
  // Enter in a search box opens the first result instead of searching again.
  document.addEventListener('keydown', function (e) {
    var input = e.target.closest && e.target.closest('[data-enter-opens-first]');
    if (!input || e.key !== 'Enter') { return; }
    var first = document.querySelector(input.getAttribute('data-enter-opens-first'));
    if (first) { e.preventDefault(); window.location.href = first.href; }
  });
  // Copy buttons (e.g. a new API token).
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-copy]');
    if (!btn) { return; }
    var el = document.getElementById(btn.getAttribute('data-copy'));
    if (el && navigator.clipboard) { navigator.clipboard.writeText(el.textContent.trim()); }
  });
  // "Add another" on forms with repeated rows (contacts, sites): copies the last row with
  // empty values and the next index in its names and ids.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-add-row]');
    if (!btn) { return; }
    var box = document.querySelector(btn.getAttribute('data-add-row'));
    var rows = box ? box.querySelectorAll('[data-row]') : [];
    if (!rows.length) { return; }
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    var n = rows.length;
    copy.querySelectorAll('input, select, textarea, label').forEach(function (el) {
      ['name', 'id', 'for'].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v) { el.setAttribute(a, v.replace(/([.-])\d+([.-])/, '$1' + n + '$2')); }
      });
      if (el.tagName !== 'LABEL') { el.value = ''; }
    });
    copy.querySelectorAll('.field-error').forEach(function (el) { el.remove(); });
    copy.querySelectorAll('.invalid').forEach(function (el) { el.classList.remove('invalid'); });
    last.after(copy);
    var first = copy.querySelector('input:not([type="hidden"])');
    if (first) { first.focus(); }
  });
})();
