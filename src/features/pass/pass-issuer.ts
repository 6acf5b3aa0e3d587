import type { Deps } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import type { Person } from '../../db/schema/index.js';
import { personById } from '../people/store.js';
import { currentStatus, type CurrentStatus } from './status.js';
import { signPassToken, type PassClaims } from './token.js';

export interface IssuedPass {
  person: Person;
  status: CurrentStatus;
  claims: PassClaims;
  token: string;
  /** what the QR decodes to */
  url: string;
}

/** A pass never expires less than this after issue, so a token minted seconds before the lapse still scans. */
const MIN_LIFETIME_MS = 60_000;

/** The URL a pass QR carries. */
export function passUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/v/${token}`;
}

/**
 * Sign a pass for the person's status now (`person`: the row, when the caller has just read or written it, else
 * its id). It expires when their declaration stops counting (declared at +
 * PASS_VALID_HOURS); a pass issued without a valid declaration (grey, or red/yellow from official records)
 * expires PASS_VALID_HOURS after issue, so an old printout cannot circulate for ever.
 */
export async function issuePass(db: DbOrTx, deps: Deps, of: Person | string): Promise<IssuedPass> {
  const person = typeof of === 'string' ? await personById(db, of) : of;
  if (!person) throw new AppError('PERSON_NOT_FOUND', 'No such person.', 404);
  const personId = person.id;
  const now = deps.clock.now();
  const status = await currentStatus(db, personId, now, deps.config);
  const until = status.declarationValidUntil?.getTime() ?? now.getTime() + deps.config.passValidHours * 3_600_000;
  // The token holds whole seconds; the claims handed back say exactly what the token says.
  const toSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  const claims: PassClaims = {
    personId,
    status: status.status,
    issuedAt: toSecond(now.getTime()),
    expiresAt: toSecond(Math.max(until, now.getTime() + MIN_LIFETIME_MS)),
  };
  const token = signPassToken(claims, deps.secrets().passPrivateKey);
  return { person, status, claims, token, url: passUrl(deps.config.publicUrl, token) };
}
