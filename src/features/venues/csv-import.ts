import { AppError } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import { createVenue } from './store.js';

export const IMPORT_COLUMNS = ['name', 'kind', 'address', 'wardCode', 'defaultStayMinutes'] as const;
export const MAX_IMPORT_ROWS = 5000;

export interface CsvRecord {
  /** 1-based line in the file where the record starts (the header is line 1) */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: commas, double-quoted fields with "" escapes and line breaks inside quotes, CRLF or LF.
 * Records remember the line they start on, so errors point at what the official sees in their editor.
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.replace(/^\uFEFF/, ''); // Excel's UTF-8 byte order mark
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    // Blank lines are skipped rather than reported.
    if (!(fields.length === 1 && fields[0]!.trim() === '' && !fieldStarted)) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      inQuotes = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\r' && src[i + 1] === '\n') {
      continue;
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return records;
}

export interface ImportResult {
  created: number;
  errors: { line: number; message: string }[];
  venues: { line: number; id: string; code: string; name: string }[];
}

/**
 * Imports venues from CSV with the header name,kind,address,wardCode,defaultStayMinutes (any order; address,
 * wardCode and defaultStayMinutes may be left empty or out). Good lines are created, each bad line is reported
 * with its line number and reason. Each line is its own savepoint so one bad line never undoes the others.
 */
export async function importVenuesCsv(db: DbOrTx, text: string): Promise<ImportResult> {
  const records = parseCsv(text);
  const header = records.shift();
  if (!header)
    throw new AppError(
      'CSV_EMPTY',
      'The CSV is empty; the first line must be the header name,kind,address,wardCode,defaultStayMinutes.',
    );
  const cols = header.fields.map((h) => h.trim());
  const unknown = cols.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0 || !cols.includes('name') || !cols.includes('kind')) {
    throw new AppError(
      'CSV_HEADER_INVALID',
      `The header must name the columns ${IMPORT_COLUMNS.join(',')} (name and kind required)${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`,
    );
  }
  if (records.length > MAX_IMPORT_ROWS) {
    throw new AppError('CSV_TOO_LARGE', `At most ${MAX_IMPORT_ROWS} venues per import; split the file.`, 413);
  }
  const result: ImportResult = { created: 0, errors: [], venues: [] };
  for (const rec of records) {
    if (rec.fields.length !== cols.length) {
      result.errors.push({ line: rec.line, message: `expected ${cols.length} fields, found ${rec.fields.length}` });
      continue;
    }
    const get = (c: string) => {
      const i = cols.indexOf(c);
      return i >= 0 ? rec.fields[i]!.trim() : '';
    };
    if (rec.fields.some((f) => f.includes('\u0000'))) {
      result.errors.push({ line: rec.line, message: 'the line contains a NUL character' });
      continue;
    }
    const stayText = get('defaultStayMinutes');
    if (stayText && !/^\d+$/.test(stayText)) {
      result.errors.push({
        line: rec.line,
        message: `defaultStayMinutes "${stayText}" is not a whole number of minutes`,
      });
      continue;
    }
    try {
      const venue = await db.transaction((tx) =>
        createVenue(tx, {
          name: get('name'),
          kind: get('kind'),
          address: get('address') || null,
          wardCode: get('wardCode') || null,
          defaultStayMinutes: stayText ? Number(stayText) : null,
        }),
      );
      result.created++;
      result.venues.push({ line: rec.line, id: venue.id, code: venue.code, name: venue.name });
    } catch (err) {
      if (err instanceof AppError) result.errors.push({ line: rec.line, message: err.message });
      // A value the database refuses (class 22: out of range, bad encoding) fails this line only.
      else if (/^22/.test(String((err as { code?: unknown }).code ?? '')))
        result.errors.push({ line: rec.line, message: 'a value on this line cannot be stored' });
      else throw err;
    }
  }
  return result;
}
