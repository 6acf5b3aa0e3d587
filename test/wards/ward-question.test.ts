import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, persons } from '../../src/db/schema/index.js';
import { createApiToken } from '../../src/features/officials/api-tokens.js';
import { loadProvince, wardCount } from '../../src/features/wards/store.js';
import { startFakeTelegram, TelegramPerson, tgUser, type FakeTelegram, webhookEnv } from '../helpers/fake-telegram.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { answerHealthQuestions } from '../helpers/declaration-form.js';
import { buildIfStale, compiled } from '../helpers/compiled.js';
import { testBackend } from '../helpers/db.js';
import { telegramForm } from '../telegram/telegram-resident.js';

/**
 * The ward question on a fresh install, through the real bot behind the fake Bot API: Can Tho's wards are there
 * without any import, a district narrows the list, someone from another province names it and finishes; the
 * ward list API; and a province imported by `wards:import` while the service runs.
 */
const SECRET = 'wards-secret_0123456789';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let tg: FakeTelegram;
let svc: TestService;

// The import script runs compiled, as `npm run wards:import` runs it.
beforeAll(buildIfStale, 300_000);
beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    env: webhookEnv(tg, SECRET),
  });
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});

let nextId = 8100;
const NAMES = ['Lan', 'Mai', 'Hoa', 'Cúc', 'Đào', 'Huệ', 'Thu', 'Hằng'];
/** A new resident who has answered everything before the ward question (no ID number). */
async function upToWard(): Promise<TelegramPerson> {
  const id = nextId++;
  const p = new TelegramPerson(svc.app, tg, SECRET, tgUser(id, 'vi', `R${id}`));
  await p.say('/start');
  await p.tap('Tiếng Việt');
  await p.tap('Đồng ý');
  await p.say(`Trần Thị ${NAMES[id % NAMES.length]}`);
  await p.say('1990');
  await p.tap('Nữ');
  await p.shareContact(`8491${id}000`);
  await p.tap('Bỏ qua');
  return p;
}

/** From the street question to the summary (street, health answers "no", 2 doses). */
async function toSummary(p: TelegramPerson): Promise<string> {
  expect(p.transcript()).toContain('Số nhà, tên đường');
  await p.say('12 Trần Văn Khéo');
  await answerHealthQuestions(telegramForm(p));
  await p.tap('2');
  expect(p.buttons()).toContain('✅ Xác nhận');
  return p.transcript();
}

async function personOf(p: TelegramPerson) {
  const account = await svc.db.db.query.accounts.findFirst({
    where: and(eq(accounts.channel, 'telegram'), eq(accounts.externalId, String(p.user.id))),
  });
  return svc.db.db.query.persons.findFirst({ where: eq(persons.ownerAccountId, account!.id) });
}

const wardButtons = (p: TelegramPerson) =>
  p.buttons().filter((b) => b.startsWith('Phường') || b.startsWith('Xã') || b.startsWith('Thị trấn'));

describe('the ward question on a fresh install', () => {
  it('is asked without any import, and "cai khe" finds Phường Cái Khế', async () => {
    expect(await wardCount(svc.db.db)).toBe(83);
    const p = await upToWard();
    expect(p.transcript()).toContain('Anh/Chị đang ở phường/xã nào?');
    expect(p.buttons()).toEqual(['Tỉnh/thành khác']);
    await p.say('cai khe');
    expect(wardButtons(p)).toEqual(['Phường Cái Khế, Quận Ninh Kiều']);
    await p.tap('Phường Cái Khế');
    const summary = await toSummary(p);
    expect(summary).toContain('Phường/xã: Phường Cái Khế, Quận Ninh Kiều');
    await p.tap('Xác nhận');
    expect(await personOf(p)).toMatchObject({ wardCode: '31117', provinceCode: null });
  });

  it('a district narrows the list: "ninh kieu" lists the 11 wards of Quận Ninh Kiều', async () => {
    const p = await upToWard();
    await p.say('ninh kieu');
    const listed = wardButtons(p);
    expect(listed).toHaveLength(11);
    for (const b of listed) expect(b).toMatch(/^Phường .+, Quận Ninh Kiều$/);
    expect(listed).toContain('Phường An Bình, Quận Ninh Kiều');
    expect(p.buttons()).toEqual(expect.arrayContaining(['🔍 Tìm lại', 'Tỉnh/thành khác']));
    // Another district typed at the list replaces it; Thới Lai has 13.
    await p.say('Huyện Thới Lai');
    expect(wardButtons(p)).toHaveLength(13);
    await p.say('an binh, ninh kieu');
    expect(wardButtons(p)).toEqual(['Phường An Bình, Quận Ninh Kiều']);
    await p.tap('Phường An Bình');
    expect(await toSummary(p)).toContain('Phường/xã: Phường An Bình, Quận Ninh Kiều');
    // Changed from the summary to another province, then back to a ward: the last answer is what is kept.
    await p.tap('Sửa');
    await p.tap('Phường/xã');
    await p.tap('Tỉnh/thành khác');
    await p.say('Hậu Giang');
    expect(p.transcript()).toContain('Phường/xã: Tỉnh Hậu Giang (ngoài Cần Thơ)');
    await p.tap('Sửa');
    await p.tap('Phường/xã');
    await p.say('an binh, ninh kieu');
    await p.tap('Phường An Bình');
    expect(p.transcript()).toContain('Phường/xã: Phường An Bình, Quận Ninh Kiều');
    await p.tap('Xác nhận');
    expect(await personOf(p)).toMatchObject({ wardCode: '31150', provinceCode: null });
  });

  it('someone outside Can Tho taps «Tỉnh/thành khác», names the province and finishes', async () => {
    const p = await upToWard();
    await p.tap('Tỉnh/thành khác');
    expect(p.transcript()).toContain('Anh/Chị đang sống ở tỉnh/thành phố nào?');
    await p.say('xyz');
    expect(p.transcript()).toContain('Không tìm thấy tỉnh/thành phố');
    await p.say('hau giang');
    const summary = await toSummary(p);
    expect(summary).toContain('Phường/xã: Tỉnh Hậu Giang (ngoài Cần Thơ)');
    await p.tap('Xác nhận');
    expect(p.transcript()).toContain('Cảm ơn');
    expect(await personOf(p)).toMatchObject({ wardCode: null, provinceCode: '93', street: '12 Trần Văn Khéo' });
    // What the service holds about them says so too.
    await p.say('/dulieu');
    expect(p.transcript()).toContain('Phường/xã: Tỉnh Hậu Giang (ngoài Cần Thơ)');
  });

  it('"tỉnh/thành khác" can be typed; a partial name offers the provinces; Cần Thơ goes back to the wards', async () => {
    const p = await upToWard();
    await p.say('tinh/thanh khac');
    expect(p.transcript()).toContain('tỉnh/thành phố nào');
    await p.say('Cần Thơ');
    expect(p.transcript()).toContain('phường/xã nào');
    await p.say('ngoai can tho');
    await p.say('ha');
    expect(p.buttons()).toEqual(
      expect.arrayContaining(['Thành phố Hà Nội', 'Tỉnh Hà Giang', 'Chọn phường/xã ở Cần Thơ']),
    );
    await p.tap('Thành phố Hà Nội');
    expect(await toSummary(p)).toContain('Phường/xã: Thành phố Hà Nội (ngoài Cần Thơ)');
    await p.tap('Xác nhận');
    expect(await personOf(p)).toMatchObject({ wardCode: null, provinceCode: '01' });
  });
});

describe('GET /api/v1/wards', () => {
  const get = (query: string, headers: Record<string, string> = adminHeaders) =>
    svc.app.inject({ method: 'GET', url: `/api/v1/wards${query}`, headers });

  it('lists every Can Tho ward with its district on a fresh install', async () => {
    const res = await get('');
    expect(res.statusCode).toBe(200);
    const all = res.json() as { code: string; name: string; districtCode: string; districtName: string }[];
    expect(all).toHaveLength(83);
    expect(new Set(all.map((w) => w.districtCode))).toEqual(
      new Set(['916', '917', '918', '919', '923', '924', '925', '926', '927']),
    );
    expect(all).toContainEqual({
      code: '31117',
      name: 'Phường Cái Khế',
      districtCode: '916',
      districtName: 'Quận Ninh Kiều',
      hotline: null,
    });
  });

  it('filters by q (ward or district name, no diacritics needed) and districtCode', async () => {
    expect((await get('?q=cai%20khe')).json()).toEqual([
      { code: '31117', name: 'Phường Cái Khế', districtCode: '916', districtName: 'Quận Ninh Kiều', hotline: null },
    ]);
    const ninhKieu = (await get('?districtCode=916')).json() as { districtName: string }[];
    expect(ninhKieu).toHaveLength(11);
    expect(new Set(ninhKieu.map((w) => w.districtName))).toEqual(new Set(['Quận Ninh Kiều']));
    expect((await get('?q=ninh%20kieu')).json()).toEqual(ninhKieu);
    expect((await get('?q=an%20binh&districtCode=916')).json()).toEqual([
      { code: '31150', name: 'Phường An Bình', districtCode: '916', districtName: 'Quận Ninh Kiều', hotline: null },
    ]);
    expect((await get('?q=cai%20khe&districtCode=926')).json()).toEqual([]);
  });

  it('refuses bad queries with 400, no token with 401; health and comms may read it', async () => {
    for (const q of ['?districtCode=abc', '?zone=1', '?q=', '?q=a&q=b']) expect((await get(q)).statusCode, q).toBe(400);
    expect((await get('', {})).statusCode).toBe(401);
    const now = svc.clock.now();
    for (const role of ['health', 'comms'] as const) {
      const { token } = await createApiToken(svc.db.db, { roles: [role], actor: 'test', now });
      expect((await get('?districtCode=916', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    }
    const openapi = (
      await svc.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: adminHeaders })
    ).json() as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    expect(openapi.paths['/api/v1/wards']?.get?.parameters?.map((x) => x.name)).toEqual(['q', 'districtCode']);
  });
});

describe('npm run wards:import -- <province>', () => {
  it("loads another province's wards, and the running service finds them at once", async () => {
    expect(
      (await svc.app.inject({ method: 'GET', url: '/api/v1/wards?q=hoa%20luu', headers: adminHeaders })).json(),
    ).toEqual([]);
    if (testBackend === 'postgres') {
      // The script itself, as an operator runs it, on this test's database while the service keeps running.
      const run = spawnSync(process.execPath, [compiled('scripts/import-wards.ts'), '93'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: svc.db.url },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('Tỉnh Hậu Giang (93): 8 districts, 75 wards imported');
    } else {
      // An in-memory PGlite cannot be reached from another process: the same load the script runs.
      expect(await loadProvince(svc.db.db, '93', { update: true })).toMatchObject({ districts: 8 });
    }
    const found = (
      await svc.app.inject({ method: 'GET', url: '/api/v1/wards?q=hoa%20luu', headers: adminHeaders })
    ).json();
    expect(found).toEqual([
      { code: '31336', name: 'Xã Hoả Lựu', districtCode: '930', districtName: 'Thành phố Vị Thanh', hotline: null },
    ]);

    // In chat too: a Vị Thanh resident picks their ward by its district.
    const p = await upToWard();
    await p.say('vi thanh');
    expect(wardButtons(p)).toContain('Xã Hoả Lựu, Thành phố Vị Thanh');
    await p.tap('Xã Hoả Lựu');
    await toSummary(p);
    await p.tap('Xác nhận');
    expect(await personOf(p)).toMatchObject({ wardCode: '31336', provinceCode: null });
  });
});
