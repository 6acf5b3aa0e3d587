import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { invites as invitesTable, venues } from '../../src/db/schema/index.js';
import { handle } from '../broadcast/fixtures.js';
import { runUntil } from '../broadcast/e2e-helpers.js';
import { seedResident, seedVenue, seedVisit, vn } from '../exposure/fixtures.js';
import { seedWardResident } from '../helpers/residents.js';
import { canRunBrowser, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';
import { inviteOfficial, type InvitedOfficial } from '../helpers/officials.js';
import type { TestService } from '../helpers/service.js';

const SHOTS = 'test-results/screenshots';
const CAI_KHE = '31117'; // Phường Cái Khế
const THANH_AN = '31231'; // Thị trấn Thạnh An
const DAY = 86_400_000;

describe.runIf(canRunBrowser)('the officials’ console in headless Chromium', () => {
  let h: BrowserHarness;
  let svc: TestService;
  let browser: Browser;
  let base: string;
  let health: InvitedOfficial;
  let ward: InvitedOfficial;

  const resident = (name: string, wardCode: string, declared: { ago: number; symptoms: string[] }[]) =>
    seedWardResident(svc.db.db, { name, wardCode, now: svc.clock.now(), declared });

  /** The /console command's link, opened in a fresh browser context; the page lands on the console. */
  let lastLink = '';
  async function signIn(official: InvitedOfficial, width = 1280): Promise<Page> {
    const r = await handle(svc, { channel: 'web', accountId: official.externalId, kind: 'text', text: '/console' });
    const url = r.replies[0]!.link!.url;
    expect(url).toMatch(/\/console\/login\?t=/);
    lastLink = url;
    const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale: 'vi-VN' });
    const page = await ctx.newPage();
    await page.goto(url);
    await page.click('form[action="/console/login"] button[type=submit]');
    await page.waitForURL((u) => u.pathname !== '/console/login');
    return page;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startBrowserHarness({}, { workers: true });
    ({ svc, browser, base } = h);
    health = await inviteOfficial(svc, 'console-health', { role: 'health' });
    ward = await inviteOfficial(svc, 'console-ward', { role: 'ward_health', wardCodes: [CAI_KHE] });
    // 6 declarations in the last days, 4 with symptoms: 3 in Cái Khế, 1 in Thạnh An.
    await resident('Nguyễn Văn An', CAI_KHE, [
      { ago: 2 * DAY, symptoms: ['fever'] },
      { ago: DAY, symptoms: ['cough'] },
    ]);
    await resident('Trần Thị Bình', CAI_KHE, [
      { ago: DAY, symptoms: ['fever'] },
      { ago: 3 * DAY, symptoms: [] },
    ]);
    await resident('Lê Văn Cường', THANH_AN, [
      { ago: 60_000, symptoms: ['fever'] },
      { ago: 2 * DAY, symptoms: [] },
    ]);
  }, 90_000);

  afterAll(() => h?.close());

  it('signs in by the link, draws the overview with the seeded numbers; the link works once', async () => {
    const page = await signIn(health);
    expect(new URL(page.url()).pathname).toBe('/console');
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.textContent('#n-declarations')).toBe('6');
    expect(await page.textContent('#n-symptomatic')).toBe('4');
    expect(await page.locator('#chart-daily canvas').count()).toBe(1);
    expect(await page.locator('#chart-wards canvas').count()).toBe(1);
    const wardRows = await page.locator('#table-wards tbody tr').allTextContents();
    expect(wardRows[0]).toContain('Cái Khế');
    expect(wardRows[0]).toContain('3');
    expect(wardRows[1]).toContain('1');
    const daily = await page.locator('#table-daily tbody tr').count();
    expect(daily).toBe(14);

    // Page weight and first render, measured on a fresh load of the overview.
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const bytes = [nav, ...res].reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0);
      return { kb: bytes / 1024, fcp: fcp?.startTime ?? -1, charts: performance.now(), n: res.length };
    });
    console.log(
      `console overview: ${m.kb.toFixed(1)} KB transferred (${m.n + 1} requests), first contentful paint ${m.fcp.toFixed(0)} ms, charts drawn by ${m.charts.toFixed(0)} ms`,
    );
    expect(m.fcp).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/console-overview.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 780 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${SHOTS}/console-overview-360.png`, fullPage: true });

    // The same link again: used up.
    const again = await fetch(lastLink, { redirect: 'manual' });
    expect(again.status).toBe(410);
    await page.context().close();
  });

  it('gives a ward official only their ward', async () => {
    const page = await signIn(ward, 360);
    expect(new URL(page.url()).pathname).toBe('/console/followups');
    const nav = await page.locator('header nav a').allTextContents();
    expect(nav).not.toContain('Tổng quan');
    expect(nav).toContain('Theo dõi');
    await page.waitForSelector('body[data-ready="1"]');
    const names = await page.locator('#fu-table tbody tr td:first-child').allTextContents();
    expect(names.sort()).toEqual(['Nguyễn Văn An', 'Trần Thị Bình']);
    await page.screenshot({ path: `${SHOTS}/console-followups-ward-360.png`, fullPage: true });
    // A status and note saved from the page, through the API (audited there).
    const row = page.locator('#fu-table tbody tr', { hasText: 'Nguyễn Văn An' });
    await row.locator('select').selectOption('contacted');
    await row.locator('input[type=text]').fill('Đã gọi điện');
    await row.locator('button').click();
    await expect.poll(() => row.locator('span').textContent()).toBe('Đã lưu.');
    // The whole city's list is not theirs: Cường (Thạnh An) is not shown, and a city-wide page is refused.
    await page.goto(`${base}/console/cases`);
    expect(await page.textContent('main')).toContain('không xem được');
    const c = (await page.context().cookies()).find((x) => x.name === 'kb_console')!;
    const stats = await svc.app.inject({
      method: 'GET',
      url: '/api/v1/stats',
      headers: { cookie: `kb_console=${c.value}` },
    });
    expect(stats.statusCode).toBe(403);
    await page.context().close();
  });

  it('shows the coverage per ward and the missing required venues; a ward official sees only their ward', async () => {
    const clock = svc.clock as ManualClock;
    const yesterday = new Date(clock.now().getTime() - DAY);
    await svc.db.db.insert(venues).values([
      {
        code: 'CVCK0001',
        name: 'Chợ Cái Khế',
        kind: 'shop',
        wardCode: CAI_KHE,
        createdAt: yesterday,
        defaultStayMinutes: 60,
      },
      {
        code: 'CVCK0002',
        name: 'Cà phê Bến Ninh Kiều',
        kind: 'restaurant',
        wardCode: CAI_KHE,
        createdAt: yesterday,
        defaultStayMinutes: 60,
      },
      {
        code: 'CVTA0001',
        name: 'Trạm xăng Thạnh An',
        kind: 'shop',
        wardCode: THANH_AN,
        createdAt: yesterday,
        defaultStayMinutes: 60,
      },
    ]);
    // The target list: the market (registered already) and a diner in Cái Khế, a market in Thạnh An.
    const imported = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/reports/targets/import',
      headers: { ...health.headers, 'content-type': 'text/csv; charset=utf-8' },
      payload:
        'name,kind,ward,address\r\nChợ Cái Khế,shop,31117,\r\nQuán cơm Ba Miền,restaurant,31117,12 Trần Văn Khéo\r\nChợ Thạnh An,shop,31231,\r\n',
    });
    expect(imported.statusCode).toBe(201);
    expect(imported.json()).toMatchObject({ created: 2, matched: 1 });

    const page = await signIn(health);
    expect(await page.locator('header nav a').allTextContents()).toContain('Độ bao phủ');
    await page.goto(`${base}/console/coverage`);
    await page.waitForSelector('body[data-ready="1"]');
    const cells = (code: string) => page.locator(`#cv-table tbody tr[data-ward="${code}"] td`).allTextContents();
    const caiKhe = await cells(CAI_KHE);
    expect(caiKhe[0]).toBe('Phường Cái Khế');
    expect(caiKhe[2]).toBe('2'); // venues registered
    expect(caiKhe[3]).toContain('Siêu thị, chợ, cửa hàng: 1');
    expect(caiKhe[6]).toBe('2'); // residents declaring in 7 days: An and Bình
    expect(caiKhe[7]).toBe('1/2');
    expect(caiKhe[8]).toBe('50 %');
    const thanhAn = await cells(THANH_AN);
    expect(thanhAn[2]).toBe('1');
    expect(thanhAn[5]).toBe('1'); // Cường declared a minute ago
    expect(thanhAn[7]).toBe('0/1');
    expect(await page.textContent('#cv-n-required')).toBe('1/3 (33,3 %)');
    const missing = await page.locator('#cv-missing tbody tr').allTextContents();
    expect(missing).toHaveLength(2);
    expect(missing.join('\n')).toContain('Quán cơm Ba Miền');
    expect(missing.join('\n')).toMatch(/Chợ Thạnh An.*[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}/);
    // Only the wards with figures, for the screenshot; then one district, and its CSV.
    await page.check('input[name=withFigures]');
    await expect.poll(() => page.locator('#cv-table tbody tr').count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}/console-coverage.png`, fullPage: true });
    await page.uncheck('input[name=withFigures]');
    await expect.poll(() => page.locator('#cv-table tbody tr').count()).toBeGreaterThan(2);
    const vinhThanh = await page
      .locator('select[name=districtCode] option', { hasText: 'Vĩnh Thạnh' })
      .getAttribute('value');
    await page.selectOption('select[name=districtCode]', vinhThanh!);
    await page.evaluate(() => delete document.body.dataset.ready);
    await page.click('#cv-filter button[type=submit]');
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.locator(`#cv-table tbody tr[data-ward="${CAI_KHE}"]`).count()).toBe(0);
    expect(await page.locator(`#cv-table tbody tr[data-ward="${THANH_AN}"]`).count()).toBe(1);
    expect(await page.locator('#cv-missing tbody tr').allTextContents()).toEqual([
      expect.stringContaining('Chợ Thạnh An'),
    ]);
    const csvHref = await page.getAttribute('#cv-csv', 'href');
    expect(csvHref).toBe(`/api/v1/reports/coverage.csv?districtCode=${vinhThanh}`);
    const csv = await page.evaluate((u) => fetch(u!).then((r) => r.text()), csvHref);
    expect(csv).toContain('Thạnh An');
    expect(csv).not.toContain('Cái Khế');
    await page.context().close();

    // The ward official: the menu shows Follow-up and Coverage (no city-wide overview), their ward only.
    const wardPage = await signIn(ward, 360);
    const nav = await wardPage.locator('header nav a').allTextContents();
    expect(nav).toEqual(['Theo dõi', 'Độ bao phủ', 'Phiên đăng nhập']);
    await wardPage.goto(`${base}/console/coverage`);
    await wardPage.waitForSelector('body[data-ready="1"]');
    const rows = await wardPage
      .locator('#cv-table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-ward')));
    expect(rows).toEqual([CAI_KHE]);
    const wardMissing = await wardPage.locator('#cv-missing tbody tr').allTextContents();
    expect(wardMissing).toHaveLength(1);
    expect(wardMissing[0]).toContain('Quán cơm Ba Miền');
    expect(await wardPage.textContent('#cv-n-required')).toBe('1/2 (50 %)');
    await wardPage.screenshot({ path: `${SHOTS}/console-coverage-ward-360.png`, fullPage: true });
    await wardPage.context().close();
  });

  it('lists a vehicle’s trips with the passenger list', async () => {
    const clock = svc.clock as ManualClock;
    const [bus] = await svc.db.db
      .insert(venues)
      .values({
        code: 'BUS00011',
        name: 'Xe buýt số 11',
        kind: 'bus',
        defaultStayMinutes: 60,
        plate: '65B-012.34',
        route: 'Cái Khế – Cái Răng',
      })
      .returning();
    const departsAt = new Date(clock.now().getTime() + 3_600_000);
    const trip = await svc.app.inject({
      method: 'POST',
      url: `/api/v1/venues/${bus!.id}/trips`,
      headers: health.headers,
      payload: {
        departsAt: departsAt.toISOString(),
        arrivesAt: new Date(departsAt.getTime() + 3_600_000).toISOString(),
        label: 'Chuyến 7 giờ',
      },
    });
    expect(trip.statusCode).toBe(201);
    const page = await signIn(health);
    await page.goto(`${base}/console/trips`);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.textContent('#tr-vehicle')).toContain('65B-012.34');
    const rows = page.locator('#tr-table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.textContent()).toContain('Chuyến 7 giờ');
    const href = await rows.locator('a').getAttribute('href');
    expect(href).toBe(`/api/v1/trips/${trip.json().id}/passengers.csv`);
    const res = await page.evaluate(
      (u) => fetch(u!).then(async (r) => [r.status, r.headers.get('content-type')]),
      href,
    );
    expect(res).toEqual([200, 'text/csv; charset=utf-8']);
    await page.screenshot({ path: `${SHOTS}/console-trips.png`, fullPage: true });
    await page.context().close();
  });

  it('records a case with the preview, a trimmed and a removed window, and counts the alerts', async () => {
    const db = svc.db.db;
    const day = '2021-07-30';
    const cafe = await seedVenue(db, 'Cà phê Hạnh Phúc', 60);
    const market = await seedVenue(db, 'Chợ Tân An', 60);
    const people: Record<string, { accountId: string; personId: string }> = {};
    for (const [key, name, phone] of [
      ['case', 'Trần Văn Ca', '+84912345678'],
      ['lan', 'Nguyễn Thị Lan'],
      ['early', 'Phạm Sớm'],
      ['late', 'Đặng Muộn'],
    ] as const) {
      const r = await seedResident(db, name, { phone, channel: 'web' });
      people[key] = { accountId: r.account.id, personId: r.person.id };
    }
    const visit = (who: string, venueId: string, from: string, to: string) =>
      seedVisit(db, {
        personId: people[who]!.personId,
        accountId: people[who]!.accountId,
        venueId,
        enteredAt: vn(day, from),
        exitedAt: vn(day, to),
      });
    await visit('case', cafe.id, '10:00', '11:00');
    await visit('case', market.id, '14:00', '17:00');
    await visit('lan', cafe.id, '10:15', '11:15');
    await visit('early', market.id, '14:10', '14:50');
    await visit('late', market.id, '16:20', '16:50');

    const page = await signIn(health);
    await page.goto(`${base}/console/cases`);
    await page.fill('input[name=phone]', '0912345678');
    await page.fill('input[name=onsetAt]', `${day}T08:00`);
    await page.click('#case-form button[type=submit]');
    await page.waitForSelector('body[data-preview="1"]');
    expect(await page.textContent('#case-summary')).toContain('2 địa điểm, 3 người có mặt cùng địa điểm và thời gian');
    await page.screenshot({ path: `${SHOTS}/console-cases-preview.png`, fullPage: true });
    // Trim the market's window to start at 16:00 (Phạm Sớm left at 14:50); remove the café's.
    const marketRow = page.locator('#case-windows tbody tr', { hasText: 'Chợ Tân An' });
    await marketRow.locator('input[name=from]').fill(`${day}T16:00`);
    await page.locator('#case-windows tbody tr', { hasText: 'Cà phê' }).locator('input[name=remove]').check();
    await page.click('#case-send');
    await page.waitForSelector('body[data-recorded="1"]');
    expect(await page.textContent('#case-result-summary')).toContain(
      '1 địa điểm, 1 người có mặt cùng địa điểm và thời gian, 1 cảnh báo',
    );
    const contactNames = await page.locator('#case-contacts tbody tr td:first-child').allTextContents();
    expect(contactNames).toEqual(['Đặng Muộn']);
    expect(await page.getAttribute('#case-result-summary', 'data-alerted')).toBe('1');
    await page.screenshot({ path: `${SHOTS}/console-cases-sent.png`, fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#case-export')]);
    const exported = await download.createReadStream().then(async (st) => {
      const parts: Buffer[] = [];
      for await (const c of st) parts.push(c as Buffer);
      return Buffer.concat(parts).toString('utf8');
    });
    expect(exported).toContain('"Đặng Muộn"');

    // Venues: search by name without diacritics, then the visits CSV and the poster through the session.
    await page.goto(`${base}/console/venues`);
    await page.waitForSelector('body[data-ready="1"]');
    await page.fill('input[name=from]', day);
    await page.fill('input[name=to]', day);
    await page.fill('input[name=q]', 'cho tan');
    const rows = page.locator('#vn-table tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    const csvHref = await rows.locator('a', { hasText: 'CSV' }).getAttribute('href');
    const csv = await page.evaluate((u) => fetch(u!).then((r) => r.text()), csvHref);
    expect(csv).toContain('Đặng Muộn');
    expect(csv).toContain('Phạm Sớm');
    const pngHref = await rows.locator('a', { hasText: 'PNG' }).getAttribute('href');
    const png = await page.evaluate((u) => fetch(u!).then((r) => r.headers.get('content-type')), pngHref);
    expect(png).toBe('image/png');
    await page.screenshot({ path: `${SHOTS}/console-venues.png`, fullPage: true });
    await page.context().close();
  });

  it('sends a broadcast to a ward and its bar reaches 100 %', async () => {
    const comms = await inviteOfficial(svc, 'console-comms', { role: 'comms' });
    const page = await signIn(comms);
    await page.goto(`${base}/console/broadcasts`);
    await page.waitForSelector('select[name=wards] option', { state: 'attached' });
    await page.check('input[name=aud][value=wards]');
    await page.selectOption('select[name=wards]', [CAI_KHE]);
    await expect.poll(() => page.getAttribute('#bc-count', 'data-n')).toBe('2');
    await page.fill('#bc-text', 'Phường Cái Khế: tiêm vắc xin sáng thứ Bảy tại trạm y tế.');
    await page.click('#bc-form button[type=submit]');
    await page.waitForSelector('#bc-progress:not([hidden])');
    await runUntil(
      svc.clock as ManualClock,
      async () =>
        (await page.getAttribute('#bc-progress .bar', 'aria-valuenow')) === '100' &&
        (await page.textContent('#bc-progress-text'))!.includes('Đã gửi xong'),
      { timeoutMs: 20_000 },
    ).catch(async (e) => {
      await page.screenshot({ path: `${SHOTS}/console-broadcasts-stuck.png`, fullPage: true });
      throw e;
    });
    expect(await page.textContent('#bc-progress-text')).toContain('đã gửi 2/2');
    await page.screenshot({ path: `${SHOTS}/console-broadcasts.png`, fullPage: true });
    await page.context().close();
  }, 60_000);

  it('lets an admin invite a ward official and revoke the invite', async () => {
    const admin = await inviteOfficial(svc, 'console-admin', { role: 'admin' });
    const page = await signIn(admin);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/console/officials`);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.locator('#of-officials tbody tr').count()).toBeGreaterThanOrEqual(3);
    await page.selectOption('select[name=role]', 'ward_health');
    await page.fill('input[name=wardCodes]', `${CAI_KHE}, 31120`);
    await page.click('#of-invite button[type=submit]');
    await expect.poll(() => page.textContent('#of-invite-result')).toMatch(/mã O-[A-Z0-9]+/);
    const open = page.locator('#of-invites tbody tr', { hasText: 'Chưa dùng' });
    await expect.poll(() => open.count()).toBe(1);
    const invites = await svc.db.db.select().from(invitesTable);
    expect(invites.find((i) => i.role === 'ward_health' && !i.usedAt && !i.revokedAt)?.wardCodes).toEqual([
      CAI_KHE,
      '31120',
    ]);
    await page.screenshot({ path: `${SHOTS}/console-officials.png`, fullPage: true });
    await open.locator('button').click();
    await expect.poll(() => open.count()).toBe(0);
    await page.context().close();
  });

  it('refuses changes without the CSRF token, and signs out', async () => {
    const page = await signIn(health);
    await page.waitForSelector('body[data-ready="1"]');
    const cookies = await page.context().cookies();
    const c = cookies.find((x) => x.name === 'kb_console')!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Lax');
    const cookie = `kb_console=${c.value}`;
    // The API through the session: reads work, a change without x-csrf-token is refused.
    const read = await svc.app.inject({ method: 'GET', url: '/api/v1/stats', headers: { cookie } });
    expect(read.statusCode).toBe(200);
    const post = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/broadcasts',
      headers: { cookie },
      payload: { text: 'Thông báo', audience: { all: true } },
    });
    expect(post.statusCode).toBe(403);
    expect(post.json().error.code).toBe('CSRF_TOKEN_MISSING');
    const logout = await svc.app.inject({
      method: 'POST',
      url: '/console/logout',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '_csrf=wrong',
    });
    expect(logout.statusCode).toBe(403);

    // The API documentation opens with the console's session, not without one.
    expect((await fetch(`${base}/api/docs`)).status).toBe(401);
    await page.goto(`${base}/api/docs`);
    await page.waitForSelector('.opblock-summary', { timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/console-api-docs.png` });

    await page.goto(`${base}/console/sessions`);
    expect(await page.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${SHOTS}/console-sessions.png`, fullPage: true });
    await page.click('header button[type=submit]');
    await page.waitForURL(/\/console\/login$/);
    await page.screenshot({ path: `${SHOTS}/console-login.png` });
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    const after = await svc.app.inject({ method: 'GET', url: '/api/v1/stats', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    await page.context().close();
  });
});
