import { LOCALES, tFor, type T } from '../../core/i18n.js';
import { htmlDocument } from '../../http/page-shell.js';
import { escapeMarkup } from '../../render/escape.js';
import { THEME_COLOR } from './app-assets.js';

/**
 * The web chat: one self-contained page (no framework, no external assets) that talks to
 * /chat/api/messages. The browser keeps a random id in localStorage; that id is the chat account.
 */
/** The page's own words in one language (the dialog's texts come from the server in the account's language). */
function pageStrings(t: T) {
  return {
    title: t('web:title'),
    placeholder: t('web:placeholder'),
    send: t('web:send'),
    offline: t('web:offline'),
    passAlt: t('web:pass_alt'),
    pushOffer: t('web:push_offer'),
    pushEnable: t('web:push_enable'),
    pushLater: t('web:push_later'),
    pushOn: t('web:push_on'),
    pushDenied: t('web:push_denied'),
    pushFailed: t('web:push_failed'),
  };
}

/**
 * `locale` is only the first suggestion (the browser's language, or `?lang=`): once the resident has chosen a
 * language in the chat, every answer carries it, the page switches its own words to it and remembers it
 * (`khaibao.lang` in localStorage) for the next visit.
 */
export function chatPage(t: T, locale: string, scriptNonce: string, vapidPublicKey: string): string {
  const all = Object.fromEntries(LOCALES.map((l) => [l, pageStrings(tFor(l))]));
  const strings = JSON.stringify({ ...pageStrings(t), vapid: vapidPublicKey, all }).replace(/</g, '\\u003c');
  return htmlDocument({
    lang: locale,
    title: t('web:title'),
    viewport: 'width=device-width, initial-scale=1, viewport-fit=cover',
    head:
      '<meta name="color-scheme" content="light">\n' +
      `<meta name="theme-color" content="${THEME_COLOR}">\n` +
      '<link rel="manifest" href="/chat/manifest.webmanifest">\n' +
      '<link rel="icon" type="image/png" sizes="192x192" href="/chat/icon-192.png">\n' +
      '<link rel="apple-touch-icon" href="/chat/icon-192.png">\n',
    // As before: the chat page holds nothing personal until someone writes, and never asked not to be listed.
    noindex: false,
    css: CHAT_CSS,
    body: `
<div id="app">
<header>${escapeMarkup(t('common:service_name'))}</header>
<main id="log" aria-live="polite"></main>
<form id="form" autocomplete="off">
<input id="input" name="text" maxlength="2000" placeholder="${escapeMarkup(t('web:placeholder'))}" aria-label="${escapeMarkup(t('web:placeholder'))}">
<button type="submit">${escapeMarkup(t('web:send'))}</button>
</form>
</div>
<script nonce="${escapeMarkup(scriptNonce)}">
(function(){
  var S = ${strings};
  var LANG_KEY = 'khaibao.lang';
  function useLanguage(l){
    var w = S.all[l];
    if (!w) return;
    for (var k in w) S[k] = w[k];
    document.documentElement.lang = l;
    document.title = w.title;
    var i = document.getElementById('input'); i.placeholder = w.placeholder; i.setAttribute('aria-label', w.placeholder);
    document.querySelector('#form button').textContent = w.send;
    document.querySelector('header').textContent = w.title;
    try { localStorage.setItem(LANG_KEY, l); } catch (e) {}
  }
  var remembered = null;
  try { remembered = localStorage.getItem(LANG_KEY); } catch (e) {}
  if (remembered && remembered !== document.documentElement.lang) useLanguage(remembered);
  var log = document.getElementById('log');
  var input = document.getElementById('input');
  var KEY = 'khaibao.clientId';
  function newId(){
    var a = new Uint8Array(18); crypto.getRandomValues(a);
    return btoa(String.fromCharCode.apply(null, a)).replace(/\\+/g,'-').replace(/\\//g,'_').replace(/=+$/,'');
  }
  var id = localStorage.getItem(KEY);
  var first = !id;
  if (!id) { id = newId(); localStorage.setItem(KEY, id); }
  function scroll(){ log.scrollTop = log.scrollHeight; }
  function add(cls, text){
    var d = document.createElement('div'); d.className = 'msg ' + cls;
    if (text) d.textContent = text;
    log.appendChild(d); scroll(); return d;
  }
  function render(r){
    var d = add('bot', r.text || '');
    if (r.image) {
      var img = document.createElement('img'); img.src = r.image; img.alt = S.passAlt; img.className = 'pass';
      img.onload = scroll; d.appendChild(img);
    }
    if (r.link) {
      var a = document.createElement('a'); a.href = r.link.url; a.textContent = r.link.label; a.target = '_blank'; a.rel = 'noopener';
      d.appendChild(document.createElement('br')); d.appendChild(a);
    }
    if (r.buttons && r.buttons.length) {
      var box = document.createElement('div'); box.className = 'buttons';
      r.buttons.forEach(function(row){
        var rd = document.createElement('div'); rd.className = 'row';
        row.forEach(function(b){
          var btn = document.createElement('button'); btn.type = 'button'; btn.textContent = b.label;
          btn.onclick = function(){ add('me', b.label); send({ payload: b.payload }); };
          rd.appendChild(btn);
        });
        box.appendChild(rd);
      });
      d.appendChild(box);
    }
    // After the buttons are in: the whole bubble, buttons included, ends up in view above the input.
    scroll();
  }
  var busy = Promise.resolve();
  function send(msg){
    msg.clientId = id;
    msg.messageId = newId();
    msg.language = navigator.language || 'vi';
    busy = busy.then(function(){ return post(msg, 0); });
    return busy;
  }
  function post(msg, attempt){
    return fetch('/chat/api/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg) })
      .then(function(res){ if (!res.ok && res.status >= 500 && attempt < 2) throw new Error('retry'); return res.json(); })
      .then(function(body){ if (body.locale && body.locale !== document.documentElement.lang) useLanguage(body.locale); (body.replies || []).forEach(render); if (body.error) add('error', S.offline); if (body.declared) offerPush(); })
      .catch(function(){
        if (attempt < 2) return new Promise(function(r){ setTimeout(r, 800 * (attempt + 1)); }).then(function(){ return post(msg, attempt + 1); });
        var e = add('error', S.offline); e.className = 'error';
      });
  }
  function poll(){
    fetch('/chat/api/inbox?clientId=' + encodeURIComponent(id))
      .then(function(r){ return r.json(); })
      .then(function(b){ (b.replies || []).forEach(render); })
      .catch(function(){});
  }
  // Web Push: the service worker shows alerts while the page is closed. Offered (never asked unprompted)
  // once the account has declared; a subscription the browser already has is sent again on every visit.
  var swReg = null, offered = false, swReady = null;
  if ('serviceWorker' in navigator) {
    swReady = navigator.serviceWorker.register('/chat/sw.js', { scope: '/chat' })
      .then(function(r){ swReg = r; resendPush(); return r; })
      .catch(function(){ return null; });
  }
  function pushSupported(){ return !!(swReg && S.vapid && 'PushManager' in window && 'Notification' in window); }
  function savePush(s){
    var j = s.toJSON();
    return fetch('/chat/api/push', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: id, endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth } }) })
      .then(function(r){ if (!r.ok) throw new Error('push ' + r.status); });
  }
  function resendPush(){
    if (!pushSupported() || Notification.permission !== 'granted') return;
    swReg.pushManager.getSubscription().then(function(s){ if (s) return savePush(s); }).catch(function(){});
  }
  function keyBytes(b64){
    var s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((b64.length + 3) % 4));
    var a = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a;
  }
  function offerPush(){
    if (offered || !swReady) return;
    offered = true;
    swReady.then(function(){
      if (!pushSupported() || Notification.permission === 'denied' || localStorage.getItem('khaibao.pushLater')) return;
      return swReg.pushManager.getSubscription().then(function(s){
        if (s && Notification.permission === 'granted') return;
        var d = add('offer', S.pushOffer);
        var box = document.createElement('div'); box.className = 'buttons';
        var row = document.createElement('div'); row.className = 'row';
        function btn(label, fn){ var b = document.createElement('button'); b.type = 'button'; b.textContent = label; b.onclick = fn; row.appendChild(b); }
        btn(S.pushEnable, function(){
          Notification.requestPermission().then(function(p){
            if (p !== 'granted') { d.textContent = S.pushDenied; return; }
            return swReg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(S.vapid) })
              .then(savePush).then(function(){ d.textContent = S.pushOn; });
          }).catch(function(){ d.textContent = S.pushFailed; });
        });
        btn(S.pushLater, function(){ localStorage.setItem('khaibao.pushLater', '1'); d.remove(); });
        box.appendChild(row); d.appendChild(box); scroll();
      });
    }).catch(function(){});
  }
  document.getElementById('form').addEventListener('submit', function(ev){
    ev.preventDefault();
    var text = input.value.trim(); if (!text) return;
    input.value = ''; add('me', text); send({ text: text });
  });
  var start = new URLSearchParams(location.search).get('start');
  if (start !== null && /^[A-Za-z0-9_-]{0,64}$/.test(start)) {
    send({ start: start });
    // Sent once: a reload (or the app started from the home screen) must not check in again.
    history.replaceState(null, '', location.pathname);
  }
  else if (first) send({ start: '' });
  else send({ text: '/trogiup' });
  // Opened from a notification: what it announced is waiting in the inbox.
  busy.then(poll);
  setInterval(poll, 15000);
})();
</script>
`,
  });
}

const CHAT_CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef2f5;color:#1b1f23}
#app{display:flex;flex-direction:column;height:100%;max-width:640px;margin:0 auto;background:#fff}
header{padding:12px 16px;background:#0b6e4f;color:#fff;font-weight:600}
#log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}
.msg{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word}
.bot,.offer{align-self:flex-start;background:#f1f3f5}
.me{align-self:flex-end;background:#0b6e4f;color:#fff}
.msg img{display:block;max-width:100%;height:auto;border-radius:8px;margin-top:4px}
.buttons{display:flex;flex-direction:column;gap:6px;margin-top:8px}
.row{display:flex;gap:6px;flex-wrap:wrap}
.row button{flex:1 1 auto;min-height:40px;padding:8px 10px;border:1px solid #0b6e4f;background:#fff;color:#0b6e4f;border-radius:10px;font:inherit;cursor:pointer}
.row button:active{background:#e3f1ec}
form{display:flex;gap:8px;padding:10px;border-top:1px solid #dde2e6;padding-bottom:max(10px,env(safe-area-inset-bottom))}
input{flex:1;min-width:0;padding:10px 12px;border:1px solid #c4ccd3;border-radius:10px;font:inherit}
form button{padding:10px 16px;border:0;border-radius:10px;background:#0b6e4f;color:#fff;font:inherit}
.error{align-self:center;color:#a61b1b;font-size:14px}
`;
