import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importWardCsv, searchWards, wardByCode, wardCount } from '../../src/features/wards/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

describe('ward import and search', () => {
  it('imports the demo CSV, then a corrected file updates by code', async () => {
    const csv = readFileSync(new URL('../../scripts/can-tho-wards.csv', import.meta.url), 'utf8');
    const first = await importWardCsv(database.db, csv);
    expect(first).toEqual({ imported: csv.trim().split('\n').length - 1, errors: [] });
    const again = await importWardCsv(database.db, '31117,Phường Cái Khế (mới),Quận Ninh Kiều,Thành phố Cần Thơ\nbad line');
    expect(again.imported).toBe(1);
    expect(again.errors).toHaveLength(1);
    expect(await wardCount(database.db)).toBe(first.imported);
    expect((await wardByCode(database.db, '31117'))?.name).toBe('Phường Cái Khế (mới)');
  });

  it.each([
    ['cai khe', ['31117']],
    ['Cái Khế', ['31117']],
    ['CAI KHE', ['31117']],
    ['phường cái khế', ['31117']],
    ['xuan', ['31144']],
    ['hung loi', ['31147']],
  ])('%s finds %j', async (q, codes) => {
    expect((await searchWards(database.db, q)).map((w) => w.code)).toEqual(codes);
  });

  it('names starting with the query come first; too short or unknown finds nothing', async () => {
    const an = await searchWards(database.db, 'an');
    expect(an.length).toBeGreaterThan(3);
    const names = an.map((w) => w.name);
    expect(names[0]).toMatch(/^Phường An /);
    expect(names.indexOf('Phường Tân An')).toBeGreaterThan(names.indexOf('Phường An Phú'));
    expect(names.at(-1)).toBe('Phường Xuân Khánh');
    expect(await searchWards(database.db, 'a')).toEqual([]);
    expect(await searchWards(database.db, 'hà nội')).toEqual([]);
    expect(await searchWards(database.db, '%')).toEqual([]);
  });
});
