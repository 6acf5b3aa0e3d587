import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestService } from '../helpers/service.js';
import { canRunBrowser, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';
import { answerFirstDeclaration, newResident } from './chat-client.js';

/**
 * The web chat as an app in headless Chromium: the service worker registers on /chat, the page offers
 * notifications once the account has declared, and a push delivered to the service worker becomes a
 * notification.
 *
 * How the push reaches the worker: headless Chromium has no connection to a real push service (its
 * PushManager.subscribe goes to Google's FCM, which a test machine cannot and should not reach), so the push
 * is delivered with the DevTools protocol's ServiceWorker.deliverPushMessage, the same path as DevTools'
 * "Push" button: a trusted push event with a payload, handled by the real worker script, unlike a synthetic
 * `new PushEvent()` (whose waitUntil throws because it is untrusted). The server's side of the push
 * (encryption, VAPID, 404/410) is tested against a fake push service in push.test.ts.
 */
const SHOTS = process.env.SCREENSHOT_DIR ?? path.resolve('test-results/screenshots');

describe.runIf(canRunBrowser)('web chat as an app in headless Chromium', () => {
  let h: BrowserHarness;
  let svc: TestService;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    h = await startBrowserHarness();
    ({ svc, browser, base } = h);
  }, 60_000);

  afterAll(() => h?.close());

  it('registers the service worker, offers notifications after the declaration, and shows a pushed alert', async () => {
    // Lan declared earlier from this browser (the page keeps her client id).
    const lan = await newResident(svc.app);
    await answerFirstDeclaration(lan, { name: 'Nguyễn Thị Lan', phone: '0903 111 222' });

    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'vi-VN' });
    await context.addInitScript((id) => localStorage.setItem('khaibao.clientId', id), lan.clientId);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');

    await page.goto(`${base}/chat`);
    const scope = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope));
    expect(scope).toBe(`${base}/chat`);
    // The manifest Chromium reads is the service's, with its icons.
    const manifest = await page.evaluate(() =>
      fetch(document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href).then((r) => r.json()),
    );
    expect(manifest).toMatchObject({ start_url: '/chat', display: 'standalone' });

    // Declared: the offer is a message with two buttons, and nothing was asked of the browser unprompted.
    const offer = page.locator('.msg.offer');
    await expect.poll(() => offer.count()).toBe(1);
    expect(await offer.textContent()).toContain('Anh/Chị có muốn nhận thông báo');
    expect(await offer.locator('button').allTextContents()).toEqual(['Bật thông báo', 'Để sau']);
    expect(await page.evaluate(() => Notification.permission)).toBe('default');
    await offer.scrollIntoViewIfNeeded();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'chat-360-push-offer.png') });

    // Allowed: a push delivered to the worker is shown as a notification that opens the chat.
    await context.grantPermissions(['notifications'], { origin: base });
    await expect.poll(() => registrations.find((r) => r.scopeURL === `${base}/chat`)).toBeDefined();
    const reg = registrations.find((r) => r.scopeURL === `${base}/chat`)!;
    const data = JSON.stringify({
      title: 'Khai báo y tế Cần Thơ',
      body: '⚠️ Cảnh báo: có mặt cùng địa điểm và thời gian với ca bệnh',
      url: `${base}/chat`,
      tag: 'khaibao',
    });
    // A push delivered before the worker is active would be dropped: wait until it controls the scope.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: reg.registrationId, data });
    const shown = () =>
      page.evaluate(() =>
        navigator.serviceWorker.ready
          .then((r) => r.getNotifications())
          .then((list) =>
            list.map((n) => ({
              title: n.title,
              body: n.body,
              tag: n.tag,
              icon: n.icon,
              url: (n.data as { url: string }).url,
            })),
          ),
      );
    await expect.poll(shown, { timeout: 10_000 }).toEqual([
      {
        title: 'Khai báo y tế Cần Thơ',
        body: '⚠️ Cảnh báo: có mặt cùng địa điểm và thời gian với ca bệnh',
        tag: 'khaibao',
        icon: `${base}/chat/icon-192.png`,
        url: `${base}/chat`,
      },
    ]);
    // A payload pointing elsewhere still opens the chat.
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: base,
      registrationId: reg.registrationId,
      data: JSON.stringify({ title: 'x', body: 'y', url: 'https://evil.example/', tag: 'khaibao' }),
    });
    await expect.poll(async () => (await shown()).map((n) => n.url), { timeout: 10_000 }).toEqual([`${base}/chat`]);
    await expect.poll(async () => (await shown()).map((n) => n.body), { timeout: 10_000 }).toEqual(['y']);

    // «Để sau» removes the offer and it does not come back on the next visit.
    await page.reload();
    await expect.poll(() => offer.count()).toBe(1);
    await offer.locator('button', { hasText: 'Để sau' }).click();
    expect(await offer.count()).toBe(0);
    // Listen before reloading: the page's first exchange can finish before a listener added after reload().
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/chat/api/messages')), page.reload()]);
    await page.waitForTimeout(300);
    expect(await offer.count()).toBe(0);
    await context.close();
  }, 90_000); // a real browser and a declaration on PGlite: slower than the default 30 s on a loaded machine
});
