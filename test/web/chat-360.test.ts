import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVenue } from '../../src/features/venues/store.js';
import type { TestService } from '../helpers/service.js';
import { canRunBrowser, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';
import { answerFirstDeclaration, newResident, WebChatClient } from './chat-client.js';

/**
 * The web chat on a 360 px phone: after each answer the buttons it brings («Đồng ý», «Xác nhận check-in»,
 * «Tôi đã biết») are in view above the input, and the venue landing page's web-chat button carries the venue
 * into the chat.
 */
const SHOTS = process.env.SCREENSHOT_DIR ?? path.resolve('test-results/screenshots');
const PHONE = { width: 360, height: 640 };

/** The element lies wholly inside the chat log's visible area, and the input is on screen. */
async function inView(page: Page, el: Locator): Promise<{ button: boolean; input: boolean }> {
  const box = await el.evaluate((node) => {
    const r = node.getBoundingClientRect();
    const log = document.getElementById('log')!.getBoundingClientRect();
    const input = document.getElementById('input')!.getBoundingClientRect();
    return {
      button: r.height > 0 && r.top >= log.top - 0.5 && r.bottom <= log.bottom + 0.5,
      input: input.top >= 0 && input.bottom <= window.innerHeight,
    };
  });
  return box;
}

describe.runIf(canRunBrowser)('web chat at 360 px in headless Chromium', () => {
  let h: BrowserHarness;
  let svc: TestService;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    h = await startBrowserHarness();
    ({ svc, browser, base } = h);
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);

  afterAll(() => h?.close());

  it('«Đồng ý» under the long privacy notice is in view, with the input', async () => {
    const page = await browser.newPage({ viewport: PHONE, locale: 'vi-VN' });
    await page.goto(`${base}/chat`);
    const lastBot = page.locator('.msg.bot').last();
    await expect.poll(() => lastBot.locator('button', { hasText: 'Tiếng Việt' }).count()).toBe(1);
    await lastBot.locator('button', { hasText: 'Tiếng Việt' }).click();
    const agree = page.locator('.msg.bot').last().getByRole('button', { name: 'Đồng ý', exact: true });
    await expect.poll(() => agree.count()).toBe(1);
    // The notice is taller than the screen: the bubble's end (its buttons) is what shows.
    const noticeHeight = await page
      .locator('.msg.bot')
      .last()
      .evaluate((n) => n.getBoundingClientRect().height);
    expect(noticeHeight).toBeGreaterThan(PHONE.height / 2);
    await expect.poll(() => inView(page, agree)).toEqual({ button: true, input: true });
    await page.screenshot({ path: path.join(SHOTS, 'chat-360-consent.png') });
    await page.close();
  });

  it('landing page → web chat → check-in without typing the code; an alert’s «Tôi đã biết» in view', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Cà phê Hạnh Phúc', kind: 'restaurant' });
    const lan = await newResident(svc.app);
    await answerFirstDeclaration(lan, { name: 'Nguyễn Thị Lan', phone: '0903 111 222' });
    const context = await browser.newContext({ viewport: PHONE, locale: 'vi-VN' });
    await context.addInitScript((id) => localStorage.setItem('khaibao.clientId', id), lan.clientId);
    const page = await context.newPage();

    await page.goto(`${base}/c/${venue.code}`);
    const link = page.locator('#webchat');
    expect(await link.getAttribute('href')).toBe(`${base}/chat?start=v_${venue.code}`);
    await link.click();
    const confirm = page.locator('.msg.bot').last().locator('button', { hasText: 'Xác nhận check-in' });
    await expect.poll(() => confirm.count()).toBe(1);
    expect(await page.locator('.msg.bot').last().textContent()).toContain('Cà phê Hạnh Phúc');
    // The start parameter is spent: a reload does not check in again.
    expect(new URL(page.url()).search).toBe('');
    await expect.poll(() => inView(page, confirm)).toEqual({ button: true, input: true });
    await page.screenshot({ path: path.join(SHOTS, 'chat-360-checkin.png') });
    await confirm.click();
    await expect.poll(() => page.locator('.msg.bot').last().textContent()).toMatch(/Đã check-in/);
    const leave = page.locator('.msg.bot').last().locator('button', { hasText: 'Rời khỏi' });
    await expect.poll(() => inView(page, leave)).toEqual({ button: true, input: true });

    // An alert collected from the inbox when the page opens: long text, its button still in view.
    const long = `⚠️ Cảnh báo: có mặt cùng địa điểm và thời gian với ca bệnh COVID-19\n\n${'Anh/Chị vui lòng ở nhà và theo dõi sức khỏe. '.repeat(30)}`;
    await svc.deps.channels
      .get('web')!
      .send(lan.clientId, [{ text: long, buttons: [[{ label: 'Tôi đã biết', payload: 'ack:test' }]] }]);
    await page.reload();
    const ack = page.locator('.msg.bot button', { hasText: 'Tôi đã biết' });
    await expect.poll(() => ack.count()).toBe(1);
    await expect.poll(() => inView(page, ack)).toEqual({ button: true, input: true });
    await page.screenshot({ path: path.join(SHOTS, 'chat-360-alert.png') });
    await context.close();
  });

  it('a first-time visitor from the landing page is led through consent and the declaration back to the venue', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Tiệm sách Ninh Kiều', kind: 'shop' });
    const c = new WebChatClient(svc.app);
    await c.start(`v_${venue.code}`); // what /chat?start=v_<code> sends
    await c.tap('Đồng ý');
    const confirm = await answerFirstDeclaration(c, { name: 'Lê Văn Mới', phone: '0903 777 000' });
    const labels = confirm.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.label));
    expect(c.transcript()).toContain('Tiệm sách Ninh Kiều');
    expect(labels).toContain('✅ Xác nhận check-in');
  });

  it('the page follows the language the resident chose, not the browser’s, and remembers it', async () => {
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/chat`);
    expect(await page.getAttribute('#input', 'placeholder')).toBe('Type your answer…');
    const lastBot = page.locator('.msg.bot').last();
    await expect.poll(() => lastBot.locator('button', { hasText: 'Tiếng Việt' }).count()).toBe(1);
    await lastBot.locator('button', { hasText: 'Tiếng Việt' }).click();
    await expect.poll(() => page.getAttribute('#input', 'placeholder')).toBe('Nhập câu trả lời…');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('vi');
    expect(await page.textContent('#form button')).toBe('Gửi');
    // Next visit, same browser (still English): the page opens in Vietnamese.
    await page.reload();
    await expect.poll(() => page.getAttribute('#input', 'placeholder')).toBe('Nhập câu trả lời…');
    await context.close();
  });
});
