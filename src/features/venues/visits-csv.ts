import { formatDateTime } from '../../core/i18n.js';
import type { VisitRow } from './store.js';

/**
 * The visit list as CSV for the authorities (directive 09/CT-UBND §5b: owners provide who was there when
 * asked): UTF-8 with a byte-order mark so spreadsheet programs read Vietnamese names right, CRLF line ends
 * (RFC 4180), times in Vietnam time as "dd/mm/yyyy HH:mm".
 *
 * Columns: Họ và tên · Năm sinh · Số điện thoại · Giờ vào · Giờ ra (empty while inside) · Hình thức (`self`: the
 * resident's own check-in in chat; `staff`: recorded by venue staff scanning the pass).
 */
export const VISITS_CSV_HEADER = ['Họ và tên', 'Năm sinh', 'Số điện thoại', 'Giờ vào', 'Giờ ra', 'Hình thức'];
export const VISITS_CSV_MAX_ROWS = 100_000;

/** "08:05 01/08/2021" → "01/08/2021 08:05": the date first, as it sorts and reads in a sheet. */
function csvTime(d: Date | null): string {
  if (!d) return '';
  const s = formatDateTime(d, 'vi');
  return `${s.slice(6)} ${s.slice(0, 5)}`;
}

/**
 * One field: quoted when it holds a separator, quote or line break; a text starting with = + - @ (or a tab or
 * carriage return) gets a leading apostrophe so a spreadsheet never runs it as a formula — except a phone
 * number in +84… form, which is data, not a formula.
 */
export function csvField(value: string): string {
  let v = value;
  if (/^[=+\-@\t\r]/.test(v) && !/^\+\d{6,15}$/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function visitsCsv(rows: readonly VisitRow[]): Buffer {
  const lines = [VISITS_CSV_HEADER.map(csvField).join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.fullName,
        String(r.birthYear),
        r.phone ?? '',
        csvTime(r.enteredAt),
        csvTime(r.exitedAt),
        r.source === 'staff' ? 'staff' : 'self',
      ]
        .map(csvField)
        .join(','),
    );
  }
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
}
