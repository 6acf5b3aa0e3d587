import type { FastifyRequest } from 'fastify';
import { normalizeLocale, type Locale } from '../core/i18n.js';
import { escapeMarkup } from '../render/escape.js';

export interface PageParts {
  lang: string;
  /** plain text; escaped here */
  title: string;
  /** the markup of <body>, already escaped by its author */
  body: string;
  /** the page's own CSS; pages load no external assets, so they open fast on a phone at a door */
  css: string;
  /** replaces the usual viewport settings (the web chat also fits the notch) */
  viewport?: string;
  /** more <head> elements */
  head?: string;
  /** false for a page search engines may list; every page showing codes, passes or links is noindex */
  noindex?: boolean;
}

/** The one HTML shell: doctype, language, charset, viewport, robots, title and inline style. */
export function htmlDocument(p: PageParts): string {
  return `<!doctype html>
<html lang="${escapeMarkup(p.lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="${escapeMarkup(p.viewport ?? 'width=device-width, initial-scale=1')}">
${p.noindex === false ? '' : '<meta name="robots" content="noindex">\n'}${p.head ?? ''}<title>${escapeMarkup(p.title)}</title>
<style>${p.css}</style></head>
<body>${p.body}</body></html>`;
}

/** The look of the small pages residents, staff and officials open from a link or QR code. */
const SIMPLE_PAGE_CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f7f5;color:#1b1b1b}
main{max-width:480px;margin:0 auto;padding:24px 18px}
h1{font-size:1.5rem;margin:.2em 0 .6em}
p{font-size:1.05rem;line-height:1.45}
.btn{display:block;width:100%;box-sizing:border-box;text-align:center;padding:18px;border-radius:12px;border:0;
background:#0b6b3a;color:#fff;font-size:1.2rem;font-weight:600;text-decoration:none;margin:18px 0;cursor:pointer}
.btn.secondary{background:#fff;color:#0b6b3a;border:2px solid #0b6b3a}
.code{font-size:2.6rem;font-weight:700;letter-spacing:.25em;text-align:center;margin:8px 0}
.muted{color:#555;font-size:.95rem}
.card{background:#fff;border-radius:14px;padding:18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
`;

/** A small mobile-first page in the shared look: the venue landing page, staff pages, the invite page. */
export function htmlPage(lang: string, title: string, body: string): string {
  return htmlDocument({ lang, title, css: SIMPLE_PAGE_CSS, body: `<main>${body}</main>` });
}

/** The language of a page: `?lang=` (as on the pass verify page), else Vietnamese unless the browser asks for English first. */
export function pageLocale(req: Pick<FastifyRequest, 'headers'> & { query?: unknown }): Locale {
  const lang = (req.query as { lang?: unknown } | undefined)?.lang;
  if (lang === 'en' || lang === 'vi') return lang;
  const al = String(req.headers['accept-language'] ?? '')
    .trim()
    .toLowerCase();
  return normalizeLocale(al.startsWith('en') ? 'en' : 'vi');
}
