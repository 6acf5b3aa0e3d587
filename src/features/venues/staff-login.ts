import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../../core/dialog.js';
import type { DbOrTx } from '../../db/client.js';
import { staffLoginLinks } from '../../db/schema/index.js';

/** How long a staff member's phone stays signed in for scanning (see checkin/staff-scan.ts). */
export const STAFF_SESSION_HOURS = 12;
export const STAFF_LOGIN_MINUTES = 15;

/** Only this hash of a login code is stored; the code itself travels once, in the link. */
export const hashLoginCode = (s: string) => createHash('sha256').update(s).digest('hex');

/** A single-use login link for the staff member's phone browser. */
export async function createStaffLoginLink(
  db: DbOrTx,
  deps: Pick<Deps, 'config'>,
  venueId: string,
  accountId: string,
  now: Date,
): Promise<string> {
  const code = randomBytes(24).toString('base64url');
  await db.insert(staffLoginLinks).values({
    codeHash: hashLoginCode(code),
    venueId,
    accountId,
    expiresAt: new Date(now.getTime() + STAFF_LOGIN_MINUTES * 60_000),
  });
  return `${deps.config.publicUrl}/staff/login/${code}`;
}
