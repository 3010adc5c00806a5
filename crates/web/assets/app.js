// aftersales: small behaviors shared by every page. No framework; htmx does the partial
// updates. Sends the CSRF token with every htmx request.
(function () {
  'use strict';
  document.addEventListener('htmx:configRequest', function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { e.detail.headers['X-CSRF-Token'] = meta.content; }
  });
  // Inside [data-swap-errors] (the dispatch board), a refusal (409, 422) is a page with
  // the message beside the control: show it like any other answer.
  document.addEventListener('htmx:beforeSwap', function (e) {
    var status = e.detail.xhr && e.detail.xhr.status;
    var target = e.detail.target;
    if ((status === 409 || status === 422) && target && target.closest && target.closest('[data-swap-errors]')) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
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
  // The menu's areas on wide screens: a button opens its area's links (one at a time);
  // a click elsewhere or Escape closes it. On narrow screens every area is listed open.
  function closeNavGroups(except) {
    document.querySelectorAll('[data-nav-group].open').forEach(function (g) {
      if (g === except) { return; }
      g.classList.remove('open');
      var b = g.querySelector('.nav-group-btn');
      if (b) { b.setAttribute('aria-expanded', 'false'); }
    });
  }
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('.nav-group-btn');
    if (!btn) {
      if (!e.target.closest('[data-nav-group]')) { closeNavGroups(null); }
      return;
    }
    var g = btn.closest('[data-nav-group]');
    closeNavGroups(g);
    var open = g.classList.toggle('open');
    btn.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { closeNavGroups(null); }
  });
  // Enter in a search box opens the first result instead of searching again.
  document.addEventListener('keydown', function (e) {
    var input = e.target.closest && e.target.closest('[data-enter-opens-first]');
    if (!input || e.key !== 'Enter') { return; }
    var first = document.querySelector(input.getAttribute('data-enter-opens-first'));
    // Results for another query (typed faster than they arrive) are not the ones meant:
    // with `data-enter-open`, the server opens the first hit of what is typed now.
    var box = input.getAttribute('data-results') && document.querySelector(input.getAttribute('data-results'));
    var current = !box || (box.getAttribute('data-q') || '').trim() === input.value.trim();
    if (first && current) { e.preventDefault(); window.location.href = first.href; return; }
    var open = input.getAttribute('data-enter-open');
    if (open && input.value.trim()) { e.preventDefault(); window.location.href = open + encodeURIComponent(input.value.trim()); }
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
    copy.querySelectorAll('.region-results').forEach(function (el) { el.innerHTML = ''; });
    // A copied region cascade is built anew for the new row (empty).
    copy.querySelectorAll('.region-cascade').forEach(function (el) { el.innerHTML = ''; el.hidden = true; });
    copy.querySelectorAll('[data-region-cascade]').forEach(function (el) { el.removeAttribute('data-cascade-ready'); });
    if (window.regionCascades) { window.regionCascades(copy); }
    copy.querySelectorAll('.invalid').forEach(function (el) { el.classList.remove('invalid'); });
    last.after(copy);
    var first = copy.querySelector('input:not([type="hidden"])');
    if (first) { first.focus(); }
  });
  // After a refusal, the summary naming each refused field ([data-error-summary], at the
  // top of the page) is where the eye is: scrolled into view and focused.
  function showErrorSummary() {
    var box = document.querySelector('[data-error-summary]');
    if (!box) { return; }
    box.scrollIntoView({ block: 'start' });
    box.focus({ preventScroll: true });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', showErrorSummary);
  } else {
    showErrorSummary();
  }
  // A code picker (an input with a datalist and [data-code-name]) names the chosen code.
  document.addEventListener('input', function (e) {
    var input = e.target.closest && e.target.closest('[data-code-name]');
    if (!input || !input.list) { return; }
    var out = document.querySelector(input.getAttribute('data-code-name'));
    if (!out) { return; }
    var name = '';
    Array.prototype.forEach.call(input.list.options, function (o) {
      if (o.value === input.value.trim()) { name = o.label; }
    });
    out.textContent = name;
  });
})();

// Region pickers (GB/T 2260): choosing a province fills the cities, a city the districts,
// from /regions.json; typing a name or code in a [data-region-search] box offers matches.
// In a form with [data-region-chosen], a match is kept there and named below the box;
// with [data-fill-code], the box itself takes the code.
(function () {
  'use strict';
  function regions(params) {
    return fetch('/regions.json?' + new URLSearchParams(params), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; });
  }
  function resetSelect(sel) {
    while (sel.options.length > 1) { sel.remove(1); }
    sel.value = '';
    sel.disabled = true;
  }
  function clearChosen(picker) {
    var hidden = picker.querySelector('[data-region-chosen]');
    var text = picker.querySelector('[data-region-chosen-text]');
    if (hidden) { hidden.value = ''; }
    if (text) { text.textContent = ''; }
  }
  document.addEventListener('change', function (e) {
    var sel = e.target.closest && e.target.closest('select[data-region-next]');
    if (!sel) { return; }
    var picker = sel.closest('[data-region-picker]');
    if (!picker) { return; }
    clearChosen(picker);
    // Empty every level below this one.
    var next = picker.querySelector('#' + sel.getAttribute('data-region-next'));
    var below = next;
    while (below) {
      resetSelect(below);
      var id = below.getAttribute('data-region-next');
      below = id ? picker.querySelector('#' + id) : null;
    }
    if (!sel.value || !next) { return; }
    regions({ parent: sel.value }).then(function (items) {
      items.forEach(function (r) { next.add(new Option(r.name, r.code)); });
      next.disabled = items.length === 0;
      next.setAttribute('data-loaded', sel.value);
    });
  });
  function choose(picker, box, code, fullName) {
    var list = picker.querySelector('.region-results');
    if (list) { list.innerHTML = ''; }
    if (box.hasAttribute('data-fill-code')) { box.value = code; return; }
    var hidden = picker.querySelector('[data-region-chosen]');
    var text = picker.querySelector('[data-region-chosen-text]');
    if (hidden) { hidden.value = code; }
    if (text) { text.textContent = (picker.getAttribute('data-chosen-label') || '') + fullName + ' ' + code; }
    box.value = fullName;
  }
  var timer = null;
  document.addEventListener('input', function (e) {
    var box = e.target.closest && e.target.closest('[data-region-search]');
    if (!box) { return; }
    var picker = box.closest('[data-region-picker]');
    var list = picker && picker.querySelector('.region-results');
    if (!list) { return; }
    clearTimeout(timer);
    var q = box.value.trim();
    if (!q || /^[0-9]{6}$/.test(q) && box.hasAttribute('data-fill-code')) { list.innerHTML = ''; return; }
    timer = setTimeout(function () {
      regions({ q: q, limit: 8 }).then(function (items) {
        if (box.value.trim() !== q) { return; }
        list.innerHTML = '';
        items.forEach(function (r) {
          var li = document.createElement('li');
          var b = document.createElement('button');
          b.type = 'button';
          b.setAttribute('data-code', r.code);
          b.textContent = r.full_name + ' ' + r.code;
          b.addEventListener('click', function () { choose(picker, box, r.code, r.full_name); });
          li.appendChild(b);
          list.appendChild(li);
        });
      });
    }, 200);
  });
  // Enter in the search box takes the first match instead of sending the form.
  document.addEventListener('keydown', function (e) {
    var box = e.target.closest && e.target.closest('[data-region-search]');
    if (!box || e.key !== 'Enter') { return; }
    var first = box.closest('[data-region-picker]').querySelector('.region-results button');
    if (first) { e.preventDefault(); first.click(); }
  });
})();

// Region cascades (issue 13, defect 17): in a [data-region-cascade] picker, a province →
// city → district select in the page's words is built above the region code box; the
// deepest choice fills the box, which is what the form posts. The selects have no name:
// without script the box stays, with its plain-language hint.
(function () {
  'use strict';
  function regions(parent) {
    return fetch('/regions.json?' + new URLSearchParams({ parent: parent }), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; });
  }
  // The part of a code that its region's subregions start with (210100 → 2101).
  function stem(code) { return code.replace(/(00)+$/, ''); }
  function build(picker) {
    if (picker.hasAttribute('data-cascade-ready')) { return; }
    picker.setAttribute('data-cascade-ready', '');
    var box = picker.querySelector('input[data-region-search]');
    var holder = picker.querySelector('.region-cascade');
    if (!box || !holder) { return; }
    var words = (picker.getAttribute('data-levels') || '||').split('|');
    var choose = picker.getAttribute('data-choose') || '';
    var selects = words.map(function (w, i) {
      var label = document.createElement('label');
      label.className = 'region-level';
      var span = document.createElement('span');
      span.textContent = w;
      var sel = document.createElement('select');
      sel.setAttribute('data-level', String(i));
      sel.add(new Option(choose, ''));
      sel.disabled = i > 0;
      label.appendChild(span);
      label.appendChild(sel);
      holder.appendChild(label);
      return sel;
    });
    holder.hidden = false;
    function fill(level, parent, want) {
      var sel = selects[level];
      if (!sel) { return Promise.resolve(); }
      while (sel.options.length > 1) { sel.remove(1); }
      return regions(parent).then(function (items) {
        items.forEach(function (r) { sel.add(new Option(r.name, r.code)); });
        sel.disabled = items.length === 0;
        if (!want) { return; }
        var hit = items.find(function (r) { return stem(r.code) && want.indexOf(stem(r.code)) === 0; });
        if (hit) {
          sel.value = hit.code;
          if (hit.code !== want) { return fill(level + 1, hit.code, want); }
        }
      });
    }
    selects.forEach(function (sel, i) {
      sel.addEventListener('change', function () {
        for (var j = i + 1; j < selects.length; j++) {
          while (selects[j].options.length > 1) { selects[j].remove(1); }
          selects[j].disabled = true;
        }
        var chosen = sel.value || (i > 0 ? selects[i - 1].value : '');
        box.value = chosen;
        if (sel.value) { fill(i + 1, sel.value, null); }
      });
    });
    var current = box.value.trim();
    fill(0, '', /^[0-9]{6}$/.test(current) ? current : null);
  }
  function all(root) {
    (root || document).querySelectorAll('[data-region-cascade]').forEach(build);
  }
  window.regionCascades = all;
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { all(); });
  } else {
    all();
  }
})();

// A keyboard shortcut files a form marked [data-submit-shortcut]: Ctrl+Enter (⌘+Enter on
// a Mac), from any field of it.
(function () {
  'use strict';
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) { return; }
    var form = e.target.closest && e.target.closest('form[data-submit-shortcut]');
    if (!form) { return; }
    e.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();

// Behaviors that used to be inline (`onchange=`, `onclick=`, `style=`): the Content
// Security Policy allows no inline script or style, so they live here.
(function () {
  'use strict';
  // A select that files its form when changed (filters of lists).
  document.addEventListener('change', function (e) {
    var el = e.target.closest && e.target.closest('[data-autosubmit]');
    if (el && el.form) { el.form.submit(); }
  });
  // A print button.
  document.addEventListener('click', function (e) {
    if (e.target.closest && e.target.closest('[data-print]')) { window.print(); }
  });
  // Blocks of the dispatch board's day line: their place comes as data attributes and is
  // set through the CSSOM (allowed by the policy, unlike a style attribute).
  function place(root) {
    var els = (root || document).querySelectorAll ? (root || document).querySelectorAll('[data-left][data-width]') : [];
    els.forEach(function (el) {
      el.style.setProperty('--l', el.getAttribute('data-left') + '%');
      el.style.setProperty('--w', el.getAttribute('data-width') + '%');
    });
  }
  document.addEventListener('DOMContentLoaded', function () { place(document); });
  document.addEventListener('htmx:load', function (e) { place(e.target); });
  // The dispatch board refreshes itself every 30 s, unless someone is working in it (a
  // field has focus or a panel is open).
  window.setInterval(function () {
    var board = document.querySelector('[data-refresh-every]');
    if (!board || !window.htmx) { return; }
    if (document.querySelector('#board :focus, #board details[open]')) { return; }
    window.htmx.trigger(board, 'board-refresh');
  }, 30000);
})();

// A destructive action asks first: a form (or its submit button) with `data-confirm="…"`
// opens a dialog with that question and the buttons `data-confirm-ok` / `data-confirm-cancel`
// (texts from the template, in the page's language; never the browser's own words). Only
// "OK" sends the form, with the same button. Without script the form is sent at once (the
// actions that cannot be confirmed without script can be undone: docs/decisions.md).
(function () {
  'use strict';
  var confirmed = null;
  function ask(source, onOk) {
    var dlg = document.createElement('dialog');
    dlg.className = 'confirm-dialog';
    dlg.setAttribute('data-confirm-dialog', '');
    dlg.setAttribute('aria-labelledby', 'confirm-dialog-text');
    var p = document.createElement('p');
    p.id = 'confirm-dialog-text';
    p.textContent = source.getAttribute('data-confirm');
    dlg.appendChild(p);
    var row = document.createElement('div');
    row.className = 'actions';
    var ok = document.createElement('button');
    ok.type = 'button';
    ok.className = 'danger';
    ok.setAttribute('data-confirm-yes', '');
    ok.textContent = source.getAttribute('data-confirm-ok') || 'OK';
    var no = document.createElement('button');
    no.type = 'button';
    no.className = 'secondary';
    no.setAttribute('data-confirm-no', '');
    no.textContent = source.getAttribute('data-confirm-cancel') || '×';
    row.appendChild(no);
    row.appendChild(ok);
    dlg.appendChild(row);
    document.body.appendChild(dlg);
    function close() { dlg.close(); dlg.remove(); }
    no.addEventListener('click', close);
    dlg.addEventListener('cancel', function () { dlg.remove(); });
    ok.addEventListener('click', function () { close(); onOk(); });
    dlg.showModal();
    no.focus();
  }
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var btn = e.submitter || null;
    var source = (btn && btn.hasAttribute('data-confirm')) ? btn : (form.hasAttribute('data-confirm') ? form : null);
    if (!source || confirmed === form) { confirmed = null; return; }
    e.preventDefault();
    e.stopImmediatePropagation();
    ask(source, function () {
      confirmed = form;
      if (form.requestSubmit) { form.requestSubmit(btn || undefined); } else { form.submit(); }
    });
  }, true);
})();
