import { tFor } from '../../core/i18n.js';
import { VENUE_KINDS } from '../venues/kinds.js';
import { csvField } from '../venues/visits-csv.js';
import type { CoverageReport } from './coverage.js';

/** "2021-08-01" → "01/08/2021" */
const viDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/**
 * The coverage report as CSV for the city (directive §11), like the visit list: UTF-8 with a byte-order mark,
 * CRLF line ends, Vietnamese headers. One row per ward; columns: ward code and name, district, venues
 * registered (total, then one column per kind), venues with a check-in in 7 days, residents declaring in 24
 * hours and 7 days, the target list (required, registered among them, coverage %, names still missing), then
 * check-ins per Vietnam calendar day (oldest first).
 */
export function coverageCsv(report: CoverageReport): Buffer {
  const t = tFor('vi');
  const header = [
    'Mã phường/xã',
    'Phường/xã',
    'Quận/huyện',
    'Địa điểm đã đăng ký',
    ...VENUE_KINDS.map((k) => `Địa điểm: ${t(`venues:kind.${k.id}`)}`),
    'Địa điểm có lượt quét (7 ngày)',
    'Người dân khai báo (24 giờ)',
    'Người dân khai báo (7 ngày)',
    'Địa điểm phải đăng ký',
    'Đã đăng ký trong danh sách',
    'Tỷ lệ bao phủ (%)',
    'Địa điểm chưa đăng ký',
    ...report.days.map((d) => `Lượt quét ${viDate(d)}`),
  ];
  const lines = [header.map(csvField).join(',')];
  for (const w of report.wards) {
    lines.push(
      [
        w.wardCode,
        w.wardName,
        w.districtName,
        String(w.venues.total),
        ...VENUE_KINDS.map((k) => String(w.venues.byKind[k.id])),
        String(w.activeVenues7d),
        String(w.residentsDeclared24h),
        String(w.residentsDeclared7d),
        String(w.targets.required),
        String(w.targets.registered),
        // A decimal comma, as a Vietnamese spreadsheet reads it.
        w.targets.coveragePercent === null ? '' : String(w.targets.coveragePercent).replace('.', ','),
        w.targets.missing.map((m) => m.name).join('; '),
        ...w.checkinsDaily.map((d) => String(d.checkins)),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
}
