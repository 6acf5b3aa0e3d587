import type { Deps } from '../../core/dialog.js';
import { formatDateTime, tFor } from '../../core/i18n.js';
import type { Outbound } from '../../core/messages.js';
import type { DbOrTx } from '../../db/client.js';
import type { Person } from '../../db/schema/index.js';
import { wardHotline } from '../wards/store.js';
import { issuePass, type IssuedPass } from './pass-issuer.js';
import { drawPass } from './image-thread.js';

function passPng(pass: IssuedPass, deps: Deps, locale: string): Promise<Buffer> {
  return drawPass({
    status: pass.status.status,
    fullName: pass.person.fullName,
    birthYear: pass.person.birthYear,
    validUntil: pass.status.status === 'grey' ? undefined : pass.claims.expiresAt,
    url: pass.url,
    locale,
    validHours: deps.config.passValidHours,
    declaredAt: pass.status.lastDeclaredAt,
    issuer: deps.config.cardIssuer,
  });
}

/**
 * The caption under the pass image: colour, validity, why, what to do, and how to see it again. `hotline` is the
 * number a red or yellow pass says to call: the person's ward health station's, else the city's.
 */
export function passCaption(pass: IssuedPass, deps: Deps, locale: string, hotline: string): string {
  const t = tFor(locale);
  const { status, reasons, exposureUntil } = pass.status;
  const hours = deps.config.passValidHours;
  const name = pass.person.fullName;
  const self = pass.person.isSelf;
  const statusWord = t(`pass:status_${status}`);
  const lines = [
    self ? t('pass:caption_self', { status: statusWord }) : t('pass:caption_member', { name, status: statusWord }),
  ];
  if (status === 'grey') {
    lines.push(self ? t('pass:grey_self', { hours }) : t('pass:grey_member', { name, hours }));
  } else {
    lines.push(t('pass:caption_valid_until', { until: formatDateTime(pass.claims.expiresAt, locale) }));
    if (reasons.length > 0) {
      const until = exposureUntil ? formatDateTime(exposureUntil, locale) : '';
      const said = reasons.map((r) => t(`pass:reason_${r}`, { hours, until })).join('; ');
      lines.push(t('pass:caption_reasons', { reasons: said }));
    }
    if (status === 'red') lines.push(t('pass:advice_red', { hotline }));
    if (status === 'yellow') lines.push(t('pass:advice_yellow', { hotline }));
    if (reasons.includes('no-declaration'))
      lines.push(self ? t('pass:declare_again_self') : t('pass:declare_again_member'));
  }
  lines.push(t('pass:caption_again'));
  return lines.join('\n');
}

/**
 * The personal pass as a chat message: the PNG (colour, name, validity, QR to PUBLIC_URL/v/<token>) with a
 * caption in `locale`. `person`: the row, or its id. Throws AppError PERSON_NOT_FOUND for an unknown person.
 */
export async function passMessage(db: DbOrTx, deps: Deps, person: Person | string, locale: string): Promise<Outbound> {
  const pass = await issuePass(db, deps, person);
  deps.log.debug({ personId: pass.person.id, status: pass.status.status }, 'pass issued');
  const hotline =
    pass.status.status === 'red' || pass.status.status === 'yellow'
      ? await wardHotline(db, pass.person.wardCode, deps.config.hotline)
      : deps.config.hotline;
  return {
    text: passCaption(pass, deps, locale, hotline),
    image: { png: await passPng(pass, deps, locale), filename: 'khaibao-pass.png' },
  };
}
