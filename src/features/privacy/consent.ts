import { eq } from 'drizzle-orm';
import { callbackData } from '../../core/callback-data.js';
import { defineFlow, flowRef, inFlow, type DialogContext, type Flow, type FlowRef } from '../../core/dialog.js';
import type { Button } from '../../core/messages.js';
import { formatDateTime, type Locale } from '../../core/i18n.js';
import { accounts } from '../../db/schema/index.js';
import { fold, parseYesNo } from '../../core/answer-parsing.js';
import { deleteAccountData } from '../people/store.js';
import { pseudonymizeAudit } from './audit-pseudonyms.js';

export const PRIVACY_FLOW = 'privacy';
/** Language buttons `lang:vi`, `lang:en`: a global handler (privacy/index.ts) and the language step's answer. */
export const LANG = callbackData('lang');
/** The consent and deletion steps' buttons: `p.agree`, `p.del.yes`… */
const P = callbackData('p', '.');

interface PrivacyData {
  /** what the person was doing when the notice came, handed to `AfterConsent` once they agree */
  pending?: object;
}

type PrivacyStep = 'language' | 'consent' | 'delete_confirm';

/**
 * The privacy flow's name and types. Its steps are built at composition by `privacyFlow(afterConsent)`, since
 * agreeing leads into the declaration, which this module must not import (the declaration asks for consent).
 */
export const PRIVACY: FlowRef<PrivacyStep, PrivacyData> = flowRef(PRIVACY_FLOW);

export const langButtons = (): Button[][] => [
  [
    { label: 'Tiếng Việt', payload: LANG.data('vi') },
    { label: 'English', payload: LANG.data('en') },
  ],
];

/** Typed language choices: "tiếng việt", "viet", "vi", "english", "en", "tiếng anh". */
export function parseLanguage(text: string): Locale | undefined {
  const f = fold(text);
  if (['vi', 'viet', 'tieng viet', 'vietnamese', '1'].includes(f)) return 'vi';
  if (['en', 'english', 'tieng anh', 'anh', '2'].includes(f)) return 'en';
  return undefined;
}

/**
 * What follows agreement: the declaration, told what the person was doing when the notice came (`pending`, kept
 * in the flow's state). Handed to privacyFlow at composition (src/features/index.ts): privacy comes before the
 * declaration and does not import it.
 */
export type AfterConsent<P extends object> = (ctx: DialogContext, pending: P) => Promise<void>;

/** Welcome → language → privacy notice. `pending` is what to do after the person agrees. */
export async function askLanguageThenConsent(ctx: DialogContext, pending: object = {}): Promise<void> {
  await ctx.go(PRIVACY, 'language', { pending });
}

/** The privacy notice with agree / decline; the declaration (or the pending action) follows agreement. */
export async function askConsent(ctx: DialogContext, pending: object): Promise<void> {
  await ctx.go(PRIVACY, 'consent', { pending });
}

/** Apply a language choice; inside a flow, ask the current question again in the new language. */
export async function chooseLanguage(ctx: DialogContext, locale: Locale): Promise<void> {
  await ctx.setLocale(locale);
  if (inFlow(ctx, PRIVACY) && ctx.state.step === 'language') {
    if (ctx.account.consentedAt) {
      ctx.end();
      ctx.reply({ text: ctx.t('privacy:language_set') });
      return;
    }
    return ctx.goto('consent');
  }
  ctx.reply({ text: ctx.t('privacy:language_set') });
  await ctx.repeat();
}

/** The privacy flow; `afterConsent` is what agreeing leads to (the declaration, wired in features/index.ts). */
export function privacyFlow<P extends object>(afterConsent: AfterConsent<P>): Flow<PrivacyStep, PrivacyData> {
  return defineFlow<PrivacyData>()(
    PRIVACY_FLOW,
    {
      language: {
        ask: async (ctx) => {
          ctx.reply({ text: ctx.t('privacy:welcome'), buttons: langButtons() });
        },
        handle: async (ctx, input) => {
          const choice =
            input.kind === 'text'
              ? parseLanguage(input.text)
              : input.kind === 'button'
                ? parseLanguage(LANG.rest(input.payload) ?? input.payload)
                : undefined;
          if (!choice) {
            ctx.reply({ text: ctx.t('privacy:err_language') });
            return ctx.goto('language');
          }
          return chooseLanguage(ctx, choice);
        },
      },
      consent: {
        ask: async (ctx) => {
          ctx.reply({
            text: ctx.t('privacy:notice'),
            buttons: [
              [
                { label: ctx.t('privacy:btn_agree'), payload: P.data('agree') },
                { label: ctx.t('privacy:btn_decline'), payload: P.data('decline') },
              ],
            ],
          });
        },
        handle: async (ctx, input) => {
          let agreed: boolean | undefined;
          if (input.kind === 'button')
            agreed = input.payload === P.data('agree') ? true : input.payload === P.data('decline') ? false : undefined;
          else if (input.kind === 'text') {
            const f = fold(input.text);
            const yn = parseYesNo(input.text);
            agreed = ['dong y', 'agree', 'i agree'].includes(f)
              ? true
              : ['tu choi', 'decline'].includes(f)
                ? false
                : yn.ok
                  ? yn.value
                  : undefined;
          }
          if (agreed === undefined) {
            ctx.reply({ text: ctx.t('privacy:err_consent') });
            return ctx.goto('consent');
          }
          if (!agreed) {
            // Declining leaves nothing behind: not even the account row the runner created on first contact.
            ctx.reply({ text: ctx.t('privacy:declined') });
            ctx.end();
            await deleteAccountData(ctx.tx, ctx.account.id, ctx.deps.clock.now());
            return;
          }
          // The flow's state is JSON: `pending` is what askConsent was handed, as the declaration built it.
          const pending = (ctx.data.pending ?? {}) as P;
          const [row] = await ctx.tx
            .update(accounts)
            .set({ consentedAt: ctx.deps.clock.now() })
            .where(eq(accounts.id, ctx.account.id))
            .returning();
          ctx.account = row!;
          ctx.end();
          ctx.reply({ text: ctx.t('privacy:thanks') });
          return afterConsent(ctx, pending);
        },
      },
      delete_confirm: {
        ask: async (ctx) => {
          ctx.reply({
            text: ctx.t('privacy:delete_warning'),
            buttons: [
              [
                { label: ctx.t('privacy:btn_delete_yes'), payload: P.data('del', 'yes') },
                { label: ctx.t('privacy:btn_delete_no'), payload: P.data('del', 'no') },
              ],
            ],
          });
        },
        handle: async (ctx, input) => {
          let yes: boolean | undefined;
          if (input.kind === 'button')
            yes =
              input.payload === P.data('del', 'yes') ? true : input.payload === P.data('del', 'no') ? false : undefined;
          else if (input.kind === 'text') {
            const f = fold(input.text);
            const yn = parseYesNo(input.text);
            yes = ['xoa', 'delete', 'xoa het', 'xoa tat ca'].includes(f) ? true : yn.ok ? yn.value : undefined;
          }
          if (yes === undefined) {
            ctx.reply({ text: ctx.t('privacy:err_delete') });
            return ctx.goto('delete_confirm');
          }
          ctx.end();
          if (!yes) {
            ctx.reply({ text: ctx.t('privacy:delete_kept') });
            return;
          }
          const t = ctx.t;
          const { persons, personIds, held } = await deleteAccountData(ctx.tx, ctx.account.id, ctx.deps.clock.now());
          const auditEntries = await pseudonymizeAudit(
            ctx.tx,
            [ctx.account.id, ...personIds, ...held.map((h) => h.id)],
            ctx.deps.secrets().dataKey,
          );
          ctx.log.info({ persons, held: held.length, auditEntries }, 'account data deleted on request');
          if (held.length === 0) {
            ctx.reply({ text: t('privacy:deleted') });
            return;
          }
          // Said plainly: what is kept, for whom, why and until when.
          const lines = held.map((h) =>
            h.openCase
              ? t('privacy:deleted_held_case', { name: h.name })
              : t('privacy:deleted_held_followup', {
                  name: h.name,
                  date: formatDateTime(h.holdUntil, ctx.locale).slice(6),
                }),
          );
          ctx.reply({ text: [t('privacy:deleted_held'), ...lines, '', t('privacy:deleted_held_end')].join('\n') });
        },
      },
    },
    [LANG, P],
  );
}
