import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { venueStaff, venues } from '../../src/db/schema/index.js';
import { formatClaimCode } from '../../src/features/venues/codes.js';
import { parseCsv } from '../../src/features/venues/csv-import.js';
import type { CoverageReport, CoverageWard } from '../../src/features/reports/index.js';
import { decodeQrPng } from '../helpers/qr.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { inviteOfficial } from '../helpers/officials.js';
import { WebChatClient } from '../web/chat-client.js';

let svc: TestService;
const CAI_KHE = '31117'; // Phường Cái Khế, Quận Ninh Kiều
const THANH_AN = '31231'; // Thị trấn Thạnh An, Huyện Vĩnh Thạnh
let caiKhe: Record<string, string>;
let thanhAn: Record<string, string>;

interface ImportAnswer {
  created: number;
  matched: number;
  errors: { line: number; message: string }[];
  venues: { line: number; id: string; name: string; wardCode: string; claimCode: string | null }[];
}

const importCsv = async (headers: Record<string, string>, csv: string | Buffer) => {
  const res = await svc.app.inject({
    method: 'POST',
    url: '/api/v1/reports/targets/import',
    headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' },
    payload: csv,
  });
  return { status: res.statusCode, body: res.json() as ImportAnswer };
};
const coverage = async (headers: Record<string, string>, query = '') => {
  const res = await svc.app.inject({ url: `/api/v1/reports/coverage${query}`, headers });
  expect(res.statusCode).toBe(200);
  return res.json() as CoverageReport;
};
const ward = (r: CoverageReport, code: string): CoverageWard | undefined => r.wards.find((w) => w.wardCode === code);

beforeAll(async () => {
  svc = await startTestService();
  caiKhe = (await inviteOfficial(svc, 'ward-ck', { role: 'ward_health', wardCodes: [CAI_KHE] })).headers;
  thanhAn = (await inviteOfficial(svc, 'ward-ta', { role: 'ward_health', wardCodes: [THANH_AN] })).headers;
  // Registered before the list came: the list's line with the same name counts it as registered.
  const res = await svc.app.inject({
    method: 'POST',
    url: '/api/v1/venues',
    headers: adminHeaders,
    payload: { name: 'Chợ Cái Khế', kind: 'shop', wardCode: CAI_KHE },
  });
  expect(res.statusCode).toBe(201);
  // Venues made over the API take the database's time; the report reads the test's clock (2021).
  await svc.db.db
    .update(venues)
    .set({ createdAt: new Date(svc.clock.now().getTime() - 86_400_000) })
    .where(eq(venues.name, 'Chợ Cái Khế'));
});
afterAll(() => svc.close());

describe('target lists of venues that must register (directive §11)', () => {
  it('imports a CSV with a byte-order mark, reports each bad line, and gives claim codes', async () => {
    const csv = Buffer.from(
      '\ufeffname,kind,ward,address\r\n' +
        'Quán cơm Ba Miền,restaurant,31117,12 Trần Văn Khéo\r\n' +
        'Nhà thuốc An Tâm,"Siêu thị, chợ, cửa hàng",cai khe,\r\n' +
        'Trường Tiểu học Cái Khế,truong hoc,Phường Cái Khế,\r\n' +
        'chợ cái khế,shop,31117,\r\n' + // the venue registered earlier
        'Karaoke Sao,bar,Phường Không Có,\r\n' + // 6: no such ward
        'Quán Không Loại,quan nhau,31117,\r\n' + // 7: no such kind
        'Thiếu cột,shop\r\n' + // 8: a field missing
        ',shop,31117,\r\n' + // 9: no name
        'Chợ Thạnh An,shop,31231,\r\n' + // 10: the admin may import any ward
        'Quán cơm Ba Miền,restaurant,31117,\r\n', // 11: already on the list
      'utf8',
    );
    const r = await importCsv(adminHeaders, csv);
    expect(r.status).toBe(201);
    expect(r.body.errors.map((e) => e.line)).toEqual([6, 7, 8, 9, 11]);
    expect(r.body.errors[0]!.message).toContain('no ward named "Phường Không Có"');
    expect(r.body.errors[1]!.message).toContain('kind "quan nhau"');
    expect(r.body.errors[2]!.message).toContain('expected 4 fields, found 2');
    expect(r.body.errors[3]!.message).toContain('name is required');
    expect(r.body.errors[4]!.message).toContain('already on the target list');
    expect(r.body.created).toBe(4);
    expect(r.body.matched).toBe(1);
    const byLine = new Map(r.body.venues.map((v) => [v.line, v]));
    expect(byLine.get(2)).toMatchObject({ name: 'Quán cơm Ba Miền', wardCode: CAI_KHE });
    expect(byLine.get(3)).toMatchObject({ name: 'Nhà thuốc An Tâm', wardCode: CAI_KHE });
    expect(byLine.get(4)).toMatchObject({ wardCode: CAI_KHE });
    expect(byLine.get(5)).toMatchObject({ name: 'Chợ Cái Khế', claimCode: null });
    expect(byLine.get(2)!.claimCode).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    const school = await svc.db.db.query.venues.findFirst({ where: eq(venues.id, byLine.get(4)!.id) });
    expect(school).toMatchObject({ kind: 'school', ownerAccountId: null });
    const api = await svc.app.inject({ url: `/api/v1/venues/${school!.id}`, headers: adminHeaders });
    expect(api.json()).toMatchObject({ required: true, registered: false });
  });

  it('the coverage report counts required, registered and missing; unclaimed ones are not registered venues', async () => {
    const r = await coverage(adminHeaders);
    const ck = ward(r, CAI_KHE)!;
    expect(ck.venues.total).toBe(1); // only the market registered before the list
    expect(ck.targets.required).toBe(4);
    expect(ck.targets.registered).toBe(1);
    expect(ck.targets.coveragePercent).toBe(25);
    expect(ck.targets.missing.map((m) => m.name).sort()).toEqual([
      'Nhà thuốc An Tâm',
      'Quán cơm Ba Miền',
      'Trường Tiểu học Cái Khế',
    ]);
    expect(ward(r, THANH_AN)!.targets).toMatchObject({ required: 1, registered: 0, coveragePercent: 0 });
    // A ward without a list has no percentage.
    expect(r.wards.find((w) => w.targets.required === 0)!.targets.coveragePercent).toBeNull();

    const csv = await svc.app.inject({ url: '/api/v1/reports/coverage.csv', headers: adminHeaders });
    const raw = csv.rawPayload;
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [head, ...rows] = parseCsv(raw.toString('utf8'));
    const header = head!.fields;
    const row = rows.find((r) => r.fields[0] === CAI_KHE)!.fields;
    expect(header).toContain('Địa điểm phải đăng ký');
    expect(header).toContain('Tỷ lệ bao phủ (%)');
    const at = (h: string) => row[header.indexOf(h)];
    expect(at('Địa điểm phải đăng ký')).toBe('4');
    expect(at('Đã đăng ký trong danh sách')).toBe('1');
    expect(at('Tỷ lệ bao phủ (%)')).toBe('25');
    expect(at('Địa điểm chưa đăng ký')).toBe('Nhà thuốc An Tâm; Quán cơm Ba Miền; Trường Tiểu học Cái Khế');
  });

  it('a ward official sees and imports only their own wards', async () => {
    const mine = await importCsv(caiKhe, 'name,kind,ward\nTiệm vàng Kim,shop,31117\nQuán Thạnh An,restaurant,31231\n');
    expect(mine.status).toBe(201);
    expect(mine.body.created).toBe(1);
    expect(mine.body.errors).toEqual([{ line: 3, message: 'ward 31231 is outside your wards' }]);

    const missingTa = await svc.app.inject({ url: '/api/v1/reports/coverage/missing', headers: thanhAn });
    expect((missingTa.json() as { wardCode: string }[]).map((m) => m.wardCode)).toEqual([THANH_AN]);
    const other = await svc.app.inject({
      url: `/api/v1/reports/coverage/missing?wardCode=${CAI_KHE}`,
      headers: thanhAn,
    });
    expect(other.statusCode).toBe(200);
    expect(other.json()).toEqual([]);
    const report = await coverage(thanhAn);
    expect(report.wards.map((w) => w.wardCode)).toEqual([THANH_AN]);
    const csv = await svc.app.inject({ url: '/api/v1/reports/coverage.csv', headers: thanhAn });
    expect(csv.body).not.toContain('Quán cơm Ba Miền');

    // The officials list shows each role's scope.
    const officials = (await svc.app.inject({ url: '/api/v1/officials', headers: adminHeaders })).json() as {
      officials: { roles: string[]; roleScopes: { role: string; wardCodes: string[] | null }[] }[];
    };
    const scopes = officials.officials.flatMap((o) => o.roleScopes);
    expect(scopes).toContainEqual({ role: 'ward_health', wardCodes: [CAI_KHE], districtCode: null });
    expect(scopes).toContainEqual({ role: 'ward_health', wardCodes: [THANH_AN], districtCode: null });

    const comms = (await inviteOfficial(svc, 'comms-1', { role: 'comms' })).headers;
    expect((await importCsv(comms, 'name,kind,ward\nX,shop,31117\n')).status).toBe(403);
  });

  it('an owner claims an imported venue by its code in the web chat instead of registering a duplicate', async () => {
    const [missing] = (
      await svc.app.inject({ url: `/api/v1/reports/coverage/missing?wardCode=${CAI_KHE}`, headers: caiKhe })
    ).json() as { id: string; name: string; claimCode: string }[];
    expect(missing!.name).toBe('Nhà thuốc An Tâm');
    const owner = new WebChatClient(svc.app);
    await owner.say('/diadiem');
    await owner.tap('Nhận địa điểm đã có mã');
    expect(owner.last.map((r) => r.text).join('\n')).toContain('mã nhận địa điểm');
    await owner.say('ABC');
    expect(owner.last[0]!.text).toContain('không phải là mã nhận địa điểm');
    const typed = `${missing!.claimCode.slice(0, 4).toLowerCase()}-${missing!.claimCode.slice(4)}`;
    await owner.say(typed);
    const text = owner.last.map((r) => r.text ?? '').join('\n');
    expect(text).toContain('Anh/Chị đã nhận địa điểm «Nhà thuốc An Tâm»');
    const v = (await svc.db.db.query.venues.findFirst({ where: eq(venues.id, missing!.id) }))!;
    const poster = owner.last.find((r) => r.image);
    expect(poster).toBeDefined();
    expect(v.claimedAt).not.toBeNull();
    expect(v.ownerAccountId).not.toBeNull();
    expect(await svc.db.db.query.venueStaff.findMany({ where: eq(venueStaff.venueId, v.id) })).toMatchObject([
      { role: 'owner', accountId: v.ownerAccountId },
    ]);
    // No duplicate: still one venue of that name, now counted as registered.
    expect(await svc.db.db.query.venues.findMany({ where: eq(venues.name, 'Nhà thuốc An Tâm') })).toHaveLength(1);
    const ck = ward(await coverage(caiKhe), CAI_KHE)!;
    expect(ck.targets).toMatchObject({ required: 5, registered: 2, coveragePercent: 40 });
    expect(ck.venues.total).toBe(2);
    expect(ck.targets.missing.map((m) => m.id)).not.toContain(v.id);
    // The owner's menu lists it like a venue they registered.
    await owner.say('/diadiem');
    expect(owner.last[0]!.text).toContain(`Nhà thuốc An Tâm – mã ${v.code}`);

    // Someone else with the same code (or /diadiem <code>) cannot take it.
    const other = new WebChatClient(svc.app);
    await other.say(`/diadiem ${missing!.claimCode}`);
    expect(other.last[0]!.text).toContain('đã có người nhận');
    // Typed alone, as given, it is understood too.
    await other.say(formatClaimCode(missing!.claimCode));
    expect(other.last[0]!.text).toContain('đã có người nhận');
    await other.say('/diadiem ZZZZ-ZZZZ');
    expect(other.last[0]!.text).toContain('Không có địa điểm nào với mã ZZZZ-ZZZZ');
    expect(decodeQrPng(Buffer.from(poster!.image!.replace(/^data:image\/png;base64,/, ''), 'base64'))).toContain(
      `/c/${v.code}`,
    );
  });
});
