import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { accountActor, recordAudit } from '../../audit/audit-log.js';
import type { Deps } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import { passCards, type PassCard, type Person } from '../../db/schema/index.js';
import { personById } from '../people/store.js';
import { passUrl } from './pass-issuer.js';
import { drawCard } from './image-thread.js';
import { signCardToken } from './token.js';

/**
 * Printed cards (thẻ in Mã QR cá nhân) for family members without a phone. A card's QR is a token signed for
 * the card id (token.ts, version 2), valid `CARD_VALID_DAYS`; the person and the colour are looked up when it is
 * scanned, so the paper never shows a stale colour. One card per person is in force: printing again prints the
 * same card; reissuing ends it ('reissued') and starts a new one; revoking ends it ('revoked').
 */
export type CardEnd = 'revoked' | 'reissued';

export interface IssuedCard {
  card: PassCard;
  person: Person;
  token: string;
  url: string;
}

const DAY_MS = 86_400_000;
/** The token holds whole seconds; the row keeps the same times, so page and token agree. */
const toSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/** The card in force for a person now (not ended, not expired), if any. */
export async function cardInForce(db: DbOrTx, personId: string, now: Date): Promise<PassCard | undefined> {
  return db.query.passCards.findFirst({
    where: and(eq(passCards.personId, personId), isNull(passCards.revokedAt), gt(passCards.expiresAt, now)),
    orderBy: [desc(passCards.issuedAt)],
  });
}

export async function cardById(db: DbOrTx, id: string): Promise<PassCard | undefined> {
  return db.query.passCards.findFirst({ where: eq(passCards.id, id) });
}

function tokenOf(deps: Pick<Deps, 'secrets' | 'config'>, card: PassCard): { token: string; url: string } {
  const token = signCardToken(
    { cardId: card.id, issuedAt: card.issuedAt, expiresAt: card.expiresAt },
    deps.secrets().passPrivateKey,
  );
  return { token, url: passUrl(deps.config.publicUrl, token) };
}

/** Ends every card in force for the person; returns how many. */
async function endCards(db: DbOrTx, personId: string, reason: CardEnd, now: Date): Promise<number> {
  const rows = await db
    .update(passCards)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(passCards.personId, personId), isNull(passCards.revokedAt)))
    .returning({ id: passCards.id });
  return rows.length;
}

/**
 * The card to print: the one in force, or a new one. `reissue` ends the one in force first (a lost card), so its
 * printout reads "replaced" when scanned. Audited as `card.issued` (with the card it replaced).
 */
export async function cardToPrint(
  db: DbOrTx,
  deps: Pick<Deps, 'secrets' | 'config' | 'clock'>,
  personId: string,
  accountId: string,
  opts: { reissue?: boolean } = {},
): Promise<IssuedCard> {
  const person = await personById(db, personId);
  if (!person) throw new AppError('PERSON_NOT_FOUND', 'No such person.', 404);
  const now = deps.clock.now();
  let card = await cardInForce(db, personId, now);
  if (card && !opts.reissue) return { card, person, ...tokenOf(deps, card) };
  const replaced = card ? await endCards(db, personId, 'reissued', now) : 0;
  const issuedAt = toSecond(now.getTime());
  [card] = await db
    .insert(passCards)
    .values({
      personId,
      issuedByAccountId: accountId,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + deps.config.cardValidDays * DAY_MS),
    })
    .returning();
  await recordAudit(db, {
    actor: accountActor(accountId),
    action: 'card.issued',
    subjectType: 'person',
    subjectId: personId,
    details: { cardId: card!.id, replaced },
    at: now,
  });
  return { card: card!, person, ...tokenOf(deps, card!) };
}

/** Revokes the person's card in force (a card lost, or no longer needed). Returns whether there was one. */
export async function revokeCard(
  db: DbOrTx,
  deps: Pick<Deps, 'clock'>,
  personId: string,
  accountId: string,
): Promise<boolean> {
  const now = deps.clock.now();
  const n = await endCards(db, personId, 'revoked', now);
  if (n > 0)
    await recordAudit(db, {
      actor: accountActor(accountId),
      action: 'card.revoked',
      subjectType: 'person',
      subjectId: personId,
      at: now,
    });
  return n > 0;
}

/** The printable A6 PNG of a card; the print date is today. */
export function cardPng(deps: Pick<Deps, 'config' | 'clock'>, issued: IssuedCard, locale: string): Promise<Buffer> {
  return drawCard({
    fullName: issued.person.fullName,
    birthYear: issued.person.birthYear,
    issuer: deps.config.cardIssuer,
    printedAt: deps.clock.now(),
    expiresAt: issued.card.expiresAt,
    url: issued.url,
    locale,
  });
}
