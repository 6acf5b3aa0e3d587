import type { Deps } from '../../core/dialog.js';
import { tFor, type T } from '../../core/i18n.js';
import type { Venue } from '../../db/schema/index.js';
import { FONT_FAMILY, FONT_FILES, svgToPng } from '../../render/svg.js';
import { escapeMarkup } from '../../render/escape.js';
import { qrModules } from '../../render/qr.js';
import { checkinUrl } from './links.js';

/**
 * The printable poster, A4 portrait, Vietnamese first: name, one large QR to PUBLIC_URL/c/<code>, the code in
 * large letters, three steps per chat app, kind and address. One layout (in A4 "units" of 1/150 inch) drawn
 * twice: as SVG → PNG, and as a PDF with the bundled Be Vietnam Pro embedded so every diacritic prints.
 */
const W = 1240;
const H = 1754;
const GREEN = '#0b6b3a';
const QR_SIZE = 680;
const QR_Y = 390;
/** Characters on one footer line (22-unit type across the 1,120-unit text width). */
const FOOTER_CHARS = 96;

export interface PosterContent {
  header: string;
  subheader: string;
  nameLines: string[];
  kind: string;
  qrUrl: string;
  codeLabel: string;
  code: string;
  columns: { title: string; steps: string[] }[];
  footer: string[];
}

type PosterDeps = Pick<Deps, 'config' | 'links'>;

export function posterContent(deps: PosterDeps, venue: Venue, t: T = tFor('vi')): PosterContent {
  const en = tFor('en');
  const columns: PosterContent['columns'] = [];
  if (deps.config.telegram)
    columns.push({ title: 'Telegram', steps: [1, 2, 3].map((i) => t(`venues:poster.telegram_${i}`)) });
  if (deps.config.zalo)
    columns.push({ title: 'Zalo', steps: [1, 2, 3].map((i) => t(`venues:poster.zalo_${i}`, { code: venue.code })) });
  if (columns.length === 0)
    columns.push({
      title: t('venues:poster.web_title'),
      steps: [1, 2, 3].map((i) => t(`venues:poster.web_${i}`, { code: venue.code })),
    });
  // Who issues it, how to reach the service without a chat app, and the hotline: the poster is also the notice.
  const web = deps.config.webChat
    ? t('venues:poster.web_line', { url: deps.links.webChat().replace(/^https?:\/\//, '') })
    : '';
  const hotline = t('venues:poster.hotline', { hotline: deps.config.hotline });
  const footer = [
    venue.address ?? '',
    [web, hotline].filter(Boolean).join(' · '),
    `${deps.config.cardIssuer} · ${t('venues:poster.footer')}`,
  ].filter(Boolean);
  return {
    header: t('venues:poster.header'),
    subheader: en('venues:poster.header'),
    nameLines: wrap(venue.name, 30, 2),
    kind: t(`venues:kind.${venue.kind}`),
    qrUrl: checkinUrl(deps, venue.code),
    codeLabel: t('venues:poster.code_label'),
    code: venue.code,
    columns,
    footer,
  };
}

/** Greedy word wrap by character count (Be Vietnam Pro is close to even width at poster sizes). */
export function wrap(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (!line) line = w;
    else if ((line + ' ' + w).length <= maxChars) line += ' ' + w;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = kept[maxLines - 1]!.slice(0, maxChars - 1) + '…';
    return kept;
  }
  return lines.map((l) => (l.length > maxChars ? l.slice(0, maxChars - 1) + '…' : l));
}

/** Whole-unit module size and the top-left of the symbol, centred in the QR box with its 4-module quiet zone. */
function qrGrid(size: number): { cell: number; x0: number; y0: number } {
  const cell = Math.floor(QR_SIZE / (size + 8));
  const side = cell * size;
  return { cell, x0: Math.round((W - side) / 2), y0: Math.round(QR_Y + (QR_SIZE - side) / 2) };
}

/** Layout positions shared by both renderers. */
function layout(c: PosterContent) {
  const nameTop = 250;
  const nameSize = c.nameLines.length > 1 ? 58 : 68;
  const colWidth = (W - 120) / c.columns.length;
  // Steps large enough to read from a step away; the footer (address, web and hotline, issuer) under them.
  const stepSize = 32;
  return {
    nameTop,
    nameSize,
    colWidth,
    stepsTop: 1330,
    stepSize,
    stepLine: 38,
    maxChars: Math.floor((colWidth - 60) / (stepSize * 0.5)),
    footerTop: 1672,
    footerSize: 22,
    footerLine: 30,
  };
}

export function posterSvg(c: PosterContent): string {
  const L = layout(c);
  const qr = qrModules(c.qrUrl, 'M');
  const { cell, x0, y0 } = qrGrid(qr.size);
  // One path of whole-pixel squares: no anti-aliased seams between modules for a camera to trip on.
  let d = '';
  for (let r = 0; r < qr.size; r++) {
    for (let col = 0; col < qr.size; col++) {
      if (qr.dark(r, col)) d += `M${x0 + col * cell} ${y0 + r * cell}h${cell}v${cell}h-${cell}z`;
    }
  }
  const rects = `<path d="${d}" shape-rendering="crispEdges"/>`;
  const name = c.nameLines
    .map(
      (l, i) =>
        `<text x="${W / 2}" y="${L.nameTop + i * (L.nameSize + 10)}" font-size="${L.nameSize}" font-weight="700" text-anchor="middle">${escapeMarkup(l)}</text>`,
    )
    .join('');
  const kindY = L.nameTop + (c.nameLines.length - 1) * (L.nameSize + 10) + 56;
  const cols = c.columns
    .map((col, i) => {
      const x = 60 + i * L.colWidth + 20;
      let y = L.stepsTop + 52;
      let body = `<text x="${x}" y="${L.stepsTop}" font-size="40" font-weight="700" fill="${GREEN}">${escapeMarkup(col.title)}</text>`;
      col.steps.forEach((s, n) => {
        const lines = wrap(`${n + 1}. ${s}`, L.maxChars, 3);
        for (const l of lines) {
          body += `<text x="${x}" y="${y}" font-size="${L.stepSize}">${escapeMarkup(l)}</text>`;
          y += L.stepLine;
        }
        y += 10;
      });
      return body;
    })
    .join('');
  const footer = c.footer
    .map(
      (l, i) =>
        `<text x="${W / 2}" y="${L.footerTop + i * L.footerLine}" font-size="${L.footerSize}" fill="#444" text-anchor="middle">${escapeMarkup(wrap(l, FOOTER_CHARS, 1)[0] ?? '')}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}">
<rect width="${W}" height="${H}" fill="#fff"/>
<rect width="${W}" height="170" fill="${GREEN}"/>
<text x="${W / 2}" y="88" font-size="50" font-weight="700" fill="#fff" text-anchor="middle">${escapeMarkup(c.header)}</text>
<text x="${W / 2}" y="138" font-size="28" fill="#e6f2ea" text-anchor="middle">${escapeMarkup(c.subheader)}</text>
${name}
<text x="${W / 2}" y="${kindY}" font-size="32" fill="#555" text-anchor="middle">${escapeMarkup(c.kind)}</text>
<g fill="#000">${rects}</g>
<text x="${W / 2}" y="${QR_Y + QR_SIZE + 50}" font-size="30" fill="#555" text-anchor="middle">${escapeMarkup(c.codeLabel)}</text>
<text x="${W / 2}" y="${QR_Y + QR_SIZE + 160}" font-size="120" font-weight="700" letter-spacing="18" text-anchor="middle">${escapeMarkup(c.code)}</text>
<line x1="60" y1="${L.stepsTop - 60}" x2="${W - 60}" y2="${L.stepsTop - 60}" stroke="#ccc" stroke-width="2"/>
${cols}
${footer}
</svg>`;
}

export function posterPng(c: PosterContent): Buffer {
  return svgToPng(posterSvg(c), W);
}

/** The same poster as an A4 PDF (vector QR, embedded font subsets). */
export async function posterPdf(c: PosterContent): Promise<Buffer> {
  // pdfkit (with fontkit, about 25 MB and a few hundred ms of imports) is loaded with the first poster PDF
  const { default: PDFDocument } = await import('pdfkit');
  const L = layout(c);
  const s = 595.28 / W; // A4 points per layout unit
  const doc = new PDFDocument({ size: 'A4', margin: 0, info: { Title: c.nameLines.join(' '), Creator: 'khaibao' } });
  doc.registerFont('regular', FONT_FILES.regular);
  doc.registerFont('bold', FONT_FILES.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // pdfkit places text by its top; the SVG layout gives baselines, so lift each line by ~0.8 of its size.
  const text = (
    str: string,
    x: number,
    baseline: number,
    size: number,
    opts: { bold?: boolean; color?: string; width?: number; align?: 'center' | 'left'; spacing?: number } = {},
  ) => {
    doc
      .font(opts.bold ? 'bold' : 'regular')
      .fontSize(size * s)
      .fillColor(opts.color ?? '#000')
      .text(str, x * s, (baseline - size * 0.82) * s, {
        width: (opts.width ?? W) * s,
        align: opts.align ?? 'left',
        lineBreak: false,
        characterSpacing: (opts.spacing ?? 0) * s,
      });
  };
  doc.rect(0, 0, W * s, 170 * s).fill(GREEN);
  text(c.header, 0, 88, 50, { bold: true, color: '#fff', align: 'center' });
  text(c.subheader, 0, 138, 28, { color: '#e6f2ea', align: 'center' });
  c.nameLines.forEach((l, i) =>
    text(l, 0, L.nameTop + i * (L.nameSize + 10), L.nameSize, { bold: true, align: 'center' }),
  );
  const kindY = L.nameTop + (c.nameLines.length - 1) * (L.nameSize + 10) + 56;
  text(c.kind, 0, kindY, 32, { color: '#555', align: 'center' });

  const qr = qrModules(c.qrUrl, 'M');
  const { cell, x0, y0 } = qrGrid(qr.size);
  for (let r = 0; r < qr.size; r++) {
    for (let col = 0; col < qr.size; col++) {
      // Slight overlap so viewers do not draw hairline gaps between modules.
      if (qr.dark(r, col)) doc.rect((x0 + col * cell) * s, (y0 + r * cell) * s, cell * s + 0.05, cell * s + 0.05);
    }
  }
  doc.fill('#000');
  text(c.codeLabel, 0, QR_Y + QR_SIZE + 50, 30, { color: '#555', align: 'center' });
  text(c.code, 0, QR_Y + QR_SIZE + 160, 120, { bold: true, align: 'center', spacing: 18 });
  doc
    .moveTo(60 * s, (L.stepsTop - 60) * s)
    .lineTo((W - 60) * s, (L.stepsTop - 60) * s)
    .lineWidth(1)
    .strokeColor('#ccc')
    .stroke();
  c.columns.forEach((col, i) => {
    const x = 60 + i * L.colWidth + 20;
    text(col.title, x, L.stepsTop, 40, { bold: true, color: GREEN, width: L.colWidth - 40 });
    let y = L.stepsTop + 52;
    col.steps.forEach((st, n) => {
      for (const l of wrap(`${n + 1}. ${st}`, L.maxChars, 3)) {
        text(l, x, y, L.stepSize, { width: L.colWidth - 40 });
        y += L.stepLine;
      }
      y += 10;
    });
  });
  c.footer.forEach((l, i) =>
    text(wrap(l, FOOTER_CHARS, 1)[0] ?? '', 0, L.footerTop + i * L.footerLine, L.footerSize, {
      color: '#444',
      align: 'center',
    }),
  );
  doc.end();
  return done;
}
