import type { Deps } from '../../core/dialog.js';
import type { Outbound } from '../../core/messages.js';
import type { DbOrTx } from '../../db/client.js';

/**
 * The personal pass as a chat message: the PNG (colour, name, validity, QR to PUBLIC_URL/v/<token>) with a
 * caption in `locale`.
 * PLACEHOLDER until the pass feature lands: the pass engineer replaces this file.
 */
export async function passMessage(_db: DbOrTx, _deps: Deps, _personId: string, _locale: string): Promise<Outbound> {
  return { text: 'PASS' };
}
