import { and, asc, count, eq, inArray, like, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { districts, persons, wards, type District, type Ward } from '../../db/schema/index.js';
import { fold } from '../../core/answer-parsing.js';
import { HOME_PROVINCE_CODE, provinceUnits } from './admin-units.js';

/** How many matches of a typed ward name a resident is offered at once (one button each). */
export const WARD_CHOICES = 8;
/** How many wards a district's name lists at once (Can Tho's largest district, Thới Lai, has 13). */
export const DISTRICT_CHOICES = 24;

const WARD_PREFIX = /^(phuong|xa|thi tran|p\.|x\.|tt\.?)\s*/;
const DISTRICT_PREFIX = /^(quan|huyen|thi xa|thanh pho|tp\.?|q\.|h\.)\s*/;

/** Ward names as people type them: "Phường Cái Khế" and "cai khe" both fold to "cai khe". */
export function wardSearchName(name: string): string {
  return fold(name).replace(WARD_PREFIX, '').trim();
}

/** District names as people type them: "Quận Ninh Kiều" and "ninh kieu" both fold to "ninh kieu". */
export function districtSearchName(name: string): string {
  return fold(name).replace(DISTRICT_PREFIX, '').trim();
}

const likeSafe = (s: string) => s.replace(/[%_\\]/g, '');

export async function wardCount(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: count() }).from(wards);
  return Number(row?.n ?? 0);
}

export async function wardByCode(db: DbOrTx, code: string): Promise<Ward | undefined> {
  return db.query.wards.findFirst({ where: eq(wards.code, code) });
}

/** "Phường Cái Khế, Quận Ninh Kiều": how a ward is shown to residents. */
export const wardLabel = (w: Pick<Ward, 'name' | 'district'>): string => `${w.name}, ${w.district}`;

/** Name order: names starting with `q` first, then names with a word starting with it, then the rest. */
const nameRank = (q: string): SQL =>
  sql`case when ${wards.searchName} like ${q + '%'} then 0 when ${wards.searchName} like ${'% ' + q + '%'} then 1 else 2 end`;

/**
 * Wards whose folded name contains what was typed (diacritics and "phường"/"xã" ignored), best first (nameRank),
 * optionally only in some districts. Returns at most `limit + 1` rows so callers can tell "too many".
 */
export async function searchWards(
  db: DbOrTx,
  query: string,
  limit = WARD_CHOICES,
  districtCodes?: string[],
): Promise<Ward[]> {
  const q = likeSafe(wardSearchName(query));
  if (q.length < 2) return [];
  const where = like(wards.searchName, `%${q}%`);
  return db
    .select()
    .from(wards)
    .where(districtCodes ? and(where, inArray(wards.districtCode, districtCodes)) : where)
    .orderBy(nameRank(q), asc(wards.searchName))
    .limit(limit + 1);
}

/**
 * Districts named by what was typed: the whole name ("ninh kieu", "Quận Ninh Kiều") or, from 4 letters, its first
 * words ("ninh"). Diacritics and "quận"/"huyện"/"thị xã" are ignored.
 */
export async function districtsNamed(db: DbOrTx, typed: string): Promise<District[]> {
  const q = likeSafe(districtSearchName(typed));
  if (q.length < 2) return [];
  return db
    .select()
    .from(districts)
    .where(
      q.length >= 4
        ? or(eq(districts.searchName, q), like(districts.searchName, `${q} %`))
        : eq(districts.searchName, q),
    )
    .orderBy(asc(districts.code));
}

export async function wardsInDistricts(db: DbOrTx, codes: string[], limit = DISTRICT_CHOICES): Promise<Ward[]> {
  if (codes.length === 0) return [];
  return db
    .select()
    .from(wards)
    .where(inArray(wards.districtCode, codes))
    .orderBy(asc(wards.districtCode), asc(wards.searchName))
    .limit(limit + 1);
}

/**
 * The wards a resident means by what they typed: a ward's name ("cai khe"), a district's ("ninh kieu" lists its
 * wards after any ward of that name), or both separated by a comma ("an binh, ninh kieu"). "Phường …"/"xã …"
 * searches ward names only, "quận …"/"huyện …" districts only. `more` = there were more than were returned.
 */
export async function findWards(db: DbOrTx, typed: string): Promise<{ wards: Ward[]; more: boolean }> {
  const comma = typed.indexOf(',');
  if (comma > 0) {
    const inDistricts = await districtsNamed(db, typed.slice(comma + 1));
    if (inDistricts.length > 0) {
      const found = await searchWards(
        db,
        typed.slice(0, comma),
        WARD_CHOICES,
        inDistricts.map((d) => d.code),
      );
      return { wards: found.slice(0, WARD_CHOICES), more: found.length > WARD_CHOICES };
    }
    typed = typed.slice(0, comma);
  }
  const folded = fold(typed);
  const byName = DISTRICT_PREFIX.test(folded) ? [] : await searchWards(db, typed);
  const named = WARD_PREFIX.test(folded) ? [] : await districtsNamed(db, typed);
  const inDistrict = await wardsInDistricts(
    db,
    named.map((d) => d.code),
  );
  const out = byName.slice(0, WARD_CHOICES);
  const seen = new Set(out.map((w) => w.code));
  for (const w of inDistrict.slice(0, DISTRICT_CHOICES)) if (!seen.has(w.code)) out.push(w);
  return { wards: out, more: byName.length > WARD_CHOICES || inDistrict.length > DISTRICT_CHOICES };
}

export interface WardListItem {
  code: string;
  name: string;
  districtCode: string | null;
  districtName: string;
  /** the ward health station's phone, null = residents are given the city hotline */
  hotline: string | null;
}

/**
 * The API's ward list: every ward, or those whose name or district's name contains `q` (diacritics ignored),
 * and/or those of one district; ordered by district, then ward code.
 */
export async function listWards(db: DbOrTx, opts: { q?: string; districtCode?: string }): Promise<WardListItem[]> {
  const conditions: SQL[] = [];
  if (opts.districtCode) conditions.push(eq(wards.districtCode, opts.districtCode));
  if (opts.q !== undefined) {
    const w = likeSafe(wardSearchName(opts.q));
    const d = likeSafe(districtSearchName(opts.q));
    conditions.push(or(like(wards.searchName, `%${w}%`), like(districts.searchName, `%${d}%`))!);
  }
  return db
    .select({
      code: wards.code,
      name: wards.name,
      districtCode: wards.districtCode,
      districtName: wards.district,
      hotline: wards.hotline,
    })
    .from(wards)
    .leftJoin(districts, eq(districts.code, wards.districtCode))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(wards.districtCode), asc(wards.code));
}

/** Rows per insert statement (6 parameters a row, far below PostgreSQL's 65,535). */
const CHUNK = 2000;

/**
 * Loads one province's districts and wards from the shipped GSO list (admin-units.ts). `update` = names are
 * rewritten from the list (an import); otherwise existing rows are left as they are and only a missing
 * district code is filled in (the seed at every start). One insert per table for a province the size of Can Tho.
 */
export async function loadProvince(
  db: DbOrTx,
  provinceCode: string,
  opts: { update: boolean },
): Promise<{ province: string; districts: number; wards: number }> {
  const units = provinceUnits(provinceCode);
  if (!units) throw new Error(`unknown province code ${provinceCode}`);
  const { province } = units;
  const districtRows = units.districts.map((d) => ({
    code: d.code,
    name: d.name,
    provinceCode: province.code,
    province: province.name,
    searchName: districtSearchName(d.name),
  }));
  const districtName = new Map(units.districts.map((d) => [d.code, d.name]));
  const wardRows = units.wards.map((w) => ({
    code: w.code,
    name: w.name,
    district: districtName.get(w.districtCode)!,
    province: province.name,
    districtCode: w.districtCode,
    searchName: wardSearchName(w.name),
  }));
  if (districtRows.length > 0) {
    const insert = db.insert(districts).values(districtRows);
    await (opts.update
      ? insert.onConflictDoUpdate({
          target: districts.code,
          set: {
            name: sql`excluded.name`,
            provinceCode: sql`excluded.province_code`,
            province: sql`excluded.province`,
            searchName: sql`excluded.search_name`,
          },
        })
      : insert.onConflictDoNothing());
  }
  for (let i = 0; i < wardRows.length; i += CHUNK) {
    const insert = db.insert(wards).values(wardRows.slice(i, i + CHUNK));
    await (opts.update
      ? insert.onConflictDoUpdate({
          target: wards.code,
          set: {
            name: sql`excluded.name`,
            district: sql`excluded.district`,
            province: sql`excluded.province`,
            districtCode: sql`excluded.district_code`,
            searchName: sql`excluded.search_name`,
          },
        })
      : insert.onConflictDoUpdate({
          target: wards.code,
          set: { districtCode: sql`excluded.district_code` },
          where: sql`${wards.districtCode} is null`,
        }));
  }
  return { province: province.name, districts: districtRows.length, wards: wardRows.length };
}

/** The home province's wards, so the declaration's ward question works on a fresh install. Run at every start. */
export async function seedHomeWards(db: DbOrTx): Promise<void> {
  await loadProvince(db, HOME_PROVINCE_CODE, { update: false });
}

/** Sets (or with null clears) a ward's health station phone. Returns the ward, or undefined for an unknown code. */
export async function setWardHotline(db: DbOrTx, code: string, hotline: string | null): Promise<Ward | undefined> {
  const [row] = await db.update(wards).set({ hotline }).where(eq(wards.code, code)).returning();
  return row;
}

/** The number a resident of `wardCode` is told to call: their ward health station's, else the city hotline. */
export async function wardHotline(
  db: DbOrTx,
  wardCode: string | null | undefined,
  cityHotline: string,
): Promise<string> {
  if (!wardCode) return cityHotline;
  const [row] = await db.select({ hotline: wards.hotline }).from(wards).where(eq(wards.code, wardCode)).limit(1);
  return row?.hotline ?? cityHotline;
}

/**
 * The ward health station phones of these persons' wards, by person: null when the ward has none; persons
 * without a ward in the city (or unknown) are absent.
 */
export async function wardHotlinesOfPersons(db: DbOrTx, personIds: string[]): Promise<Map<string, string | null>> {
  if (personIds.length === 0) return new Map();
  const rows = await db
    .select({ personId: persons.id, hotline: wards.hotline })
    .from(persons)
    .innerJoin(wards, eq(wards.code, persons.wardCode))
    .where(inArray(persons.id, personIds));
  return new Map(rows.map((r) => [r.personId, r.hotline]));
}

/** The home province's wards, by district then code: a pick list on one screen (the staff quick declaration). */
export async function homeWards(db: DbOrTx): Promise<Pick<Ward, 'code' | 'name' | 'district'>[]> {
  return db
    .select({ code: wards.code, name: wards.name, district: wards.district })
    .from(wards)
    .innerJoin(districts, eq(districts.code, wards.districtCode))
    .where(eq(districts.provinceCode, HOME_PROVINCE_CODE))
    .orderBy(asc(wards.districtCode), asc(wards.code));
}
