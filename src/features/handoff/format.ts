import { csvField } from '../venues/visits-csv.js';

/**
 * The hand-off format for the national tracing centre (README «Hand-off files»): CSV in UTF-8 with a byte-order
 * mark, CRLF line ends, a header row of snake_case column names; times as ISO 8601 in Vietnam time with its
 * offset («2021-08-04T10:30:00+07:00»); empty field = unknown. The JSON form has the same names and values.
 */
export type HandoffValue = string | number | boolean | null;
export type HandoffRow = Record<string, HandoffValue>;

const VN_OFFSET_MS = 7 * 3_600_000;

/** 2021-08-04T03:30:00Z → «2021-08-04T10:30:00+07:00». */
export function isoVn(d: Date | null | undefined): string | null {
  if (!d) return null;
  return `${new Date(d.getTime() + VN_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}

export function handoffCsv(columns: readonly string[], rows: readonly HandoffRow[]): Buffer {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) {
    lines.push(
      columns
        .map((c) => {
          const v = r[c];
          return csvField(v === null || v === undefined ? '' : String(v));
        })
        .join(','),
    );
  }
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
}

/** Passenger list columns (GET /api/v1/trips/:id/passengers.csv and the owner's copy). */
export const PASSENGER_COLUMNS = ['full_name', 'birth_year', 'phone', 'seat', 'boarded_at'] as const;

export function passengerRow(p: {
  fullName: string;
  birthYear: number;
  phone: string | null;
  seat: string | null;
  boardedAt: Date;
}): HandoffRow {
  return {
    full_name: p.fullName,
    birth_year: p.birthYear,
    phone: p.phone,
    seat: p.seat,
    boarded_at: isoVn(p.boardedAt),
  };
}
