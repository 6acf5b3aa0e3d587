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
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem}
th,td{padding:6px 8px;border-bottom:1px solid #e3e6e4;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td:first-child{white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#a00;font-weight:600}
.muted{color:#555}
.bar{height:22px;background:#dde5e0;border-radius:11px;overflow:hidden}
.bar>div{height:100%;background:#0b6b3a;width:0;transition:width .3s}
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
  function table(node, heads, rows) {
    node.textContent = '';
    var tr = el('tr', {}, heads.map(function (h, i) { return el('th', { text: h, scope: 'col', class: i > 0 ? 'n' : '' }); }));
    node.appendChild(el('thead', {}, [tr]));
    node.appendChild(el('tbody', {}, rows.map(function (r) {
      return el('tr', {}, r.map(function (c, i) { return el('td', { text: String(c), class: i > 0 ? 'n' : '' }); }));
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

  var page = main && main.dataset.page;
  if (page === 'overview') overview();
})();
`;
