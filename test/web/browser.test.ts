import { eq } from 'drizzle-orm';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../src/db/schema/index.js';
import { createStaffLoginLink } from '../../src/features/checkin/staff-scan.js';
import { createVenue } from '../../src/features/venues/store.js';
import { answerHealthQuestions, type OfferedButton } from '../helpers/declaration-form.js';
import { decodeQrPng } from '../helpers/qr.js';
import type { TestService } from '../helpers/service.js';
import { canRunBrowser, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';

describe.runIf(canRunBrowser)('web chat in headless Chromium', () => {
  let h: BrowserHarness;
  let svc: TestService;
  let browser: Browser;
  let base: string;
  let passUrl: string | undefined;

  beforeAll(async () => {
    h = await startBrowserHarness();
    ({ svc, browser, base } = h);
  }, 60_000);

  afterAll(() => h?.close());

  it('completes a declaration in /chat and shows the pass', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 780 }, locale: 'vi-VN' });
    await page.goto(`${base}/chat`);
    const bot = page.locator('.msg.bot');
    const lastBot = () => bot.last();
    // The buttons (with payloads) of the last answer the page received, to recognise the declaration's questions.
    let offered: OfferedButton[] = [];
    const answered = async (act: () => Promise<void>) => {
      const before = await bot.count();
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/chat/api/messages')), act()]);
      const body = (await res.json()) as { replies: { buttons?: OfferedButton[][] }[] };
      offered = body.replies.flatMap((r) => (r.buttons ?? []).flat());
      await expect.poll(() => bot.count()).toBeGreaterThan(before);
    };
    const tap = (label: string) => answered(() => lastBot().locator('button', { hasText: label }).first().click());
    const say = (text: string) =>
      answered(async () => {
        await page.fill('#input', text);
        await page.press('#input', 'Enter');
      });

    await expect.poll(() => lastBot().textContent()).toContain('chọn ngôn ngữ');
    await tap('Tiếng Việt');
    await tap('Đồng ý');
    await expect.poll(() => lastBot().textContent()).toContain('Họ và tên');
    await say('Phạm Thị Hoa');
    await say('1992');
    await tap('Nữ');
    await say('0987 654 321');
    expect(await lastBot().textContent()).toContain('CCCD');
    await tap('Bỏ qua');
    await say('an cu');
    await tap('Phường An Cư');
    await say('45 Mậu Thân');
    await answerHealthQuestions({ offered: () => offered, tap, say });
    await tap('1');
    expect(await lastBot().textContent()).toContain('Phạm Thị Hoa');
    await tap('Xác nhận');
    await expect.poll(() => page.locator('.msg.bot', { hasText: 'Cảm ơn Phạm Thị Hoa' }).count()).toBe(1);

    const clientId = await page.evaluate(() => localStorage.getItem('khaibao.clientId'));
    const account = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, clientId!) });
    expect(account?.personId).toBeTruthy();
    const img = page.locator('img.pass').last();
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth))
      .toBeGreaterThan(100);
    // What the browser shows is the person's pass: its QR leads to the verify page.
    const src = await img.getAttribute('src');
    passUrl = decodeQrPng(Buffer.from(src!.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect(decodeQrPng(Buffer.from(src!.replace(/^data:image\/png;base64,/, ''), 'base64'))).toMatch(/\/v\//);

    // The id survives a reload: the same person continues.
    await page.reload();
    await expect.poll(() => lastBot().textContent()).toContain('/khaibao');
    expect(await page.evaluate(() => localStorage.getItem('khaibao.clientId'))).toBe(clientId);
    await page.close();
  }, 90_000);

  it('the pass, venue and staff pages work under the CSP: no violation, forms post same-origin', async () => {
    expect(passUrl).toBeTruthy();
    const page = await browser.newPage({ viewport: { width: 390, height: 780 }, locale: 'vi-VN' });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(e.message));

    const [owner] = await svc.db.db
      .insert(accounts)
      .values({ channel: 'web', externalId: 'browser-owner-0001', consentedAt: new Date() })
      .returning();
    const venue = await createVenue(svc.db.db, {
      name: 'Quán Cà Phê Bến Ninh Kiều',
      kind: 'restaurant',
      ownerAccountId: owner!.id,
    });

    page.setDefaultTimeout(10_000);
    const landing = await page.goto(`${base}/c/${venue.code}`);
    expect(landing!.status()).toBe(200);
    expect(landing!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await expect.poll(() => page.locator('#code').textContent()).toBe(venue.code);

    // The staff login page's button posts the form (Origin = PUBLIC_URL), the cookie is set.
    const link = await createStaffLoginLink(svc.db.db, svc.deps, venue.id, owner!.id, svc.clock.now());
    await page.goto(link);
    await page.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('h1').textContent()).toBeTruthy();
    expect((await page.context().cookies()).map((c) => c.name)).toContain('kb_staff');

    // The pass page with the staff panel (inline style attributes) records the entry.
    const verify = await page.goto(new URL(new URL(passUrl!).pathname, base).toString());
    expect(verify!.status()).toBe(200);
    await page.locator('#staff-checkin button').click();
    await expect.poll(() => page.locator('#result').getAttribute('data-status')).toBe('created');
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);
});
