import { expect } from 'vitest';
import { answerHealthQuestions, type FormDriver } from '../helpers/declaration-form.js';
import { callbackButtons, type TelegramPerson } from '../helpers/fake-telegram.js';

/** What a resident answers in a first declaration; the ward must be in the imported ward list. */
export interface TelegramResident {
  name: string;
  /** as Telegram's share-contact button sends it: digits with the country code, e.g. 84912345678 */
  phone: string;
  locale: 'vi' | 'en';
}

const labels = {
  vi: {
    language: 'Tiếng Việt',
    agree: 'Đồng ý',
    gender: 'Nam',
    skip: 'Bỏ qua',
    confirm: 'Xác nhận',
    declared: 'Cảm ơn',
  },
  en: {
    language: 'English',
    agree: 'I agree',
    gender: 'Female',
    skip: 'Skip',
    confirm: 'Confirm',
    declared: 'Thank you',
  },
} as const;

/**
 * A first declaration through the webhook, pressing only the buttons the bot offers: language, consent,
 * profile (own phone by the share-contact button, no ID number), ward Cái Khế, all health answers "no".
 * Ends when the pass arrives.
 */
export async function declareOverTelegram(p: TelegramPerson, r: TelegramResident): Promise<void> {
  const l = labels[r.locale];
  await p.say('/start');
  await p.tap(l.language);
  await p.tap(l.agree);
  await p.say(r.name);
  await p.say('1985');
  await p.tap(l.gender);
  await p.shareContact(r.phone);
  await p.tap(l.skip);
  await p.say('cai khe');
  await p.tap('Cái Khế');
  await p.say('12 Trần Văn Khéo');
  await answerHealthQuestions(telegramForm(p));
  await p.tap('2');
  await p.tap(l.confirm);
  expect(p.transcript()).toContain(`${l.declared}`);
  expect(
    p.last.some((c) => c.method === 'sendPhoto'),
    p.transcript(),
  ).toBe(true);
}

/** A Telegram chat for the declaration-form helpers: the inline buttons of the last replies. */
export function telegramForm(p: TelegramPerson): FormDriver {
  return {
    offered: () => p.last.flatMap((c) => callbackButtons(c).map((b) => ({ label: b.text, payload: b.data }))),
    tap: (label) => p.tap(label),
    say: (text) => p.say(text),
  };
}
