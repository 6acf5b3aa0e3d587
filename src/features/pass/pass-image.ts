import { formatDateTime, tFor } from '../../core/i18n.js';
import { FONT_FAMILY, renderSvgAsync } from '../../render/svg.js';
import { escapeMarkup } from '../../render/escape.js';
import { qrModules } from '../../render/qr.js';
import { encodeIndexedPng, IndexedImage } from './indexed-png.js';
import type { PassStatus } from './status.js';

/** Colour of each status; yellow carries dark text because white on yellow cannot be read in sunlight. */
export const STATUS_COLOURS: Record<PassStatus, { background: string; text: string }> = {
  green: { background: '#1b7f3b', text: '#ffffff' },
  yellow: { background: '#f2b705', text: '#1f1f1f' },
  red: { background: '#c62828', text: '#ffffff' },
  grey: { background: '#6b7280', text: '#ffffff' },
};

export interface PassImageData {
  status: PassStatus;
  fullName: string;
  birthYear: number;
  /** undefined for a grey pass: nothing is valid yet */
  validUntil?: Date;
  /** what the QR decodes to: PUBLIC_URL/v/<token> */
  url: string;
  locale: string;
  validHours: number;
  /** when the latest declaration was made (shown under the birth year); undefined when there is none */
  declaredAt?: Date;
  /** who issues the pass (CARD_ISSUER), printed in the footer */
  issuer?: string;
}

/** The pass is small enough to send on every /qr (640 px wide). */
const PASS_LAYOUT = { width: 640, height: 920, scale: 1 };
/** The printed card: A6 at 300 dpi, drawn on the pass's grid scaled up. */
const CARD_LAYOUT = { width: 1240, height: 1748, scale: 1240 / 640 };

/**
 * Text widths are estimated (no layout engine here); the factors are Be Vietnam Pro's average advance per em,
 * rounded up so a name never runs off the card.
 */
const AVG_ADVANCE = { regular: 0.56, bold: 0.64 };

function fitLines(text: string, maxWidth: number, size: number, weight: 'regular' | 'bold', maxLines = 2) {
  const width = (s: string, px: number) => Array.from(s).length * px * AVG_ADVANCE[weight];
  if (width(text, size) <= maxWidth) return { lines: [text], size };
  const words = text.split(/\s+/);
  let lines = [text];
  if (maxLines > 1 && words.length > 1) {
    // The split with the shortest longer half reads best for names like "Nguyễn Thị Ngọc Bích".
    let best = lines;
    let bestWidth = Infinity;
    for (let i = 1; i < words.length; i++) {
      const pair = [words.slice(0, i).join(' '), words.slice(i).join(' ')];
      const w = Math.max(...pair.map((l) => width(l, size)));
      if (w < bestWidth) {
        bestWidth = w;
        best = pair;
      }
    }
    lines = best;
  }
  const widest = Math.max(...lines.map((l) => width(l, size)));
  return { lines, size: widest > maxWidth ? Math.floor((size * maxWidth) / widest) : size };
}

type QrSymbol = ReturnType<typeof qrModules>;

/** The QR's dark modules, merged into horizontal runs: row, first column, length. */
function* darkRuns(qr: QrSymbol): Generator<[number, number, number]> {
  const n = qr.size;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n;) {
      if (!qr.dark(y, x)) {
        x++;
        continue;
      }
      let run = 1;
      while (x + run < n && qr.dark(y, x + run)) run++;
      yield [y, x, run];
      x += run;
    }
  }
}

/** The QR as one SVG path of dark modules, a rectangle per run to keep the SVG small. */
function qrPath(qr: QrSymbol): string {
  let d = '';
  for (const [y, x, run] of darkRuns(qr)) d += `M${x} ${y}h${run}v1h-${run}z`;
  return d;
}

/** The name in bold, on up to two lines, centred from baseline `y`; returns the baseline after it. */
function nameBlock(
  parts: string[],
  fullName: string,
  o: { cx: number; y: number; textWidth: number; size: number; font: string },
): number {
  const name = fitLines(fullName, o.textWidth, o.size, 'bold', 2);
  let y = o.y;
  for (const line of name.lines) {
    parts.push(
      `<text x="${o.cx}" y="${y}" ${o.font} font-size="${name.size}" font-weight="700" fill="#111111" text-anchor="middle">${escapeMarkup(line)}</text>`,
    );
    y += Math.round(name.size * 1.25);
  }
  return y;
}

/** Where a QR goes: its symbol, and the top left of its first module, each module `module` pixels square. */
interface QrPlacement {
  qr: QrSymbol;
  x: number;
  y: number;
  module: number;
  /** the top of the quiet zone around it */
  top: number;
}

/**
 * The QR filling the space between `top` and `bottom`, centred, with its 4-module quiet zone, at a whole number
 * of pixels per module so edges stay sharp.
 */
function placeQr(url: string, level: 'M' | 'Q', width: number, margin: number, top: number, bottom: number) {
  const qr = qrModules(url, level);
  const quiet = 4;
  const room = Math.min(width - 2 * margin, bottom - top);
  const module = Math.max(2, Math.floor(room / (qr.size + 2 * quiet)));
  const qrPixels = module * (qr.size + 2 * quiet);
  const qrX = Math.round((width - qrPixels) / 2);
  const qrY = top + Math.max(0, Math.floor((bottom - top - qrPixels) / 2));
  return { qr, x: qrX + quiet * module, y: qrY + quiet * module, module, top: qrY } satisfies QrPlacement;
}

function qrSvg(p: QrPlacement): string {
  return `<g transform="translate(${p.x} ${p.y}) scale(${p.module})" shape-rendering="crispEdges"><path d="${qrPath(p.qr)}" fill="#000000"/></g>`;
}

function qrBlock(url: string, level: 'M' | 'Q', width: number, margin: number, top: number, bottom: number): string {
  return qrSvg(placeQr(url, level, width, margin, top, bottom));
}

const svgDocument = (width: number, height: number, parts: string[], top = 0, rows = height) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${rows}" viewBox="0 ${top} ${width} ${rows}"><rect x="0" y="${top}" width="${width}" height="${rows}" fill="#ffffff"/>${parts.join('')}</svg>`;

/**
 * The pass in three layers that do not overlap, each on white:
 * - the background: the header (colour, status word, its meaning), the footer and the frame, the same for every
 *   holder with this status, language, validity and issuer (`key`);
 * - the band: the holder's name and details, between rows `top` and `bottom`, clear of the frame's `frame`
 *   pixels at each side;
 * - the QR, below the band.
 */
interface PassLayout {
  width: number;
  height: number;
  key: string;
  background: string[];
  band: { top: number; bottom: number; parts: string[] };
  frame: number;
  qr: QrPlacement;
}

function passLayout(data: PassImageData): PassLayout {
  const { width, height, scale: s } = PASS_LAYOUT;
  const t = tFor(data.locale);
  const colour = STATUS_COLOURS[data.status];
  const px = (v: number) => Math.round(v * s);
  const margin = px(32);
  const textWidth = width - 2 * margin;
  const cx = width / 2;
  const font = `font-family="${FONT_FAMILY}"`;
  const background: string[] = [];

  // Room above the status word for the marks of "ĐỎ", "VÀNG", "XÁM": its top (marks included, ~1.05 em above the
  // baseline) stays clear of the title line.
  const headerHeight = px(232);
  background.push(`<rect x="0" y="0" width="${width}" height="${headerHeight}" fill="${colour.background}"/>`);
  background.push(
    `<text x="${cx}" y="${px(42)}" ${font} font-size="${px(20)}" font-weight="600" fill="${colour.text}" text-anchor="middle" letter-spacing="${px(2)}">${escapeMarkup(t('pass:image_title'))}</text>`,
  );
  const word = fitLines(t(`pass:status_${data.status}`), textWidth, px(88), 'bold', 1);
  background.push(
    `<text x="${cx}" y="${px(158)}" ${font} font-size="${word.size}" font-weight="700" fill="${colour.text}" text-anchor="middle">${escapeMarkup(word.lines[0]!)}</text>`,
  );
  const meaning = fitLines(
    t(`pass:meaning_${data.status}`, { hours: data.validHours }),
    textWidth,
    px(22),
    'regular',
    1,
  );
  background.push(
    `<text x="${cx}" y="${px(204)}" ${font} font-size="${meaning.size}" fill="${colour.text}" text-anchor="middle">${escapeMarkup(meaning.lines[0]!)}</text>`,
  );

  const band: string[] = [];
  let y = headerHeight + px(56);
  y = nameBlock(band, data.fullName, { cx, y, textWidth, size: px(36), font });
  y += px(8);
  // A grey pass has no validity to show; its header already says why.
  const details = [`${t('pass:label_birth_year')}: ${data.birthYear}`];
  if (data.declaredAt) details.push(`${t('pass:label_declared_at')}: ${formatDateTime(data.declaredAt, data.locale)}`);
  if (data.validUntil) details.push(`${t('pass:label_valid_until')}: ${formatDateTime(data.validUntil, data.locale)}`);
  for (const line of details) {
    const fitted = fitLines(line, textWidth, px(24), 'regular', 1);
    band.push(
      `<text x="${cx}" y="${y}" ${font} font-size="${fitted.size}" fill="#333333" text-anchor="middle">${escapeMarkup(fitted.lines[0]!)}</text>`,
    );
    y += px(34);
  }

  // The QR fills what is left above the footer, at a whole number of pixels per module so edges stay sharp.
  const footerHeight = px(52) + (data.issuer ? px(28) : 0);
  const qr = placeQr(data.url, 'M', width, margin, y, height - footerHeight);

  let footY = height - footerHeight + px(30);
  const footLines = [t('pass:image_scan_hint')];
  if (data.issuer) footLines.push(t('pass:image_issuer', { issuer: data.issuer }));
  for (const line of footLines) {
    const fitted = fitLines(line, textWidth, px(18), 'regular', 1);
    background.push(
      `<text x="${cx}" y="${footY}" ${font} font-size="${fitted.size}" fill="#555555" text-anchor="middle">${escapeMarkup(fitted.lines[0]!)}</text>`,
    );
    footY += px(28);
  }
  // A thin frame in the status colour: a printout cut out of A6 paper still shows its colour at the edge.
  const frame = px(6);
  background.push(
    `<rect x="${frame / 2}" y="${frame / 2}" width="${width - frame}" height="${height - frame}" fill="none" stroke="${colour.background}" stroke-width="${frame}"/>`,
  );
  const key = JSON.stringify([data.status, data.locale, data.validHours, data.issuer ?? null]);
  return { width, height, key, background, band: { top: headerHeight, bottom: qr.top, parts: band }, frame, qr };
}

const wholeSvg = (l: PassLayout) => svgDocument(l.width, l.height, [...l.background, ...l.band.parts, qrSvg(l.qr)]);

/** The whole pass as one SVG document. */
export function passSvg(data: PassImageData): string {
  return wholeSvg(passLayout(data));
}

/** Backgrounds drawn so far (a few: status × language, for one issuer), at most this many. */
const BACKGROUNDS_KEPT = 16;
const backgrounds = new Map<string, IndexedImage | undefined>();

async function backgroundOf(l: PassLayout): Promise<IndexedImage | undefined> {
  if (backgrounds.has(l.key)) return backgrounds.get(l.key);
  const image = await renderSvgAsync(svgDocument(l.width, l.height, l.background));
  const indexed = IndexedImage.fromRgba(image.pixels, image.width, image.height);
  if (backgrounds.size >= BACKGROUNDS_KEPT) backgrounds.delete(backgrounds.keys().next().value!);
  backgrounds.set(l.key, indexed);
  return indexed;
}

/**
 * The pass drawn from its layers (passLayout): the background from the cache, the band drawn alone (a strip of
 * 640 × ~200 px of text, a third of resvg's work for the whole pass) and put on a copy, the QR's modules filled in
 * as squares of palette indices. The same pixels as drawing passSvg whole (pass-image.test.ts), in about half the
 * CPU (16 → 8 ms a pass, 2026-11-30). Undefined when the colours do not fit one palette.
 */
async function composePass(l: PassLayout): Promise<Buffer | undefined> {
  const background = await backgroundOf(l);
  if (!background) return undefined;
  const { top, bottom, parts } = l.band;
  const band = await renderSvgAsync(svgDocument(l.width, l.height, parts, top, bottom - top));
  const image = background.copy();
  if (!image.paste(band.pixels, band.width, l.frame, top, l.width - l.frame, bottom)) return undefined;
  const { qr, x, y, module } = l.qr;
  for (const [r, c, run] of darkRuns(qr)) {
    if (!image.fill(BLACK, x + c * module, y + r * module, run * module, module)) return undefined;
  }
  return image.encode();
}

/** #000000 as a palette colour (0xBBGGRR) */
const BLACK = 0;

/**
 * The pass as a palette PNG (3× smaller than RGB), for messages: composed from its layers (composePass), else
 * drawn whole. About 8 ms of CPU: the service draws it on the image thread (image-thread.ts drawPass), never on
 * the event loop.
 */
export async function renderPassPng(data: PassImageData): Promise<Buffer> {
  const layout = passLayout(data);
  const composed = await composePass(layout);
  if (composed) return composed;
  const image = await renderSvgAsync(wholeSvg(layout));
  return encodeIndexedPng(image.pixels, image.width, image.height);
}

export interface CardImageData {
  fullName: string;
  birthYear: number;
  /** CARD_ISSUER */
  issuer: string;
  printedAt: Date;
  expiresAt: Date;
  /** what the QR decodes to: PUBLIC_URL/v/<card token> */
  url: string;
  locale: string;
}

/** The printed card's neutral header: no pass colour, because the card's colour is only ever read live. */
const CARD_HEADER = { background: '#1e3a5f', text: '#ffffff' };

/**
 * The printed card (thẻ in Mã QR cá nhân), A6 at 300 dpi (1240×1748 px): name, birth year, the issuer line, the
 * print date and the card's validity around a large QR — and no colour, which would go stale on paper.
 */
export function cardSvg(data: CardImageData): string {
  const { width, height, scale: s } = CARD_LAYOUT;
  const t = tFor(data.locale);
  const px = (v: number) => Math.round(v * s);
  const margin = px(32);
  const textWidth = width - 2 * margin;
  const cx = width / 2;
  const font = `font-family="${FONT_FAMILY}"`;
  const parts: string[] = [];
  const text = (y: number, line: string, size: number, weight: 'regular' | 'bold', fill: string) => {
    const fitted = fitLines(line, textWidth, size, weight, 1);
    parts.push(
      `<text x="${cx}" y="${y}" ${font} font-size="${fitted.size}"${weight === 'bold' ? ' font-weight="700"' : ''} fill="${fill}" text-anchor="middle">${escapeMarkup(fitted.lines[0]!)}</text>`,
    );
  };

  const headerHeight = px(120);
  parts.push(`<rect x="0" y="0" width="${width}" height="${headerHeight}" fill="${CARD_HEADER.background}"/>`);
  text(px(54), t('pass:card_title'), px(30), 'bold', CARD_HEADER.text);
  text(px(94), t('common:service_name'), px(20), 'regular', CARD_HEADER.text);

  let y = headerHeight + px(58);
  y = nameBlock(parts, data.fullName, { cx, y, textWidth, size: px(38), font });
  y += px(4);
  text(y, `${t('pass:label_birth_year')}: ${data.birthYear}`, px(26), 'regular', '#333333');
  y += px(20);

  const footerHeight = px(190);
  parts.push(qrBlock(data.url, 'Q', width, margin, y, height - footerHeight));

  const date = (d: Date) => formatDateTime(d, data.locale).slice(6);
  let footY = height - footerHeight + px(34);
  text(footY, `${t('pass:card_issuer')}: ${data.issuer}`, px(22), 'bold', '#111111');
  footY += px(36);
  text(
    footY,
    t('pass:card_dates', { printed: date(data.printedAt), until: date(data.expiresAt) }),
    px(20),
    'regular',
    '#333333',
  );
  footY += px(36);
  text(footY, t('pass:card_scan_hint'), px(18), 'regular', '#555555');
  footY += px(30);
  text(footY, t('pass:card_keep_hint'), px(18), 'regular', '#555555');
  const frame = px(4);
  parts.push(
    `<rect x="${frame / 2}" y="${frame / 2}" width="${width - frame}" height="${height - frame}" fill="none" stroke="${CARD_HEADER.background}" stroke-width="${frame}"/>`,
  );
  return svgDocument(width, height, parts);
}

/** The printed card as an A6 PNG, drawn on the image thread (image-thread.ts drawCard). */
export async function renderCardPng(data: CardImageData): Promise<Buffer> {
  const image = await renderSvgAsync(cardSvg(data));
  return encodeIndexedPng(image.pixels, image.width, image.height);
}
