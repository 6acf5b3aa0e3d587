import type { T } from '../../core/i18n.js';
import { svgToPng } from '../../render/svg.js';

/**
 * What makes the web chat an installable app: the manifest, the service worker (which shows pushed alerts)
 * and the icon. All served by the service itself (the CSP allows no other origin).
 */

export const APP_ICON_SIZES = [192, 512] as const;
export const THEME_COLOR = '#0b6e4f';

export function appManifest(t: T, locale: string): object {
  return {
    name: t('common:service_name'),
    short_name: t('web:app_short_name'),
    lang: locale,
    start_url: '/chat',
    scope: '/chat',
    display: 'standalone',
    background_color: '#eef2f5',
    theme_color: THEME_COLOR,
    // The symbol sits inside the maskable safe zone (the middle 80 %), so one image serves both purposes.
    icons: APP_ICON_SIZES.flatMap((size) =>
      (['any', 'maskable'] as const).map((purpose) => ({
        src: `/chat/icon-${size}.png`,
        sizes: `${size}x${size}`,
        type: 'image/png',
        purpose,
      })),
    ),
  };
}

/** The icon: a white check mark on a shield, on the chat's green; no text, so it reads at any size. */
const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
<rect width="512" height="512" fill="${THEME_COLOR}"/>
<path d="M256 112 L368 152 V252 C368 324 320 372 256 400 C192 372 144 324 144 252 V152 Z" fill="#ffffff"/>
<path d="M206 258 L244 296 L312 222" fill="none" stroke="${THEME_COLOR}" stroke-width="30" stroke-linecap="round" stroke-linejoin="round"/>
</svg>`;

const icons = new Map<number, Buffer>();

/** The app icon as PNG, rendered once per size. */
export function appIcon(size: number): Buffer {
  let png = icons.get(size);
  if (!png) {
    png = svgToPng(ICON_SVG, size);
    icons.set(size, png);
  }
  return png;
}

/**
 * The service worker (scope /chat). It shows each push as a notification and opens or focuses the chat when
 * the notification is tapped; it caches nothing (every answer comes from the service).
 */
export function serviceWorkerScript(fallbackTitle: string): string {
  return `'use strict';
var FALLBACK_TITLE = ${JSON.stringify(fallbackTitle).replace(/</g, '\\u003c')};
self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener('push', function (e) {
  var d = {};
  try { d = e.data ? e.data.json() : {}; } catch (err) { d = {}; }
  var home = self.location.origin + '/chat';
  var url = typeof d.url === 'string' && (d.url === home || d.url.indexOf(home + '?') === 0) ? d.url : home;
  e.waitUntil(self.registration.showNotification(typeof d.title === 'string' && d.title ? d.title : FALLBACK_TITLE, {
    body: typeof d.body === 'string' ? d.body : '',
    icon: '/chat/icon-192.png',
    badge: '/chat/icon-192.png',
    tag: typeof d.tag === 'string' ? d.tag : 'khaibao',
    renotify: true,
    data: { url: url }
  }));
});
self.addEventListener('notificationclick', function (e) {
  e.notification.close();
  var url = (e.notification.data && e.notification.data.url) || '/chat';
  e.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === '/chat' && 'focus' in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
`;
}
