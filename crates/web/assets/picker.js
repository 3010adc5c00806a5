// aftersales: date and time pickers in the page's language (docs/field-widgets.md, "5. Date
// and time pickers"). A text input with `data-picker="date|time|datetime"` keeps its text
// (`YYYY-MM-DD`, `HH:MM` 24 h, `YYYY-MM-DD HH:MM`) and gets a button that opens a panel:
// a month of days and/or the hours and minutes of a 24-hour clock. Every word comes from
// the page ([data-picker-labels], or the input's own `data-picker-*`), never from the
// browser, so a zh-CN page shows Chinese and 14:30 whatever the browser's language is.
// Without script the input stays a text field with its placeholder and pattern.
(function () {
  'use strict';
  var KEYS = ['months', 'weekdays', 'title', 'today', 'now', 'clear', 'done', 'prev', 'next',
    'open-date', 'open-time', 'open-datetime', 'hour', 'minute'];

  function labels(input) {
    var src = document.querySelector('[data-picker-labels]');
    var out = {};
    KEYS.forEach(function (k) {
      out[k] = input.getAttribute('data-picker-' + k) || (src && src.getAttribute('data-' + k)) || '';
    });
    out.monthNames = out.months.split(',');
    out.weekdayNames = out.weekdays.split(',');
    return out;
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function iso(y, m, d) { return y + '-' + pad(m) + '-' + pad(d); }

  // What the input holds now: {y, m, d} and/or {h, min}, each null when absent.
  function read(input) {
    var v = (input.value || '').trim();
    var out = { date: null, time: null };
    var dm = v.match(/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})/);
    if (dm) { out.date = { y: +dm[1], m: +dm[2], d: +dm[3] }; }
    var tm = v.match(/(?:^|[ T])(\d{1,2})[:：](\d{2})$/);
    if (tm && +tm[1] < 24 && +tm[2] < 60) { out.time = { h: +tm[1], min: +tm[2] }; }
    return out;
  }

  function write(input, kind, date, time) {
    var d = date ? iso(date.y, date.m, date.d) : '';
    var t = time ? pad(time.h) + ':' + pad(time.min) : '';
    var v = kind === 'date' ? d : kind === 'time' ? t : (d && t ? d + ' ' + t : d || t);
    input.value = v;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function button(text, attrs, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { b.setAttribute(k, attrs[k]); });
    b.addEventListener('click', function (e) { e.preventDefault(); onClick(); });
    return b;
  }

  function today() {
    var n = new Date();
    return { y: n.getFullYear(), m: n.getMonth() + 1, d: n.getDate() };
  }

  function enhance(input) {
    if (input.hasAttribute('data-picker-ready')) { return; }
    input.setAttribute('data-picker-ready', '');
    var kind = input.getAttribute('data-picker');
    if (['date', 'time', 'datetime'].indexOf(kind) < 0) { return; }
    var L = labels(input);
    var wrap = document.createElement('span');
    wrap.className = 'picker';
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var panelId = (input.id || 'picker-' + Math.random().toString(36).slice(2)) + '-picker';
    var open = button(kind === 'time' ? '🕒' : '📅', {
      'class': 'picker-open secondary',
      'aria-label': L['open-' + kind],
      'aria-haspopup': 'dialog',
      'aria-expanded': 'false',
      'aria-controls': panelId,
      'data-picker-open': '',
    }, function () { if (panel.hidden) { show(); } else { hide(); } });
    wrap.appendChild(open);
    var panel = document.createElement('div');
    panel.className = 'picker-panel';
    panel.id = panelId;
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', L['open-' + kind]);
    panel.setAttribute('data-picker-panel', kind);
    wrap.appendChild(panel);

    var state = { view: null, date: null, time: null };

    function render() {
      panel.innerHTML = '';
      if (kind !== 'time') { panel.appendChild(month()); }
      if (kind !== 'date') { panel.appendChild(clock()); }
      var foot = document.createElement('div');
      foot.className = 'picker-foot';
      if (kind === 'time') {
        foot.appendChild(button(L.now, { 'data-picker-now': '' }, function () {
          var n = new Date();
          state.time = { h: n.getHours(), min: n.getMinutes() };
          write(input, kind, state.date, state.time);
          render();
        }));
      } else {
        foot.appendChild(button(L.today, { 'data-picker-today': '' }, function () {
          state.date = today();
          state.view = { y: state.date.y, m: state.date.m };
          pickDate();
        }));
      }
      foot.appendChild(button(L.clear, { 'data-picker-clear': '', 'class': 'secondary' }, function () {
        state.date = null;
        state.time = null;
        write(input, kind, null, null);
        hide();
      }));
      foot.appendChild(button(L.done, { 'data-picker-done': '', 'class': 'secondary' }, function () { hide(); }));
      panel.appendChild(foot);
    }

    function pickDate() {
      if (kind === 'datetime' && !state.time) { state.time = { h: 9, min: 0 }; }
      write(input, kind, state.date, state.time);
      if (kind === 'date') { hide(); } else { render(); }
    }

    function month() {
      var box = document.createElement('div');
      box.className = 'picker-month';
      var head = document.createElement('div');
      head.className = 'picker-head';
      var v = state.view;
      head.appendChild(button('‹', { 'aria-label': L.prev, 'data-picker-prev': '', 'class': 'secondary' }, function () {
        v.m -= 1; if (v.m < 1) { v.m = 12; v.y -= 1; } render(); focusFirst('[data-picker-prev]');
      }));
      var title = document.createElement('span');
      title.setAttribute('data-picker-title', '');
      title.setAttribute('aria-live', 'polite');
      title.textContent = L.title.replace('{year}', v.y).replace('{month}', L.monthNames[v.m - 1] || v.m);
      head.appendChild(title);
      head.appendChild(button('›', { 'aria-label': L.next, 'data-picker-next': '', 'class': 'secondary' }, function () {
        v.m += 1; if (v.m > 12) { v.m = 1; v.y += 1; } render(); focusFirst('[data-picker-next]');
      }));
      box.appendChild(head);
      var grid = document.createElement('div');
      grid.className = 'picker-grid';
      grid.setAttribute('role', 'group');
      L.weekdayNames.forEach(function (w) {
        var c = document.createElement('span');
        c.className = 'picker-wd';
        c.setAttribute('data-picker-weekday', '');
        c.textContent = w;
        grid.appendChild(c);
      });
      // Weeks start on Monday (the custom in China, and ISO 8601).
      var first = new Date(v.y, v.m - 1, 1).getDay();
      var lead = (first + 6) % 7;
      for (var i = 0; i < lead; i++) { grid.appendChild(document.createElement('span')); }
      var days = new Date(v.y, v.m, 0).getDate();
      var t = today();
      for (var d = 1; d <= days; d++) {
        (function (d) {
          var value = iso(v.y, v.m, d);
          var sel = state.date && state.date.y === v.y && state.date.m === v.m && state.date.d === d;
          var b = button(String(d), { 'data-picker-day': value, 'aria-label': value, 'aria-pressed': sel ? 'true' : 'false' }, function () {
            state.date = { y: v.y, m: v.m, d: d };
            pickDate();
          });
          if (t.y === v.y && t.m === v.m && t.d === d) { b.classList.add('today'); }
          grid.appendChild(b);
        })(d);
      }
      box.appendChild(grid);
      return box;
    }

    function clock() {
      var box = document.createElement('div');
      box.className = 'picker-clock';
      function group(label, attr, values, current, onPick) {
        var h = document.createElement('div');
        h.className = 'picker-label';
        h.textContent = label;
        box.appendChild(h);
        var g = document.createElement('div');
        g.className = 'picker-times';
        g.setAttribute('role', 'group');
        g.setAttribute('aria-label', label);
        values.forEach(function (n) {
          g.appendChild(button(pad(n), { ['data-picker-' + attr]: pad(n), 'aria-pressed': current === n ? 'true' : 'false' }, function () { onPick(n); }));
        });
        box.appendChild(g);
      }
      var hours = [];
      for (var h = 0; h < 24; h++) { hours.push(h); }
      var minutes = [];
      for (var m = 0; m < 60; m += 5) { minutes.push(m); }
      var cur = state.time;
      if (cur && minutes.indexOf(cur.min) < 0) { minutes.push(cur.min); minutes.sort(function (a, b) { return a - b; }); }
      group(L.hour, 'hour', hours, cur ? cur.h : null, function (n) {
        state.time = { h: n, min: state.time ? state.time.min : 0 };
        write(input, kind, state.date, state.time);
        render();
        focusFirst('[data-picker-minute]');
      });
      group(L.minute, 'minute', minutes, cur ? cur.min : null, function (n) {
        state.time = { h: state.time ? state.time.h : 9, min: n };
        write(input, kind, state.date, state.time);
        if (kind === 'time') { hide(); } else { render(); }
      });
      return box;
    }

    function focusFirst(sel) {
      var el = panel.querySelector(sel);
      if (el) { el.focus(); }
    }

    function show() {
      var now = read(input);
      state.date = now.date;
      state.time = now.time;
      var base = state.date || today();
      state.view = { y: base.y, m: base.m };
      render();
      panel.hidden = false;
      open.setAttribute('aria-expanded', 'true');
      focusFirst(kind === 'time' ? '[aria-pressed="true"], [data-picker-hour]' : '[data-picker-day][aria-pressed="true"], [data-picker-day]');
    }

    function hide() {
      if (panel.hidden) { return; }
      panel.hidden = true;
      open.setAttribute('aria-expanded', 'false');
      if (wrap.contains(document.activeElement) && document.activeElement !== input) { open.focus(); }
    }

    panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); hide(); open.focus(); }
    });
    document.addEventListener('click', function (e) {
      // A button of the panel re-drawn by its own click is no longer in the page: not outside.
      if (!panel.hidden && e.target.isConnected && !wrap.contains(e.target)) { hide(); }
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown' && e.altKey) { e.preventDefault(); show(); }
      if (e.key === 'Escape') { hide(); }
    });
  }

  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll('input[data-picker]').forEach(enhance);
  }
  window.aftersalesPicker = { init: init };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener('htmx:load', function (e) { init(e.target); });
})();
