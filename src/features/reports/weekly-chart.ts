import { escapeMarkup } from '../../render/escape.js';
import { FONT_FAMILY, svgToPng } from '../../render/svg.js';
import type { CoverageReport, CoverageWard } from './coverage.js';

export interface WeeklyChartLabels {
  title: string;
  checkins: string;
  lowest: string;
  empty: string;
  locale: string;
}

const W = 900;
const C = { bar: '#3b82f6', low: '#ef4444', track: '#e5e7eb', text: '#111827', muted: '#6b7280' };

/**
 * The weekly report's image: check-ins per day across the city (7 bars), then the wards with the lowest coverage
 * as bars from 0 to 100 %. Large type (24 px and more at 900 px): officials read it in a chat bubble.
 */
export function weeklyChartSvg(report: CoverageReport, lowest: CoverageWard[], labels: WeeklyChartLabels): string {
  const font = `font-family="${FONT_FAMILY}"`;
  const nf = new Intl.NumberFormat(labels.locale === 'en' ? 'en-US' : 'vi-VN');
  const p: string[] = [`<rect width="${W}" height="100%" fill="#ffffff"/>`];
  p.push(
    `<text x="30" y="52" ${font} font-size="38" font-weight="700" fill="${C.text}">${escapeMarkup(labels.title)}</text>`,
  );
  const top = 110;
  p.push(
    `<text x="30" y="${top}" ${font} font-size="28" font-weight="600" fill="${C.text}">${escapeMarkup(labels.checkins)}</text>`,
  );
  const days = report.days.map((date, i) => ({
    date,
    n: report.wards.reduce((s, w) => s + (w.checkinsDaily[i]?.checkins ?? 0), 0),
  }));
  const max = Math.max(1, ...days.map((d) => d.n));
  const chartH = 220;
  const baseY = top + 50 + chartH;
  const slot = (W - 80) / Math.max(1, days.length);
  const barW = Math.min(70, slot * 0.6);
  p.push(`<line x1="40" y1="${baseY}" x2="${W - 30}" y2="${baseY}" stroke="${C.track}" stroke-width="2"/>`);
  days.forEach((d, i) => {
    const x = 50 + i * slot + (slot - barW) / 2;
    const h = (d.n / max) * chartH;
    p.push(
      `<rect x="${x.toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${C.bar}"/>`,
    );
    p.push(
      `<text x="${(x + barW / 2).toFixed(1)}" y="${(baseY - h - 8).toFixed(1)}" ${font} font-size="24" font-weight="600" text-anchor="middle" fill="${C.text}">${nf.format(d.n)}</text>`,
    );
    p.push(
      `<text x="${(x + barW / 2).toFixed(1)}" y="${baseY + 30}" ${font} font-size="22" text-anchor="middle" fill="${C.muted}">${d.date.slice(8, 10)}/${d.date.slice(5, 7)}</text>`,
    );
  });
  const wTop = baseY + 90;
  p.push(
    `<text x="30" y="${wTop}" ${font} font-size="28" font-weight="600" fill="${C.text}">${escapeMarkup(labels.lowest)}</text>`,
  );
  const rowH = 50;
  if (lowest.length === 0) {
    p.push(
      `<text x="40" y="${wTop + 44}" ${font} font-size="24" fill="${C.muted}">${escapeMarkup(labels.empty)}</text>`,
    );
  }
  const trackW = W - 480;
  lowest.forEach((w, i) => {
    const y = wTop + 20 + i * rowH;
    const name = w.wardName.length > 24 ? `${w.wardName.slice(0, 23)}…` : w.wardName;
    const pct = w.targets.coveragePercent ?? 0;
    p.push(
      `<text x="330" y="${y + 30}" ${font} font-size="24" text-anchor="end" fill="${C.text}">${escapeMarkup(name)}</text>`,
    );
    p.push(`<rect x="340" y="${y + 6}" width="${trackW}" height="32" fill="${C.track}"/>`);
    p.push(
      `<rect x="340" y="${y + 6}" width="${Math.max(2, (trackW * pct) / 100).toFixed(1)}" height="32" fill="${C.low}"/>`,
    );
    p.push(
      `<text x="${350 + trackW}" y="${y + 31}" ${font} font-size="24" font-weight="600" fill="${C.text}">${nf.format(pct)} %</text>`,
    );
  });
  const height = wTop + 40 + Math.max(1, lowest.length) * rowH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">${p.join('')}</svg>`;
}

export function weeklyChartPng(report: CoverageReport, lowest: CoverageWard[], labels: WeeklyChartLabels): Buffer {
  return svgToPng(weeklyChartSvg(report, lowest, labels));
}
