import { asc, count, eq, like, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { wards, type Ward } from '../../db/schema/index.js';
import { fold } from '../../core/answer-parsing.js';

/** How many matches a resident is offered at once (one button each). */
export const WARD_CHOICES = 8;

/** Ward names as people type them: "Phường Cái Khế" and "cai khe" both fold to "cai khe". */
export function wardSearchName(name: string): string {
  return fold(name).replace(/^(phuong|xa|thi tran|p\.|x\.|tt\.?)\s*/, '').trim();
}

export async function wardCount(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: count() }).from(wards);
  return Number(row?.n ?? 0);
}

export async function wardByCode(db: DbOrTx, code: string): Promise<Ward | undefined> {
  return db.query.wards.findFirst({ where: eq(wards.code, code) });
}

/**
 * Wards whose folded name contains what was typed (diacritics and "phường"/"xã" ignored): names starting with it
 * first, then names with a word starting with it, then the rest. Returns at most `limit + 1` rows so callers can tell "too many".
 */
export async function searchWards(db: DbOrTx, query: string, limit = WARD_CHOICES): Promise<Ward[]> {
  const q = wardSearchName(query).replace(/[%_\\]/g, '');
  if (q.length < 2) return [];
  return db
    .select()
    .from(wards)
    .where(like(wards.searchName, `%${q}%`))
    .orderBy(
      sql`case when ${wards.searchName} like ${q + '%'} then 0 when ${wards.searchName} like ${'% ' + q + '%'} then 1 else 2 end`,
      asc(wards.searchName),
    )
    .limit(limit + 1);
}

export interface WardRow {
  code: string;
  name: string;
  district: string;
  province: string;
}

export interface WardImportResult {
  imported: number;
  errors: { line: number; message: string }[];
}

/** Parses `code,name,district,province` (header optional, fields may be quoted) into rows and per-line errors. */
export function parseWardCsv(csv: string): { rows: WardRow[]; errors: { line: number; message: string }[] } {
  const rows: WardRow[] = [];
  const errors: { line: number; message: string }[] = [];
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const fields = splitCsvLine(line).map((f) => f.trim());
    if (i === 0 && fold(fields[0] ?? '') === 'code') return;
    if (fields.length !== 4 || fields.some((f) => !f)) {
      errors.push({ line: i + 1, message: 'expected 4 non-empty fields: code,name,district,province' });
      return;
    }
    const [code, name, district, province] = fields as [string, string, string, string];
    if (!/^[A-Za-z0-9_-]{1,20}$/.test(code)) {
      errors.push({ line: i + 1, message: 'code must be 1-20 letters or digits' });
      return;
    }
    rows.push({ code, name, district, province });
  });
  return { rows, errors };
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Inserts or updates wards by code (re-importing a corrected file is safe). */
export async function upsertWards(db: DbOrTx, rows: WardRow[]): Promise<number> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500).map((r) => ({ ...r, searchName: wardSearchName(r.name) }));
    await db
      .insert(wards)
      .values(chunk)
      .onConflictDoUpdate({
        target: wards.code,
        set: {
          name: sql`excluded.name`,
          district: sql`excluded.district`,
          province: sql`excluded.province`,
          searchName: sql`excluded.search_name`,
        },
      });
  }
  return rows.length;
}

export async function importWardCsv(db: DbOrTx, csv: string): Promise<WardImportResult> {
  const { rows, errors } = parseWardCsv(csv);
  const imported = await upsertWards(db, rows);
  return { imported, errors };
}
