import { eq } from 'drizzle-orm';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditLog, visits } from '../../src/db/schema/index.js';
import { recordCheckins } from '../../src/features/checkin/store.js';
import { CODE_ALPHABET } from '../../src/features/venues/codes.js';
import { parseCsv } from '../../src/features/venues/csv-import.js';
import { decodeQrPng } from '../helpers/qr.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { chat, payloads, textOf } from '../checkin/chat-driver.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';

let svc: TestService;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');

beforeAll(async () => {
  svc = await startTestService({ clock });
  svc.deps.tokenResolvers.push(async (t) =>
    t === 'comms-token-0123456789' ? { id: 'comms-1', roles: ['comms'] } : undefined,
  );
});
afterAll(() => svc.close());

const create = (body: unknown, headers: Record<string, string> = adminHeaders) =>
  svc.app.inject({ method: 'POST', url: '/api/v1/venues', headers, payload: body as object });

describe('venue API', () => {
  it('creates a venue: 201 with code, check-in URL and (when Telegram is known) the deep link', async () => {
    const res = await create({
      name: 'Quán cà phê Hoa Sứ',
      kind: 'restaurant',
      address: '12 Hoà Bình',
      wardCode: '31117',
    });
    expect(res.statusCode).toBe(201);
    const v = res.json();
    expect(v).toMatchObject({
      name: 'Quán cà phê Hoa Sứ',
      kind: 'restaurant',
      defaultStayMinutes: 60,
      wardCode: '31117',
    });
    expect(v.code).toMatch(new RegExp(`^[${CODE_ALPHABET}]{6}$`));
    expect(v.checkinUrl).toBe(`https://khaibao.test/c/${v.code}`);
    expect(v.telegramUrl).toBeUndefined();
    svc.deps.links.useTelegramBot(() => 'khaibao_test_bot');
    const got = await svc.app.inject({ url: `/api/v1/venues/${v.id}`, headers: adminHeaders });
    expect(got.json().telegramUrl).toBe(`https://t.me/khaibao_test_bot?start=v_${v.code}`);
    svc.deps.links.useTelegramBot(() => undefined);
    const office = (await create({ name: 'Sở Y tế', kind: 'office' })).json();
    expect(office.defaultStayMinutes).toBe(480);
  });

  it('codes have no look-alikes and differ from one another', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 30; i++) codes.add((await create({ name: `Sạp ${i}`, kind: 'shop' })).json().code);
    expect(codes.size).toBe(30);
    for (const c of codes) expect(c).not.toMatch(/[01OIL]/);
  });

  it('rejects bad input with a code, and 401/403/404 per the contract', async () => {
    expect((await create({ name: 'X', kind: 'spaceport' })).json().error.code).toBe('VENUE_KIND_UNKNOWN');
    expect((await create({ name: 'X', kind: 'office', wardCode: '99999' })).json().error.code).toBe('WARD_NOT_FOUND');
    expect((await create({ name: 'X', kind: 'office', defaultStayMinutes: 5 })).json().error.code).toBe(
      'VENUE_STAY_INVALID',
    );
    expect((await create({ kind: 'office' })).statusCode).toBe(400);
    expect((await create({ name: 'X', kind: 'office' }, {})).statusCode).toBe(401);
    expect(
      (await create({ name: 'X', kind: 'office' }, { authorization: 'Bearer comms-token-0123456789' })).statusCode,
    ).toBe(403);
    expect(
      (await svc.app.inject({ url: '/api/v1/venues/00000000-0000-0000-0000-000000000000', headers: adminHeaders }))
        .statusCode,
    ).toBe(404);
    expect((await svc.app.inject({ url: '/api/v1/venues/nope', headers: adminHeaders })).json().error.code).toBe(
      'VENUE_NOT_FOUND',
    );
  });

  it('lists venues with paging', async () => {
    const page = (await svc.app.inject({ url: '/api/v1/venues?limit=2&offset=1', headers: adminHeaders })).json();
    expect(page.venues).toHaveLength(2);
    expect(page).toMatchObject({ limit: 2, offset: 1 });
  });
});

describe('poster', () => {
  it('the PNG is an A4 portrait image whose QR decodes to the landing URL', async () => {
    const v = (
      await create({
        name: 'Nhà hàng Ẩm thực Đồng Quê – Bến Ninh Kiều',
        kind: 'restaurant',
        address: '38 Hai Bà Trưng',
      })
    ).json();
    const res = await svc.app.inject({ url: `/api/v1/venues/${v.id}/poster.png`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = res.rawPayload;
    const img = PNG.sync.read(png);
    expect(img.height / img.width).toBeCloseTo(297 / 210, 2);
    expect(decodeQrPng(png)).toBe(`https://khaibao.test/c/${v.code}`);
    console.log(`poster PNG ${png.length} bytes (${img.width}x${img.height})`);
  });

  it('the PDF is A4 with the Vietnamese font embedded, by token or by a signed chat link', async () => {
    const v = (await create({ name: 'Chợ Tân An', kind: 'shop' })).json();
    const res = await svc.app.inject({ url: `/api/v1/venues/${v.id}/poster.pdf`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload.toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/);
    expect(pdf).toMatch(/BeVietnamPro-Bold/);
    expect(pdf).toMatch(/\/FontFile2/);
    console.log(`poster PDF ${res.rawPayload.length} bytes`);
    expect((await svc.app.inject({ url: `/api/v1/venues/${v.id}/poster.pdf` })).statusCode).toBe(401);

    const { posterPdfLink } = await import('../../src/features/venues/routes.js');
    const link = new URL(posterPdfLink(svc.deps, v.id, clock.now()));
    expect((await svc.app.inject({ url: link.pathname + link.search })).statusCode).toBe(200);
    const tampered = link.search.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await svc.app.inject({ url: link.pathname + tampered })).statusCode).toBe(403);
    clock.advance(25 * 3_600_000);
    expect((await svc.app.inject({ url: link.pathname + link.search })).statusCode).toBe(403);
    clock.set('2021-08-01T08:00:00+07:00');
  });
});

describe('landing page', () => {
  it('shows the name, the code and a Telegram deep link whose start parameter checks in', async () => {
    const v = (await create({ name: 'Bến xe Cần Thơ', kind: 'station' })).json();
    svc.deps.links.useTelegramBot(() => 'khaibao_test_bot');
    try {
      const res = await svc.app.inject({ url: `/c/${v.code.toLowerCase()}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('Bến xe Cần Thơ');
      expect(res.body).toContain(`<div class="code" id="code">${v.code}</div>`);
      const href = /id="telegram" href="([^"]+)"/.exec(res.body)![1]!;
      const url = new URL(href);
      expect(url.origin + url.pathname).toBe('https://t.me/khaibao_test_bot');
      const param = url.searchParams.get('start')!;
      expect(param).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

      const r = await residentWithDeclaration(svc.db.db, { externalId: 'landing-1', declaredAt: clock.now() });
      const me = chat(svc, 'landing-1', 'web');
      const ask = await me.start(param);
      expect(textOf(ask)).toContain('Bến xe Cần Thơ');
      await me.press(payloads(ask).find((p) => p === 'cf:ok')!);
      const rows = await svc.db.db.query.visits.findMany({ where: eq(visits.personId, r.self.id) });
      expect(rows).toMatchObject([{ venueId: v.id, source: 'poster' }]);
    } finally {
      svc.deps.links.useTelegramBot(() => undefined);
    }
  });

  it('unknown code → 404 page, closed venue → 410 page, never a 500', async () => {
    const unknown = await svc.app.inject({ url: '/c/ZZZZ22' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('Không tìm thấy địa điểm');
    expect((await svc.app.inject({ url: '/c/%3Cscript%3E' })).body).not.toContain('<script>');
    const v = (await create({ name: 'Quán karaoke Đêm', kind: 'bar' })).json();
    await svc.db.db.execute(`update venues set closed_at = now() where id = '${v.id}'`);
    const closed = await svc.app.inject({ url: `/c/${v.code}` });
    expect(closed.statusCode).toBe(410);
    expect(closed.body).toContain('đang tạm đóng');
    expect((await svc.app.inject({ url: '/c/ZZZZ22', headers: { 'accept-language': 'en-US,en' } })).body).toContain(
      'Venue not found',
    );
  });
});

describe('CSV import', () => {
  it('keeps good lines and reports each bad one with its line number', async () => {
    const csv = [
      'name,kind,address,wardCode,defaultStayMinutes',
      'Trường THCS Tân An,school,1 Ngô Quyền,31117,',
      'Sân bay,airport,,,',
      '"Quán ăn ""Bà Tư"", chi nhánh 2",restaurant,"5 Lý Tự Trọng,',
      'tầng trệt",31120,90',
      '',
      'Tiệm vàng,shop,,99999,',
      'Chùa Ông,tourism,,,abc',
      'Thiếu cột,office',
      ',office,,,',
      'Nhà văn hoá,meeting,,,30',
    ].join('\r\n');
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues/import',
      headers: { ...adminHeaders, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.created).toBe(3);
    expect(body.errors.map((e: { line: number }) => e.line)).toEqual([3, 7, 8, 9, 10]);
    expect(body.errors[0].message).toContain('airport');
    expect(body.errors[1].message).toContain('99999');
    expect(body.errors[2].message).toContain('abc');
    expect(body.errors[3].message).toContain('expected 5 fields');
    expect(body.errors[4].message).toContain('name');
    const quoted = body.venues.find((v: { line: number }) => v.line === 4);
    const got = (await svc.app.inject({ url: `/api/v1/venues/${quoted.id}`, headers: adminHeaders })).json();
    expect(got).toMatchObject({
      name: 'Quán ăn "Bà Tư", chi nhánh 2',
      address: '5 Lý Tự Trọng, tầng trệt',
      wardCode: '31120',
      defaultStayMinutes: 90,
    });
  });

  it('a wrong header or a JSON body is refused as a whole', async () => {
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues/import',
      headers: { ...adminHeaders, 'content-type': 'text/csv' },
      payload: 'ten,loai\nA,office',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('CSV_HEADER_INVALID');
    const json = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues/import',
      headers: adminHeaders,
      payload: { a: 1 },
    });
    expect(json.statusCode).toBe(415);
    expect(
      (
        await svc.app.inject({
          method: 'POST',
          url: '/api/v1/venues/import',
          headers: { 'content-type': 'text/csv' },
          payload: 'x',
        })
      ).statusCode,
    ).toBe(401);
  });

  it('parses quoted fields and remembers where each record starts', () => {
    expect(parseCsv('a,b\n"x\ny",2\n\nz,3')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x\ny', '2'] },
      { line: 5, fields: ['z', '3'] },
    ]);
  });
});

describe('visits API', () => {
  it('lists visits overlapping the range and writes an audit row', async () => {
    const v = (await create({ name: 'Phòng khám Đa khoa', kind: 'clinic' })).json();
    const a = await residentWithDeclaration(svc.db.db, { externalId: 'va-1', name: 'Trần Thị Hoa' });
    const b = await residentWithDeclaration(svc.db.db, { externalId: 'va-2', name: 'Lê Văn Bình' });
    const c = await residentWithDeclaration(svc.db.db, { externalId: 'va-3', name: 'Phạm Minh' });
    const at = (s: string) => new Date(s);
    const base = { venueId: v.id, source: 'poster' as const, channel: 'web' };
    await recordCheckins(svc.db.db, {
      ...base,
      personIds: [a.self.id],
      accountId: a.accountId,
      now: at('2021-08-10T08:00:00+07:00'),
    });
    await svc.db.db
      .update(visits)
      .set({ exitedAt: at('2021-08-10T09:00:00+07:00'), exitReason: 'left' })
      .where(eq(visits.personId, a.self.id));
    await recordCheckins(svc.db.db, {
      ...base,
      personIds: [b.self.id],
      accountId: b.accountId,
      now: at('2021-08-10T09:30:00+07:00'),
    });
    await recordCheckins(svc.db.db, {
      ...base,
      personIds: [c.self.id],
      accountId: c.accountId,
      now: at('2021-08-10T12:00:00+07:00'),
    });

    const q = (from: string, to: string) =>
      svc.app.inject({
        url: `/api/v1/venues/${v.id}/visits?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
        headers: adminHeaders,
      });
    const res = await q('2021-08-10T08:30:00+07:00', '2021-08-10T10:00:00+07:00');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.visits.map((x: { fullName: string }) => x.fullName)).toEqual(['Trần Thị Hoa', 'Lê Văn Bình']);
    expect(body.visits[0]).toMatchObject({
      enteredAt: '2021-08-10T01:00:00.000Z',
      exitedAt: '2021-08-10T02:00:00.000Z',
      exitReason: 'left',
      source: 'poster',
    });
    const audit = await svc.db.db.query.auditLog.findMany({ where: eq(auditLog.subjectId, v.id) });
    expect(audit).toMatchObject([
      { actor: 'bootstrap', action: 'venue.visits.read', subjectType: 'venue', details: { count: 2 } },
    ]);

    expect((await q('2021-08-10T08:30:00', '2021-08-10T10:00:00+07:00')).statusCode).toBe(400);
    expect((await q('2021-08-10T10:00:00+07:00', '2021-08-10T08:00:00+07:00')).statusCode).toBe(400);
    expect((await q('2021-07-01T00:00:00Z', '2021-08-10T00:00:00Z')).statusCode).toBe(400);
  });
});
