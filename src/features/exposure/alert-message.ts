import { formatDateTime, tFor } from '../../core/i18n.js';
import type { Outbound } from '../../core/messages.js';
import type { ContactKind, Interval } from './matcher.js';
import { callbackData } from '../../core/callback-data.js';

/** Button payload prefixes (the dialog runner routes `<prefix>:<rest>` to this feature). */
/** The alert's buttons: `ack:<exposureKey>`, `redeclare:<exposureKey>`. */
const ACK = callbackData('ack');
const REDECLARE = callbackData('redeclare');
export const ACK_PREFIX = ACK.prefix;
export const REDECLARE_PREFIX = REDECLARE.prefix;

export interface AlertLine {
  /** shown for family members; the account holder's own line has no name */
  name?: string;
  venue: string;
  span: Interval;
  /** what the person should do: close = test and isolate, casual = watch for symptoms */
  advice: ContactKind;
}

/** "14:05 – 15:10 01/08/2021", or both dates when the span crosses midnight (Vietnam time). */
export function formatSpan(span: Interval, locale: string): string {
  const a = formatDateTime(span.from, locale);
  const b = formatDateTime(span.to, locale);
  return a.slice(6) === b.slice(6) ? `${a.slice(0, 5)} – ${b}` : `${a} – ${b}`;
}

/**
 * The exposure alert for one account: every person it covers (the holder and family members it checked in),
 * where and when, the advice that applies, the hotline, and the acknowledge / declare-again buttons.
 */
export function alertMessage(opts: {
  exposureKey: string;
  lines: AlertLine[];
  locale: string;
  hotline: string;
}): Outbound {
  const t = tFor(opts.locale);
  const lines = [...opts.lines].sort((a, b) => a.span.from.getTime() - b.span.from.getTime());
  const body = lines.map((l) => {
    const span = `${formatSpan(l.span, opts.locale)} (${t(l.advice === 'close' ? 'exposure:kind_close' : 'exposure:kind_casual')})`;
    return l.name
      ? t('exposure:alert_line_named', { name: l.name, venue: l.venue, span })
      : t('exposure:alert_line', { venue: l.venue, span });
  });
  const advice: string[] = [];
  if (lines.some((l) => l.advice === 'close')) advice.push(t('exposure:advice_close'));
  if (lines.some((l) => l.advice === 'casual')) advice.push(t('exposure:advice_casual'));
  return {
    text: [
      t('exposure:alert_title'),
      '',
      t('exposure:alert_intro'),
      ...body,
      '',
      ...advice,
      '',
      t('exposure:hotline', { hotline: opts.hotline }),
    ].join('\n'),
    buttons: [
      [
        { label: t('exposure:button_ack'), payload: ACK.data(opts.exposureKey) },
        { label: t('exposure:button_redeclare'), payload: REDECLARE.data(opts.exposureKey) },
      ],
    ],
  };
}

/**
 * The household notice: a family member (same account) of someone found a close contact is asked to watch
 * their health and call the ward health station if symptoms appear. Not an alert: no exposure, no buttons.
 */
export function householdNotice(opts: { locale: string; names: string[]; hotline: string }): Outbound {
  const t = tFor(opts.locale);
  return {
    text: [
      t('exposure:household_title'),
      '',
      t('exposure:household_text', { names: opts.names.join(', ') }),
      '',
      t('exposure:hotline', { hotline: opts.hotline }),
    ].join('\n'),
  };
}
