import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatDateTime, normalizeLocale, tFor, type Locale } from '../../core/i18n.js';
import type { AppDeps, RouteModule } from '../../http/app.js';
import { htmlDocument } from '../../http/page-shell.js';
import { escapeMarkup } from '../../render/escape.js';
import { personById } from '../people/store.js';
import { STATUS_COLOURS } from './pass-image.js';
import { currentStatus, type CurrentStatus, type PassStatus } from './status.js';
import { cardById } from './card.js';
import {
  CARD_TOKEN_VERSION,
  tokenVersion,
  verifyCardToken,
  verifyPassToken,
  type PassClaims,
  type TokenRefusal,
} from './token.js';

export interface VerifyPageInfo {
  personId: string;
  /** the token as scanned */
  token: string;
  deps: AppDeps;
  /** what the token says (signature checked, not expired) */
  claims: PassClaims;
  /** the status from the database now */
  current: CurrentStatus;
}

/**
 * An HTML fragment another feature places under the status block of a valid pass (the check-in feature's staff
 * "record entry" panel); undefined adds nothing. Handed to passVerifyRoutes at composition (src/features/index.ts).
 * A failing extension is logged and left out: the status must show whatever else breaks.
 */
export type VerifyPageExtension = (req: FastifyRequest, info: VerifyPageInfo) => Promise<string | undefined>;

/** "Nguyễn Văn An" → "Nguyễn V. A.": enough for staff to match an ID card, too little to identify a stranger. */
export function maskName(fullName: string): string {
  const [family, ...rest] = fullName.normalize('NFC').trim().split(/\s+/);
  if (!family) return '';
  return [family, ...rest.map((w) => `${Array.from(w)[0]!.toUpperCase()}.`)].join(' ');
}

const PAGE_CSS = `
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:#f3f4f6;color:#111;line-height:1.45}
main{max-width:480px;margin:0 auto;background:#fff;min-height:100vh}
.status{padding:28px 20px 24px;text-align:center}
.status .kicker{margin:0;font-size:15px;letter-spacing:.08em;text-transform:uppercase;opacity:.9}
.status h1{margin:10px 0 6px;font-size:64px;line-height:1.25;font-weight:800}
.status p{margin:0;font-size:17px}
.notice{margin:16px;padding:12px 14px;border-radius:8px;background:#fff4e5;border:1px solid #f2b705;font-size:16px}
.ext{margin:16px}
dl{margin:0;padding:8px 20px 4px}dt{font-size:14px;color:#555}dd{margin:0 0 12px;font-size:19px;font-weight:600}
.sig{margin:0 20px 12px;font-size:15px;color:#1b7f3b}
footer{padding:12px 20px 24px;font-size:14px;color:#555}footer a{color:#1d4ed8}
`;

function page(locale: Locale, title: string, body: string, otherLanguageHref: string): string {
  const t = tFor(locale);
  const footer = `<footer><a href="${escapeMarkup(otherLanguageHref)}">${escapeMarkup(t('pass:page_other_language'))}</a></footer>`;
  return htmlDocument({ lang: locale, title, css: PAGE_CSS, body: `<main>${body}${footer}</main>` });
}

function statusBlock(status: PassStatus, kicker: string, word: string, meaning: string): string {
  const c = STATUS_COLOURS[status];
  return `<section class="status" data-status="${status}" style="background:${c.background};color:${c.text}"><p class="kicker">${escapeMarkup(kicker)}</p><h1>${escapeMarkup(word)}</h1><p>${escapeMarkup(meaning)}</p></section>`;
}

/** Why a printed card no longer counts: expired (CARD_VALID_DAYS), revoked, or replaced by a reissued card. */
type CardRefusal = 'card_expired' | 'card_revoked' | 'card_reissued';

const REFUSAL_STATUS: Record<TokenRefusal | 'gone' | CardRefusal, number> = {
  malformed: 400,
  'bad-signature': 403,
  expired: 410,
  gone: 404,
  card_expired: 410,
  card_revoked: 410,
  card_reissued: 410,
};

/**
 * A token that is not a valid pass (forged, unreadable, expired, of a deleted person) says nothing about anyone's
 * health: the block is neutral near-black with the word "not valid", never a pass colour — a forged pass must
 * not read as red (a confirmed case) to the person at the door, nor as grey (no declaration).
 */
const INVALID_COLOURS = { background: '#1f2937', text: '#ffffff' };

function refusalPage(
  reply: FastifyReply,
  locale: Locale,
  reason: TokenRefusal | 'gone' | CardRefusal,
  otherHref: string,
  vars: Record<string, unknown> = {},
): string {
  const t = tFor(locale);
  const key = reason === 'bad-signature' ? 'forged' : reason;
  const title = t(`pass:page_${key}_title`);
  const body = t(`pass:page_${key}_body`, vars);
  reply.code(REFUSAL_STATUS[reason]);
  const block = `<section class="status" data-status="invalid" style="background:${INVALID_COLOURS.background};color:${INVALID_COLOURS.text}"><p class="kicker">${escapeMarkup(
    t('pass:page_title'),
  )}</p><h1 style="font-size:40px">${escapeMarkup(t('pass:page_invalid_word'))}</h1><p>${escapeMarkup(title)}</p></section>`;
  return page(
    locale,
    title,
    `${block}<p class="notice" data-refusal="${reason}">${escapeMarkup(body)}</p><p class="notice" style="background:#f3f4f6;border-color:#9ca3af">${escapeMarkup(t('pass:page_invalid_no_health'))}</p>`,
    otherHref,
  );
}

async function renderValid(
  extensions: readonly VerifyPageExtension[],
  req: FastifyRequest,
  deps: AppDeps,
  locale: Locale,
  token: string,
  claims: PassClaims,
  otherHref: string,
  reply: FastifyReply,
  card = false,
) {
  const t = tFor(locale);
  const db = deps.database.db;
  const person = await personById(db, claims.personId);
  if (!person) return refusalPage(reply, locale, 'gone', otherHref);
  const now = deps.clock.now();
  const current = await currentStatus(db, claims.personId, now, deps.config);
  const hours = deps.config.passValidHours;
  const word = (s: PassStatus) => t(`pass:status_${s}`);
  let body = statusBlock(
    current.status,
    t('pass:page_current'),
    word(current.status),
    t(`pass:meaning_${current.status}`, { hours }),
  );
  // A printed card carries no colour, so nothing can have changed since it was printed.
  if (card)
    body += `<p class="notice" data-card="true" style="background:#eef2f7;border-color:#1e3a5f">${escapeMarkup(t('pass:page_card_note'))}</p>`;
  else if (current.status !== claims.status) {
    body += `<p class="notice" data-changed="true">${escapeMarkup(
      t('pass:page_changed', {
        issued: formatDateTime(claims.issuedAt, locale),
        old: word(claims.status),
        current: word(current.status),
      }),
    )}</p>`;
  }
  const info: VerifyPageInfo = { personId: claims.personId, token, deps, claims, current };
  for (const extension of extensions) {
    try {
      const html = await extension(req, info);
      if (html) body += `<div class="ext">${html}</div>`;
    } catch (err) {
      req.log.error(
        { err: { message: (err as Error).message, name: (err as Error).name } },
        'verify page extension failed',
      );
    }
  }
  const row = (label: string, value: string) => `<dt>${escapeMarkup(label)}</dt><dd>${escapeMarkup(value)}</dd>`;
  body += '<dl>';
  body += row(t('pass:label_name'), maskName(person.fullName));
  body += row(t('pass:label_birth_year'), String(person.birthYear));
  body += row(
    t('pass:label_declared_at'),
    current.lastDeclaredAt ? formatDateTime(current.lastDeclaredAt, locale) : t('pass:not_declared'),
  );
  body += row(t('pass:label_valid_until'), formatDateTime(claims.expiresAt, locale));
  body += row(t(card ? 'pass:label_card_issued_at' : 'pass:label_issued_at'), formatDateTime(claims.issuedAt, locale));
  body += '</dl>';
  // No reasons here (symptoms, contacts, exposure): they stay with the holder in chat and with health officials.
  body += `<p class="sig">✓ ${escapeMarkup(t('pass:page_signature_ok'))}</p>`;
  body += `<p class="sig" style="color:#555">${escapeMarkup(t('pass:label_checked_at'))}: ${escapeMarkup(formatDateTime(now, locale))}</p>`;
  return page(locale, t('pass:page_title'), body, otherHref);
}

/**
 * A printed card's page: the signature as for a pass, then the card row — revoked or replaced cards get a
 * neutral page saying so (never a colour) — then the person's status now, exactly as for a pass.
 */
async function renderCard(
  extensions: readonly VerifyPageExtension[],
  req: FastifyRequest,
  deps: AppDeps,
  locale: Locale,
  token: string,
  otherHref: string,
  reply: FastifyReply,
) {
  const result = verifyCardToken(token, deps.secrets().passPublicKey, deps.clock.now());
  if (!result.ok) {
    const expired = result.reason === 'expired' ? formatDateTime(result.claims.expiresAt, locale) : '';
    return refusalPage(reply, locale, result.reason === 'expired' ? 'card_expired' : result.reason, otherHref, {
      expired,
    });
  }
  const card = await cardById(deps.database.db, result.claims.cardId);
  if (!card) return refusalPage(reply, locale, 'gone', otherHref);
  if (card.revokedAt) {
    const reason: CardRefusal = card.revokedReason === 'reissued' ? 'card_reissued' : 'card_revoked';
    return refusalPage(reply, locale, reason, otherHref, { at: formatDateTime(card.revokedAt, locale) });
  }
  const current = await currentStatus(deps.database.db, card.personId, deps.clock.now(), deps.config);
  // The card's own claims, with today's colour: a card has none of its own.
  const claims: PassClaims = {
    personId: card.personId,
    status: current.status,
    issuedAt: card.issuedAt,
    expiresAt: card.expiresAt,
  };
  return renderValid(extensions, req, deps, locale, token, claims, otherHref, reply, true);
}

/**
 * GET /v/<token>: what a phone camera opens when it scans a pass. A wildcard route, not `:token`, because
 * tokens are longer than the router's 100-character parameter limit and junk of any length must get the
 * "cannot read" page rather than a JSON 404.
 */
export function passVerifyRoutes(extensions: readonly VerifyPageExtension[]): RouteModule {
  return (app, deps) => {
    app.get('/v/*', async (req, reply) => {
      const token = (req.params as { '*': string })['*'] ?? '';
      const lang = (req.query as { lang?: string }).lang;
      const locale = normalizeLocale(lang);
      const otherHref = `?lang=${locale === 'vi' ? 'en' : 'vi'}`;
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-robots-tag', 'noindex')
        .header('x-frame-options', 'DENY');
      if (tokenVersion(token) === CARD_TOKEN_VERSION)
        return renderCard(extensions, req, deps, locale, token, otherHref, reply);
      const result = verifyPassToken(token, deps.secrets().passPublicKey, deps.clock.now());
      if (!result.ok) {
        return refusalPage(reply, locale, result.reason, otherHref, {
          expired: result.reason === 'expired' ? formatDateTime(result.claims.expiresAt, locale) : '',
          hours: deps.config.passValidHours,
        });
      }
      return renderValid(extensions, req, deps, locale, token, result.claims, otherHref, reply);
    });
  };
}
