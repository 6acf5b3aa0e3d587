/**
 * The console's look and its one script. The pages are rendered by the service; the script fills them from the
 * JSON API (/api/v1/…) with the session cookie and the CSRF header, so the console goes through exactly the
 * API's role, ward-scope and audit checks. Charts are drawn by uPlot, served from node_modules.
 */

export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f7f5;color:#1b1b1b;font-size:16px}
header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:10px 16px;background:#0b6b3a;color:#fff}
header a{color:#fff}
.brand{font-weight:700;text-decoration:none;font-size:1.1rem}
nav{display:flex;flex-wrap:wrap;gap:4px 12px;flex:1}
nav a{padding:6px 4px;text-decoration:none;border-bottom:2px solid transparent}
nav a[aria-current=page]{border-bottom-color:#fff;font-weight:600}
.tools{display:flex;gap:12px;align-items:center}
.tools form{margin:0}
.tools button{background:transparent;color:#fff;border:1px solid #fff;border-radius:6px;padding:6px 10px;font:inherit;cursor:pointer}
main{max-width:1200px;margin:0 auto;padding:16px}
main.narrow{max-width:460px;padding-top:40px}
h1{font-size:1.4rem;margin:.2em 0 .6em}
h2{font-size:1.05rem;margin:.4em 0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
label{display:block;margin:8px 0 4px;font-weight:600}
input,select,textarea{font:inherit;padding:8px;border:1px solid #9aa;border-radius:6px;max-width:100%}
button{font:inherit;padding:8px 14px;border-radius:6px;border:0;background:#0b6b3a;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b6b3a;border:1px solid #0b6b3a}
.card{background:#fff;border-radius:10px;padding:14px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
form.card input{width:100%;margin-bottom:12px}
.range{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:flex-end;margin-bottom:12px}
.range label{margin:0;font-weight:400}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-bottom:16px}
.cards span{display:block;color:#444;font-size:.9rem}
.cards b{font-size:1.6rem}
.pair{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:16px;margin-bottom:20px;align-items:start}
@media (max-width:760px){.pair{grid-template-columns:minmax(0,1fr)}}
.chart{background:#fff;border-radius:10px;padding:6px;min-height:240px;overflow:hidden}
.scroll{overflow-x:auto;max-height:420px}
.scroll.tall{max-height:none}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem}
th,td{padding:6px 8px;border-bottom:1px solid #e3e6e4;text-align:left;vertical-align:top;overflow-wrap:break-word}
td:first-child{white-space:nowrap}
table.wrap td:first-child{white-space:normal;min-width:12em}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
.range .inline,.range>a{align-self:center}
.error{color:#a00;font-weight:600}
.muted{color:#555}
textarea{width:100%}
.form-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:8px 16px;align-items:end}
.form-grid input,.form-grid textarea,.form-grid select{width:100%}
fieldset{border:1px solid #cfd8d3;border-radius:8px;margin:12px 0;padding:8px 12px}
label.inline{display:inline-block;font-weight:400;margin-right:8px}
td input,td select{width:100%;min-width:120px}
td form{margin:0}
.bar{height:22px;background:#dde5e0;border-radius:11px;overflow:hidden}
.bar>div{height:100%;background:#0b6b3a;width:0}
.opt{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;margin:6px 0}
.opt label{display:inline;margin:0;font-weight:400}
.opt input[type=radio]{width:1.2em;height:1.2em;margin:0}
@media (max-width:700px){
table.cards-sm thead{display:none}
table.cards-sm tr{display:block;border-bottom:2px solid #cfd8d3;padding:6px 0}
table.cards-sm td{display:block;border:0;padding:3px 8px}
table.cards-sm td.n{text-align:left}
table.cards-sm td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
}
`;

export const CONSOLE_SCRIPT = `'use strict';
(function () {
  var S = JSON.parse(document.getElementById('console-strings').textContent);
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var main = document.querySelector('main');
  var lang = document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN';
  var nf = new Intl.NumberFormat(lang);

  function api(method, url, body) {
    var opts = { method: method, headers: { 'x-csrf-token': CSRF, accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) { opts.headers['content-type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (!r.ok) { var e = new Error((data && data.error && data.error.message) || r.statusText); e.status = r.status; throw e; }
        return data;
      });
    });
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function table(node, heads, rows, textCols) {
    node.textContent = '';
    var num = function (i) { return i > 0 && !textCols; };
    var tr = el('tr', {}, heads.map(function (h, i) { return el('th', { text: h, scope: 'col', class: num(i) ? 'n' : '' }); }));
    node.appendChild(el('thead', {}, [tr]));
    node.appendChild(el('tbody', {}, rows.map(function (r) {
      return el('tr', {}, r.map(function (c, i) { return el('td', { text: String(c), class: num(i) ? 'n' : '' }); }));
    })));
  }
  function fail(node, err) {
    node.textContent = '';
    node.appendChild(el('p', { class: 'error', role: 'alert', text: err && err.status === 403 ? S.forbidden : S.failed + ' ' + (err && err.message || '') }));
  }
  window.khaibaoConsole = { api: api, el: el, table: table, fail: fail, S: S, nf: nf };

  // Overview: the numbers in tables beside the charts.
  function overview() {
    var box = document.getElementById('overview');
    var from = box.dataset.from, to = box.dataset.to;
    // Days are Vietnam's (UTC+7): [from 00:00, the day after 'to' 00:00).
    var start = new Date(from + 'T00:00:00+07:00');
    var end = new Date(new Date(to + 'T00:00:00+07:00').getTime() + 86400000);
    api('GET', '/api/v1/stats?from=' + encodeURIComponent(start.toISOString()) + '&to=' + encodeURIComponent(end.toISOString()))
      .then(function (s) {
        document.getElementById('n-declarations').textContent = nf.format(s.declarations);
        document.getElementById('n-symptomatic').textContent = nf.format(s.symptomatic);
        document.getElementById('n-checkins').textContent = nf.format(s.checkins);
        document.getElementById('n-alerts-sent').textContent = nf.format(s.alerts.sent);
        document.getElementById('n-alerts-ack').textContent = nf.format(s.alerts.acknowledged);
        table(document.getElementById('table-daily'), [S.date, S.declarations, S.symptomatic, S.checkins],
          s.daily.map(function (d) { return [d.date, nf.format(d.declarations), nf.format(d.symptomatic), nf.format(d.checkins)]; }));
        table(document.getElementById('table-wards'), [S.ward, S.symptomatic],
          s.symptomaticByWard.map(function (w) { return [w.wardName || S.no_ward, nf.format(w.count)]; }));
        drawDaily(s.daily);
        drawWards(s.symptomaticByWard);
        document.body.dataset.ready = '1';
      })
      .catch(function (e) { fail(box, e); document.body.dataset.ready = '1'; });
  }
  function width(node) { return Math.max(280, node.clientWidth - 12); }
  function drawDaily(daily) {
    var node = document.getElementById('chart-daily');
    var xs = daily.map(function (d) { return Date.parse(d.date + 'T00:00:00+07:00') / 1000; });
    var data = [xs, daily.map(function (d) { return d.declarations; }), daily.map(function (d) { return d.symptomatic; }), daily.map(function (d) { return d.checkins; })];
    var plot = new uPlot({
      width: width(node), height: 260, tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Asia/Ho_Chi_Minh'); },
      series: [{ label: S.date }, { label: S.declarations, stroke: '#0b6b3a', width: 2 }, { label: S.symptomatic, stroke: '#c0392b', width: 2 }, { label: S.checkins, stroke: '#2c6fbb', width: 2 }],
      axes: [{}, { size: 50 }]
    }, data, node);
    window.addEventListener('resize', function () { plot.setSize({ width: width(node), height: 260 }); });
  }
  function drawWards(wards) {
    var node = document.getElementById('chart-wards');
    if (wards.length === 0) { node.appendChild(el('p', { class: 'muted', text: S.empty })); return; }
    var top = wards.slice(0, 12);
    var names = top.map(function (w) { return w.wardName || S.no_ward; });
    var plot = new uPlot({
      width: width(node), height: 260,
      scales: { x: { time: false, range: [-0.5, top.length - 0.5] }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      series: [{ label: S.ward, value: function (u, v) { return v == null ? '' : names[v] || ''; } }, { label: S.symptomatic, fill: 'rgba(192,57,43,.6)', stroke: '#c0392b', paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }],
      axes: [{ values: function (u, vals) { return vals.map(function (v) { return names[v] || ''; }); }, incrs: [1] }, { size: 50 }]
    }, [top.map(function (_, i) { return i; }), top.map(function (w) { return w.count; })], node);
    window.addEventListener('resize', function () { plot.setSize({ width: width(node), height: 260 }); });
  }

  function vnInput(iso) { return new Date(Date.parse(iso) + 7 * 3600000).toISOString().slice(0, 16); }
  function fromVnInput(v) { return v ? new Date(v + ':00+07:00').toISOString() : undefined; }
  function fmt(iso) { return iso ? new Date(iso).toLocaleString(lang, { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short', timeStyle: 'short' }) : '—'; }

  // Follow-up: the ward list the API gives this official (its ward scope), status and note per resident.
  function followups() {
    var form = document.getElementById('fu-filter');
    var tbl = document.getElementById('fu-table');
    var wardSel = form.elements.wardCode;
    var known = {};
    function load() {
      var q = [];
      if (wardSel.value) q.push('wardCode=' + encodeURIComponent(wardSel.value));
      if (form.elements.status.value) q.push('status=' + encodeURIComponent(form.elements.status.value));
      api('GET', '/api/v1/followups' + (q.length ? '?' + q.join('&') : '')).then(function (list) {
        list.forEach(function (f) {
          if (f.wardCode && !known[f.wardCode]) { known[f.wardCode] = 1; wardSel.appendChild(el('option', { value: f.wardCode, text: f.wardName || f.wardCode })); }
        });
        document.getElementById('fu-count').textContent = S.shown.replace('{{n}}', nf.format(list.length));
        tbl.textContent = '';
        tbl.appendChild(el('thead', {}, [el('tr', {}, [S.name, S.phone, S.ward, S.reasons, S.since, S.status_col, S.note_col, ''].map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
        tbl.appendChild(el('tbody', {}, list.map(row)));
        document.body.dataset.ready = '1';
      }).catch(function (e) { fail(tbl, e); document.body.dataset.ready = '1'; });
    }
    function row(f) {
      var sel = el('select', { 'aria-label': S.status_col + ' ' + f.name }, Object.keys(S.status).map(function (k) {
        var o = el('option', { value: k, text: S.status[k] }); if (k === f.status) o.selected = true; return o;
      }));
      var note = el('input', { type: 'text', maxlength: '2000', 'aria-label': S.note_col + ' ' + f.name });
      note.value = f.note || '';
      var save = el('button', { type: 'submit', text: S.save });
      var msg = el('span', { class: 'muted', 'aria-live': 'polite' });
      var fm = el('form', {}, [save, ' ', msg]);
      fm.addEventListener('submit', function (ev) {
        ev.preventDefault();
        api('PATCH', '/api/v1/followups/' + f.personId, { status: sel.value, note: note.value || undefined })
          .then(function () { msg.textContent = S.saved; }).catch(function (e) { msg.textContent = S.failed + ' ' + e.message; });
      });
      var cells = [el('td', { text: f.name, class: 'name' }), el('td', { text: f.phone || '—', 'data-label': S.phone }), el('td', { text: f.wardName || S.no_ward, 'data-label': S.ward }),
        el('td', { text: f.reasons.map(function (r) { return S.reason[r] || r; }).join(', '), 'data-label': S.reasons }), el('td', { text: fmt(f.since), 'data-label': S.since }),
        el('td', {}, [sel]), el('td', {}, [note]), el('td', {}, [fm].concat(S.mayRecordCases ? [el('a', { href: '/console/cases?personId=' + f.personId, text: S.record_case })] : []))];
      return el('tr', { 'data-person': f.personId }, cells);
    }
    form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    load();
  }

  // Cases: preview (dry run), trim or remove windows, then record and alert; contacts with their alert state.
  function cases() {
    var form = document.getElementById('case-form');
    var prev = document.getElementById('case-preview');
    var wtbl = document.getElementById('case-windows');
    var body;
    function input() {
      var f = form.elements, b = {};
      if (f.personId) b.personId = f.personId.value; else b.phone = f.phone.value;
      if (f.onsetAt.value) b.onsetAt = fromVnInput(f.onsetAt.value);
      if (f.testedAt.value) b.testedAt = fromVnInput(f.testedAt.value);
      if (f.note.value) b.note = f.note.value;
      return b;
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      body = input();
      api('POST', '/api/v1/cases', Object.assign({ dryRun: true }, body)).then(function (r) {
        prev.hidden = false;
        document.getElementById('case-summary').textContent = (r.personFound ? '' : S.person_not_found + ' ') +
          S.preview_summary.replace('{{windows}}', r.exposureWindows).replace('{{contacts}}', r.contacts)
            .replace('{{from}}', fmt(r.infectiousFrom)).replace('{{to}}', fmt(r.infectiousTo));
        wtbl.textContent = '';
        wtbl.appendChild(el('thead', {}, [el('tr', {}, [S.venue, S.from, S.to, S.close_contacts, S.casual_contacts, S.remove].map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
        wtbl.appendChild(el('tbody', {}, r.windows.map(function (w) {
          var from = el('input', { type: 'datetime-local', name: 'from', 'aria-label': S.from + ' ' + w.venueName }); from.value = vnInput(w.from);
          var to = el('input', { type: 'datetime-local', name: 'to', 'aria-label': S.to + ' ' + w.venueName }); to.value = vnInput(w.to);
          var rm = el('input', { type: 'checkbox', name: 'remove', 'aria-label': S.remove + ' ' + w.venueName });
          return el('tr', { 'data-venue': w.venueId }, [el('td', { text: w.venueName }), el('td', {}, [from]), el('td', {}, [to]),
            el('td', { class: 'n', text: String(w.closeContacts) }), el('td', { class: 'n', text: String(w.casualContacts) }), el('td', {}, [rm])]);
        })));
        document.body.dataset.preview = '1';
      }).catch(function (e) { prev.hidden = false; fail(document.getElementById('case-summary'), e); });
    });
    document.getElementById('case-send').addEventListener('click', function () {
      var windows = [], excluded = [];
      wtbl.querySelectorAll('tbody tr').forEach(function (tr) {
        var v = tr.dataset.venue;
        if (tr.querySelector('[name=remove]').checked) { excluded.push(v); return; }
        windows.push({ venueId: v, from: fromVnInput(tr.querySelector('[name=from]').value), to: fromVnInput(tr.querySelector('[name=to]').value) });
      });
      var b = Object.assign({}, body, { windows: windows });
      if (excluded.length) b.excludeVenueIds = excluded;
      api('POST', '/api/v1/cases', b).then(function (r) {
        document.getElementById('case-result').hidden = false;
        document.getElementById('case-send').disabled = true;
        document.getElementById('case-result-summary').textContent = S.case_recorded.replace('{{windows}}', r.exposureWindows)
          .replace('{{contacts}}', r.contacts).replace('{{alerts}}', r.alertsQueued);
        if (r.id) contacts(r.id);
      }).catch(function (e) { fail(document.getElementById('case-result-summary'), e); document.getElementById('case-result').hidden = false; });
    });
    function contacts(id) {
      api('GET', '/api/v1/cases/' + id + '/contacts').then(function (c) {
        var alerted = c.contacts.filter(function (x) { return x.alertedAt; }).length;
        var acked = c.contacts.filter(function (x) { return x.acknowledgedAt; }).length;
        var sum = document.getElementById('case-result-summary');
        sum.textContent += ' ' + S.contacts_state.replace('{{alerted}}', alerted).replace('{{acknowledged}}', acked).replace('{{total}}', c.contacts.length);
        sum.dataset.alerted = String(alerted);
        table(document.getElementById('case-contacts'), [S.name, S.venue, S.exposed, S.alerted, S.acknowledged],
          c.contacts.map(function (x) { return [x.fullName, x.venueName || (x.household ? S.household : '—'), fmt(x.exposedAt), fmt(x.alertedAt), fmt(x.acknowledgedAt)]; }), true);
        var rows = [[S.name, S.phone, S.venue, S.exposed, S.alerted, S.acknowledged]].concat(c.contacts.map(function (x) {
          return [x.fullName, x.phone || '', x.venueName || '', fmt(x.exposedAt), fmt(x.alertedAt), fmt(x.acknowledgedAt)];
        }));
        var csv = '\\ufeff' + rows.map(function (r) { return r.map(function (v) { return '"' + String(v).replace(/"/g, '""') + '"'; }).join(','); }).join('\\r\\n');
        var a = el('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: 'contacts-' + id + '.csv', id: 'case-export', text: S.export_csv });
        document.getElementById('case-result').appendChild(el('p', {}, [a]));
        document.body.dataset.recorded = '1';
      }).catch(function (e) { fail(document.getElementById('case-contacts'), e); });
    }
  }

  // Broadcasts: compose, recipient count, progress by polling, cancel.
  function broadcasts() {
    var form = document.getElementById('bc-form');
    var f = form.elements;
    var wards = [];
    var current;
    function audienceCodes() {
      var aud = form.querySelector('[name=aud]:checked').value;
      if (aud === 'district') return wards.filter(function (w) { return w.districtCode === f.district.value; }).map(function (w) { return w.code; });
      if (aud === 'wards') return Array.prototype.map.call(f.wards.selectedOptions, function (o) { return o.value; });
      return null;
    }
    function count() {
      var codes = audienceCodes();
      var out = document.getElementById('bc-count');
      if (codes && codes.length === 0) { out.textContent = S.recipients.replace('{{n}}', 0); return; }
      api('GET', '/api/v1/broadcasts/recipients' + (codes ? '?wardCodes=' + codes.join(',') : '')).then(function (c) {
        out.textContent = S.recipients.replace('{{n}}', nf.format(c.total - c.unreachable));
        out.dataset.n = String(c.total - c.unreachable);
      }).catch(function (e) { fail(out, e); });
    }
    api('GET', '/api/v1/wards').then(function (list) {
      wards = list; var seen = {};
      list.forEach(function (w) {
        f.wards.appendChild(el('option', { value: w.code, text: w.name + (w.districtName ? ' — ' + w.districtName : '') }));
        if (w.districtCode && !seen[w.districtCode]) { seen[w.districtCode] = 1; f.district.appendChild(el('option', { value: w.districtCode, text: w.districtName || w.districtCode })); }
      });
    });
    form.addEventListener('change', count);
    count();
    function list() {
      api('GET', '/api/v1/broadcasts').then(function (r) {
        table(document.getElementById('bc-list'), [S.scheduled, S.status_col, S.count],
          r.broadcasts.map(function (b) { return [fmt(b.scheduledAt), S.bc_status[b.status] || b.status, b.total == null ? '—' : nf.format(b.total)]; }), true);
      });
    }
    function poll() {
      if (!current) return;
      api('GET', '/api/v1/broadcasts/' + current).then(function (b) {
        var done = b.total ? b.total - b.pending : 0;
        var pct = b.total ? Math.round((100 * done) / b.total) : (b.status === 'done' ? 100 : 0);
        var bar = document.querySelector('#bc-progress .bar');
        bar.setAttribute('aria-valuenow', String(pct));
        bar.firstChild.style.width = pct + '%';
        document.getElementById('bc-progress-text').textContent = pct + ' % · ' + (S.bc_status[b.status] || b.status) + ' · ' +
          S.bc_counts.replace('{{sent}}', b.sent).replace('{{total}}', b.total || 0).replace('{{failed}}', b.failed)
            .replace('{{unreachable}}', b.unreachable).replace('{{cancelled}}', b.cancelled);
        if (b.status === 'done' || b.status === 'cancelled') { document.getElementById('bc-cancel').hidden = true; current = null; list(); return; }
        setTimeout(poll, 1000);
      }).catch(function () { setTimeout(poll, 3000); });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var codes = audienceCodes();
      if (codes && codes.length === 0) return;
      api('POST', '/api/v1/broadcasts', { text: f.text.value, audience: codes ? { wardCodes: codes } : { all: true }, scheduledAt: fromVnInput(f.scheduledAt.value) }).then(function (b) {
        current = b.id;
        document.getElementById('bc-progress').hidden = false;
        document.getElementById('bc-cancel').hidden = false;
        form.reset(); count(); list(); poll();
      }).catch(function (e) { fail(document.getElementById('bc-count'), e); });
    });
    document.getElementById('bc-cancel').addEventListener('click', function () {
      if (current) api('POST', '/api/v1/broadcasts/' + current + '/cancel').then(poll);
    });
    list();
  }

  // Venues: filter by ward (API) and name (here), poster and visits CSV downloads (the API's, with the session).
  function venues() {
    var form = document.getElementById('vn-filter');
    var f = form.elements;
    var tbl = document.getElementById('vn-table');
    var all = [];
    var today = new Date(Date.now() + 7 * 3600000).toISOString().slice(0, 10);
    f.to.value = today;
    f.from.value = new Date(Date.parse(today) - 13 * 86400000).toISOString().slice(0, 10);
    api('GET', '/api/v1/wards').then(function (list) {
      list.forEach(function (w) { f.wardCode.appendChild(el('option', { value: w.code, text: w.name })); });
    }).catch(function () {});
    function fold(s) { return (s || '').normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'd').toLowerCase(); }
    function render() {
      var q = fold(f.q.value.trim());
      var shown = all.filter(function (v) { return !q || fold(v.name).indexOf(q) >= 0 || fold(v.code).indexOf(q) >= 0 || fold(v.address).indexOf(q) >= 0; });
      document.getElementById('vn-count').textContent = S.vn_shown.replace('{{n}}', nf.format(shown.length));
      var from = new Date(f.from.value + 'T00:00:00+07:00').toISOString();
      var to = new Date(Date.parse(f.to.value + 'T00:00:00+07:00') + 86400000).toISOString();
      tbl.textContent = '';
      tbl.appendChild(el('thead', {}, [el('tr', {}, [S.venue, S.vn_code, S.vn_address, S.vn_files].map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
      tbl.appendChild(el('tbody', {}, shown.map(function (v) {
        var base = '/api/v1/venues/' + v.id;
        return el('tr', {}, [el('td', { text: v.name + (v.closed ? ' (' + S.vn_closed + ')' : '') }), el('td', { text: v.code, 'data-label': S.vn_code }),
          el('td', { text: v.address || '—', 'data-label': S.vn_address }),
          el('td', {}, [el('a', { href: base + '/poster.png', download: 'poster-' + v.code + '.png', text: S.vn_poster_png }), ' · ',
            el('a', { href: base + '/poster.pdf', target: '_blank', rel: 'noopener', text: S.vn_poster_pdf }), ' · ',
            el('a', { href: base + '/visits.csv?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to), download: 'visits-' + v.code + '.csv', text: S.vn_visits })])]);
      })));
      document.body.dataset.ready = '1';
    }
    function load() {
      api('GET', '/api/v1/venues?limit=1000' + (f.wardCode.value ? '&wardCode=' + encodeURIComponent(f.wardCode.value) : ''))
        .then(function (r) { all = r.venues; render(); })
        .catch(function (e) { fail(tbl, e); document.body.dataset.ready = '1'; });
    }
    form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    f.q.addEventListener('input', render);
    load();
  }

  // Coverage (directive §11): the report per ward the API gives this official (a ward official: their wards only),
  // the required venues not yet registered with the claim code to hand their owner, and the CSV download.
  function coverage() {
    var form = document.getElementById('cv-filter');
    var f = form.elements;
    var districts = {};
    var wardNames = {};
    function pct(x) { return x == null ? '—' : nf.format(x) + ' %'; }
    function kinds(byKind) {
      var ks = Object.keys(byKind || {}).filter(function (k) { return byKind[k] > 0; });
      return ks.length ? ks.map(function (k) { return (S.kind[k] || k) + ': ' + nf.format(byKind[k]); }).join('; ') : '—';
    }
    function figures(w) { return w.venues.total || w.activeVenues7d || w.residentsDeclared7d || w.targets.required; }
    function sum(list, fn) { return list.reduce(function (s, w) { return s + fn(w); }, 0); }
    var seq = 0;
    function load() {
      var mine = ++seq;
      var d = f.districtCode.value;
      var q = d ? '?districtCode=' + encodeURIComponent(d) : '';
      document.getElementById('cv-csv').setAttribute('href', '/api/v1/reports/coverage.csv' + q);
      Promise.all([api('GET', '/api/v1/reports/coverage' + q), api('GET', '/api/v1/reports/coverage/missing' + q)]).then(function (r) {
        if (mine !== seq) return; // a newer filter's answer is on its way
        var rep = r[0], missing = r[1];
        rep.wards.forEach(function (w) {
          wardNames[w.wardCode] = w.wardName;
          if (w.districtCode && !districts[w.districtCode]) {
            districts[w.districtCode] = 1;
            f.districtCode.appendChild(el('option', { value: w.districtCode, text: w.districtName || w.districtCode }));
          }
        });
        var all = rep.wards;
        var required = sum(all, function (w) { return w.targets.required; });
        var registered = sum(all, function (w) { return w.targets.registered; });
        document.getElementById('cv-n-wards').textContent = nf.format(all.length);
        document.getElementById('cv-n-venues').textContent = nf.format(sum(all, function (w) { return w.venues.total; }));
        document.getElementById('cv-n-active').textContent = nf.format(sum(all, function (w) { return w.activeVenues7d; }));
        document.getElementById('cv-n-declared').textContent = nf.format(sum(all, function (w) { return w.residentsDeclared7d; }));
        document.getElementById('cv-n-required').textContent = nf.format(registered) + '/' + nf.format(required) +
          (required ? ' (' + pct(Math.round((1000 * registered) / required) / 10) + ')' : '');
        var shown = f.withFigures.checked ? all.filter(figures) : all;
        var heads = [S.ward, S.cv_district, S.cv_venues, S.cv_by_kind, S.cv_active, S.cv_declared_24h, S.cv_declared_7d, S.cv_required, S.cv_percent];
        var tbl = document.getElementById('cv-table');
        tbl.textContent = '';
        tbl.appendChild(el('thead', {}, [el('tr', {}, heads.map(function (h, i) { return el('th', { scope: 'col', text: h, class: i === 2 || i > 3 ? 'n' : '' }); }))]));
        tbl.appendChild(el('tbody', {}, shown.map(function (w) {
          var cells = [w.wardName, w.districtName || '—', nf.format(w.venues.total), kinds(w.venues.byKind), nf.format(w.activeVenues7d),
            nf.format(w.residentsDeclared24h), nf.format(w.residentsDeclared7d), nf.format(w.targets.registered) + '/' + nf.format(w.targets.required), pct(w.targets.coveragePercent)];
          return el('tr', { 'data-ward': w.wardCode }, cells.map(function (c, i) {
            return el('td', i === 0 ? { text: c, class: 'name' } : { text: c, 'data-label': heads[i], class: i === 2 || i > 3 ? 'n' : '' });
          }));
        })));
        var mheads = [S.venue, S.cv_kind, S.vn_address, S.ward, S.cv_claim_code];
        var mt = document.getElementById('cv-missing');
        if (missing.length === 0) { mt.textContent = ''; mt.appendChild(el('tbody', {}, [el('tr', {}, [el('td', { text: S.cv_none_missing })])])); }
        else {
          mt.textContent = '';
          mt.appendChild(el('thead', {}, [el('tr', {}, mheads.map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
          mt.appendChild(el('tbody', {}, missing.map(function (m) {
            var cells = [m.name, S.kind[m.kind] || m.kind, m.address || '—', wardNames[m.wardCode] || m.wardCode, m.claimCode.slice(0, 4) + '-' + m.claimCode.slice(4)];
            return el('tr', {}, cells.map(function (c, i) { return el('td', i === 0 ? { text: c, class: 'name' } : { text: c, 'data-label': mheads[i] }); }));
          })));
        }
        document.body.dataset.ready = '1';
      }).catch(function (e) { fail(document.getElementById('cv-table'), e); document.body.dataset.ready = '1'; });
    }
    form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    f.withFigures.addEventListener('change', load);
    load();
  }

  // Trips: the vehicles (venues of the transport kinds) and their trips, each with its passenger list (CSV, audited).
  function trips() {
    var form = document.getElementById('tr-filter');
    var f = form.elements;
    var tbl = document.getElementById('tr-table');
    var kinds = tbl.dataset.kinds.split(',');
    var vehicles = {};
    var today = tbl.dataset.today;
    f.to.value = new Date(Date.parse(today) + 7 * 86400000).toISOString().slice(0, 10);
    f.from.value = new Date(Date.parse(today) - 7 * 86400000).toISOString().slice(0, 10);
    function load() {
      var v = vehicles[f.venueId.value];
      if (!v) { document.getElementById('tr-vehicle').textContent = S.tr_none; document.body.dataset.ready = '1'; return; }
      document.getElementById('tr-vehicle').textContent = [S.kind[v.kind] || v.kind, v.plate, v.route].filter(Boolean).join(' · ');
      var from = new Date(f.from.value + 'T00:00:00+07:00').toISOString();
      var to = new Date(Date.parse(f.to.value + 'T00:00:00+07:00') + 86400000).toISOString();
      api('GET', '/api/v1/venues/' + v.id + '/trips?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to)).then(function (r) {
        var heads = [S.tr_departs, S.tr_arrives, S.tr_label, S.tr_passengers];
        tbl.textContent = '';
        tbl.appendChild(el('thead', {}, [el('tr', {}, heads.map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
        tbl.appendChild(el('tbody', {}, r.trips.length === 0 ? [el('tr', {}, [el('td', { text: S.tr_no_trips })])] : r.trips.map(function (t) {
          return el('tr', { 'data-trip': t.id }, [el('td', { text: fmt(t.departsAt), class: 'name' }), el('td', { text: fmt(t.arrivesAt), 'data-label': S.tr_arrives }),
            el('td', { text: t.label || '—', 'data-label': S.tr_label }),
            el('td', {}, [el('a', { href: '/api/v1/trips/' + t.id + '/passengers.csv', download: 'passengers-' + t.id.slice(0, 8) + '.csv', text: S.tr_csv })])]);
        })));
        document.body.dataset.ready = '1';
      }).catch(function (e) { fail(tbl, e); document.body.dataset.ready = '1'; });
    }
    api('GET', '/api/v1/venues?limit=1000').then(function (r) {
      r.venues.filter(function (v) { return kinds.indexOf(v.kind) >= 0 && !v.closed; }).forEach(function (v) {
        vehicles[v.id] = v;
        f.venueId.appendChild(el('option', { value: v.id, text: v.name + (v.plate ? ' (' + v.plate + ')' : '') }));
      });
      load();
    }).catch(function (e) { fail(tbl, e); document.body.dataset.ready = '1'; });
    form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    f.venueId.addEventListener('change', load);
  }

  // Officials (admin): invites with role and ward scope, roles and tokens revoked.
  function officials() {
    var form = document.getElementById('of-invite');
    var f = form.elements;
    function revokeBtn(label, method, url) {
      var b = el('button', { type: 'button', class: 'secondary', text: label });
      b.addEventListener('click', function () {
        if (!window.confirm(S.of_confirm)) return;
        api(method, url).then(load).catch(function (e) { b.textContent = S.failed + ' ' + e.message; });
      });
      return b;
    }
    function scopeText(rs) {
      if (!rs.wardCodes && !rs.districtCode) return S.role[rs.role] || rs.role;
      return (S.role[rs.role] || rs.role) + ' (' + [rs.districtCode ? S.of_district_short + ' ' + rs.districtCode : null].concat(rs.wardCodes || []).filter(Boolean).join(', ') + ')';
    }
    function load() {
      api('GET', '/api/v1/officials').then(function (r) {
        var t1 = document.getElementById('of-officials');
        t1.textContent = '';
        t1.appendChild(el('thead', {}, [el('tr', {}, [S.of_account, S.of_channel, S.of_roles].map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
        t1.appendChild(el('tbody', {}, r.officials.map(function (o) {
          return el('tr', {}, [el('td', { text: o.accountId.slice(0, 8) }), el('td', { text: o.channel, 'data-label': S.of_channel }),
            el('td', {}, (o.roleScopes || o.roles.map(function (x) { return { role: x }; })).map(function (rs) {
              return el('div', {}, [scopeText(rs) + ' ', revokeBtn(S.of_revoke, 'DELETE', '/api/v1/officials/' + o.accountId + '/roles/' + rs.role)]);
            }))]);
        })));
        var t2 = document.getElementById('of-invites');
        t2.textContent = '';
        t2.appendChild(el('thead', {}, [el('tr', {}, [S.of_role, S.status_col, S.of_expires, ''].map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
        t2.appendChild(el('tbody', {}, r.invites.map(function (i) {
          return el('tr', {}, [el('td', { text: S.role[i.role] || i.role }), el('td', { text: S.of_status[i.status] || i.status }), el('td', { text: fmt(i.expiresAt) }),
            el('td', {}, i.status === 'open' ? [revokeBtn(S.of_revoke, 'DELETE', '/api/v1/officials/invites/' + i.id)] : [])]);
        })));
        var t3 = document.getElementById('of-tokens');
        t3.textContent = '';
        t3.appendChild(el('thead', {}, [el('tr', {}, [S.of_label, S.of_roles, S.of_last_used, ''].map(function (h) { return el('th', { scope: 'col', text: h }); }))]));
        t3.appendChild(el('tbody', {}, r.tokens.map(function (k) {
          return el('tr', {}, [el('td', { text: k.label || k.id.slice(0, 8) }), el('td', { text: k.roles.map(function (x) { return S.role[x] || x; }).join(', ') }),
            el('td', { text: k.revokedAt ? S.of_revoked : fmt(k.lastUsedAt) }), el('td', {}, k.revokedAt ? [] : [revokeBtn(S.of_revoke, 'DELETE', '/api/v1/officials/tokens/' + k.id)])]);
        })));
        document.body.dataset.ready = '1';
      }).catch(function (e) { fail(document.getElementById('of-officials'), e); document.body.dataset.ready = '1'; });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var b = { role: f.role.value };
      var wards = f.wardCodes.value.split(/[\\s,;]+/).filter(Boolean);
      if (wards.length) b.wardCodes = wards;
      if (f.districtCode.value) b.districtCode = f.districtCode.value;
      var out = document.getElementById('of-invite-result');
      api('POST', '/api/v1/officials/invites', b).then(function (r) {
        out.textContent = '';
        out.appendChild(el('span', { text: S.of_invite_made.replace('{{code}}', r.code).replace('{{until}}', fmt(r.expiresAt)) + ' ' }));
        out.appendChild(el('a', { href: r.telegramUrl || r.url, text: r.telegramUrl || r.url }));
        form.reset(); load();
      }).catch(function (e) { fail(out, e); });
    });
    load();
  }

  var page = main && main.dataset.page;
  if (page === 'overview') overview();
  if (page === 'followups' && document.getElementById('fu-filter')) followups();
  if (page === 'cases' && document.getElementById('case-form')) cases();
  if (page === 'broadcasts' && document.getElementById('bc-form')) broadcasts();
  if (page === 'venues' && document.getElementById('vn-filter')) venues();
  if (page === 'officials' && document.getElementById('of-invite')) officials();
  if (page === 'coverage' && document.getElementById('cv-filter')) coverage();
  if (page === 'trips' && document.getElementById('tr-filter')) trips();
})();
`;
