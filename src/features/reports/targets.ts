import { and, eq, isNull, sql } from 'drizzle-orm';
import { fold } from '../../core/answer-parsing.js';
import { AppError } from '../../core/errors.js';
import { tFor } from '../../core/i18n.js';
import type { DbOrTx } from '../../db/client.js';
import { venues } from '../../db/schema/index.js';
import { inScope, type WardScope } from '../officials/scope.js';
import { parseCsv } from '../venues/csv-import.js';
import { VENUE_KINDS, type VenueKind } from '../venues/kinds.js';
import { createVenue } from '../venues/store.js';
import { findWards, wardByCode } from '../wards/store.js';

/** Columns of a target list; `address` may be empty or left out. `ward` takes a GSO code or a ward's name. */
export const TARGET_COLUMNS = ['name', 'kind', 'ward', 'address'] as const;
export const MAX_TARGET_ROWS = 5000;

export interface TargetImportResult {
  /** required venues created, each with a claim code for its owner */
  created: number;
  /** lines that named a venue already registered in that ward (same name): marked required, no code needed */
  matched: number;
  errors: { line: number; message: string }[];
  venues: { line: number; id: string; name: string; wardCode: string; claimCode: string | null }[];
}

/** Kind as officials write it: the id ("restaurant") or the label in Vietnamese or English, diacritics optional. */
function kindOf(typed: string): VenueKind | undefined {
  const f = fold(typed);
  if (!f) return undefined;
  const vi = tFor('vi');
  const en = tFor('en');
  return VENUE_KINDS.find(
    (k) => k.id === f || fold(vi(`venues:kind.${k.id}`)) === f || fold(en(`venues:kind.${k.id}`)) === f,
  )?.id;
}

/** The ward a line names: a 5-digit code, or a name that matches exactly one ward ("cai khe", "An Bình, Ninh Kiều"). */
async function wardOf(db: DbOrTx, typed: string): Promise<{ code: string } | { error: string }> {
  if (/^\d{5}$/.test(typed)) {
    const w = await wardByCode(db, typed);
    return w ? { code: w.code } : { error: `ward code "${typed}" is not in the ward list` };
  }
  const { wards: found } = await findWards(db, typed);
  const exact = found.filter((w) => fold(w.name) === fold(typed) || w.searchName === fold(typed));
  const pick = exact.length === 1 ? exact : found;
  if (pick.length === 1) return { code: pick[0]!.code };
  if (pick.length === 0) return { error: `no ward named "${typed.slice(0, 60)}"` };
  return {
    error: `"${typed.slice(0, 60)}" names several wards (${pick
      .slice(0, 5)
      .map((w) => `${w.code} ${w.name}, ${w.district}`)
      .join('; ')}): write the ward code`,
  };
}

/**
 * Imports a target list (directive §11): venues that must register, as CSV with the header name,kind,ward,address
 * (any order; UTF-8, a byte-order mark is fine). Each good line becomes a required venue with a claim code its
 * owner sends in chat (/diadiem) to take it over instead of registering a duplicate; a line naming a venue already
 * registered in that ward (same name, open) marks that venue required. Each bad line is reported with its number
 * and reason; lines for wards outside `scope` are refused. Each line is its own savepoint.
 */
export async function importTargets(
  db: DbOrTx,
  a: { text: string; scope: WardScope; now: Date },
): Promise<TargetImportResult> {
  const records = parseCsv(a.text);
  const header = records.shift();
  const expected = TARGET_COLUMNS.join(',');
  if (!header) throw new AppError('CSV_EMPTY', `The CSV is empty; the first line must be the header ${expected}.`);
  // `wardCode`, as in the venue import, is taken for `ward`.
  const cols = header.fields.map((h) => h.trim().toLowerCase()).map((h) => (h === 'wardcode' ? 'ward' : h));
  const unknown = cols.filter((c) => !(TARGET_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0 || !cols.includes('name') || !cols.includes('kind') || !cols.includes('ward')) {
    throw new AppError(
      'CSV_HEADER_INVALID',
      `The header must name the columns ${expected} (name, kind and ward required)${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`,
    );
  }
  if (records.length > MAX_TARGET_ROWS) {
    throw new AppError('CSV_TOO_LARGE', `At most ${MAX_TARGET_ROWS} venues per import; split the file.`, 413);
  }
  const result: TargetImportResult = { created: 0, matched: 0, errors: [], venues: [] };
  const fail = (line: number, message: string) => result.errors.push({ line, message });
  for (const rec of records) {
    if (rec.fields.length !== cols.length) {
      fail(rec.line, `expected ${cols.length} fields, found ${rec.fields.length}`);
      continue;
    }
    if (rec.fields.some((f) => f.includes('\u0000'))) {
      fail(rec.line, 'the line contains a NUL character');
      continue;
    }
    const get = (c: string) => {
      const i = cols.indexOf(c);
      return i >= 0 ? rec.fields[i]!.trim().replace(/\s+/g, ' ') : '';
    };
    const kindText = get('kind');
    const kind = kindOf(kindText);
    if (!kind) {
      fail(rec.line, `kind "${kindText.slice(0, 60)}" is not one of the venue kinds`);
      continue;
    }
    const wardText = get('ward');
    if (!wardText) {
      fail(rec.line, 'ward is required');
      continue;
    }
    const ward = await wardOf(db, wardText);
    if ('error' in ward) {
      fail(rec.line, ward.error);
      continue;
    }
    if (!inScope(a.scope, ward.code)) {
      fail(rec.line, `ward ${ward.code} is outside your wards`);
      continue;
    }
    const name = get('name');
    try {
      const outcome = await db.transaction(async (tx) => {
        const same = await tx
          .select()
          .from(venues)
          .where(
            and(eq(venues.wardCode, ward.code), isNull(venues.closedAt), sql`lower(${venues.name}) = lower(${name})`),
          )
          .limit(1);
        const existing = same[0];
        if (existing?.requiredAt) return { duplicate: true as const };
        if (existing) {
          // Registered before the list came: it counts as a registered required venue from now on.
          await tx
            .update(venues)
            .set({ requiredAt: a.now, claimedAt: existing.createdAt })
            .where(eq(venues.id, existing.id));
          return { venue: existing, claimCode: null };
        }
        const v = await createVenue(tx, {
          name,
          kind,
          address: get('address') || null,
          wardCode: ward.code,
          required: { at: a.now },
        });
        return { venue: v, claimCode: v.claimCode };
      });
      if ('duplicate' in outcome) {
        fail(rec.line, `"${name.slice(0, 60)}" is already on the target list of ward ${ward.code}`);
        continue;
      }
      if (outcome.claimCode) result.created++;
      else result.matched++;
      result.venues.push({
        line: rec.line,
        id: outcome.venue.id,
        name: outcome.venue.name,
        wardCode: ward.code,
        claimCode: outcome.claimCode,
      });
    } catch (err) {
      if (err instanceof AppError) fail(rec.line, err.message);
      // A value the database refuses (class 22: out of range, bad encoding) fails this line only.
      else if (/^22/.test(String((err as { code?: unknown }).code ?? '')))
        fail(rec.line, 'a value on this line cannot be stored');
      else throw err;
    }
  }
  return result;
}
