import { FONT_FAMILY, svgToPng } from '../../render/svg.js';
import { escapeMarkup } from '../../render/escape.js';
import type { Stats } from './stats.js';

export interface ChartLabels {
  title: string;
  dailyTitle: string;
  wardTitle: string;
  declarations: string;
  symptomatic: string;
  noWard: string;
  empty: string;
  /** numbers are written as the reader writes them (1.200 in Vietnamese) */
  locale: string;
}

const W = 900;
const COLORS = { decl: '#3b82f6', symp: '#f59e0b', text: '#111827', grid: '#e5e7eb', muted: '#6b7280' };

/**
 * Two bar charts in one image: declarations per day (the part with symptoms in amber) and symptomatic
 * declarations by ward (top 8). Officials read it in a chat bubble a third of its width, so labels are large
 * (24 px and more at 900 px) and few; each bar's symptomatic part carries its own number.
 */
export function statsChartSvg(stats: Stats, labels: ChartLabels): string {
  const font = `font-family="${FONT_FAMILY}"`;
  const nf = new Intl.NumberFormat(labels.locale === 'en' ? 'en-US' : 'vi-VN');
  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="100%" fill="#ffffff"/>`);
  parts.push(
    `<text x="30" y="52" ${font} font-size="40" font-weight="700" fill="${COLORS.text}">${escapeMarkup(labels.title)}</text>`,
  );

  // Daily bars.
  const top = 110;
  const chartH = 260;
  parts.push(
    `<text x="30" y="${top}" ${font} font-size="30" font-weight="600" fill="${COLORS.text}">${escapeMarkup(labels.dailyTitle)}</text>`,
  );
  const days = stats.daily;
  const max = Math.max(1, ...days.map((d) => d.declarations));
  const baseY = top + 50 + chartH;
  const slot = days.length ? (W - 80) / days.length : 0;
  const barW = Math.max(4, Math.min(60, slot * 0.6));
  parts.push(`<line x1="40" y1="${baseY}" x2="${W - 30}" y2="${baseY}" stroke="${COLORS.grid}" stroke-width="2"/>`);
  days.forEach((d, i) => {
    const x = 50 + i * slot + (slot - barW) / 2;
    const h = (d.declarations / max) * chartH;
    const hs = (d.symptomatic / max) * chartH;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS.decl}"/>`,
    );
    const inside = hs >= 30 && barW >= 28;
    if (hs > 0) {
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(baseY - hs).toFixed(1)}" width="${barW.toFixed(1)}" height="${hs.toFixed(1)}" fill="${COLORS.symp}"/>`,
      );
      // The symptomatic part carries its own number: inside the amber block when it fits, else after the total.
      if (inside) {
        parts.push(
          `<text x="${(x + barW / 2).toFixed(1)}" y="${(baseY - hs / 2 + 8).toFixed(1)}" ${font} font-size="20" font-weight="700" text-anchor="middle" fill="#ffffff">${nf.format(d.symptomatic)}</text>`,
        );
      }
    }
    const symptomaticAfter =
      hs > 0 && !inside ? `<tspan fill="#b45309">\u00a0(${nf.format(d.symptomatic)})</tspan>` : '';
    parts.push(
      `<text x="${(x + barW / 2).toFixed(1)}" y="${(baseY - h - 6).toFixed(1)}" ${font} font-size="24" font-weight="600" text-anchor="middle" fill="${COLORS.text}">${nf.format(d.declarations)}${symptomaticAfter}</text>`,
    );
    if (days.length <= 14 || i % Math.ceil(days.length / 14) === 0) {
      const [, m, day] = d.date.split('-');
      parts.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${baseY + 30}" ${font} font-size="22" text-anchor="middle" fill="${COLORS.muted}">${day}/${m}</text>`,
      );
    }
  });
  const legendY = baseY + 72;
  parts.push(
    `<rect x="40" y="${legendY - 22}" width="26" height="26" fill="${COLORS.decl}"/><text x="76" y="${legendY}" ${font} font-size="26" fill="${COLORS.text}">${escapeMarkup(labels.declarations)}</text>`,
  );
  parts.push(
    `<rect x="400" y="${legendY - 22}" width="26" height="26" fill="${COLORS.symp}"/><text x="436" y="${legendY}" ${font} font-size="26" fill="${COLORS.text}">${escapeMarkup(labels.symptomatic)}</text>`,
  );

  // Wards, horizontal bars.
  const wTop = legendY + 70;
  parts.push(
    `<text x="30" y="${wTop}" ${font} font-size="30" font-weight="600" fill="${COLORS.text}">${escapeMarkup(labels.wardTitle)}</text>`,
  );
  const wards = stats.symptomaticByWard.slice(0, 8);
  const wMax = Math.max(1, ...wards.map((w) => w.count));
  const rowH = 46;
  if (wards.length === 0) {
    parts.push(
      `<text x="40" y="${wTop + 40}" ${font} font-size="24" fill="${COLORS.muted}">${escapeMarkup(labels.empty)}</text>`,
    );
  }
  wards.forEach((w, i) => {
    const y = wTop + 20 + i * rowH;
    const name = w.wardName ?? labels.noWard;
    const len = ((W - 440) * w.count) / wMax;
    parts.push(
      `<text x="330" y="${y + 30}" ${font} font-size="24" text-anchor="end" fill="${COLORS.text}">${escapeMarkup(name.length > 24 ? `${name.slice(0, 23)}…` : name)}</text>`,
    );
    parts.push(`<rect x="340" y="${y + 6}" width="${Math.max(2, len).toFixed(1)}" height="32" fill="${COLORS.symp}"/>`);
    parts.push(
      `<text x="${(348 + len).toFixed(1)}" y="${y + 31}" ${font} font-size="24" font-weight="600" fill="${COLORS.text}">${nf.format(w.count)}</text>`,
    );
  });
  const height = wTop + 30 + Math.max(1, wards.length) * rowH + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">${parts.join('')}</svg>`;
}

export function statsChartPng(stats: Stats, labels: ChartLabels): Buffer {
  return svgToPng(statsChartSvg(stats, labels));
}
