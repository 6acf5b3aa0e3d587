import type { DialogContext, Feature } from '../../core/dialog.js';
import type { Button } from '../../core/messages.js';
import type { FeatureModule } from '../../core/module.js';
import {
  askLanguageThenConsent,
  chooseLanguage,
  LANG,
  langButtons,
  PRIVACY,
  privacyFlow,
  PRIVACY_FLOW,
  type AfterConsent,
} from './consent.js';
import { callbackData } from '../../core/callback-data.js';
import { myDataTexts } from './my-data.js';

/**
 * The main menu: what a resident can do, as buttons and as commands, then every other command this account may
 * use (/diadiem and /lichsu for anyone; officials' commands for their roles).
 */
export async function showHelp(ctx: DialogContext): Promise<void> {
  const help = ctx.t('privacy:help');
  const nameOf = (names: string[]) => (ctx.locale === 'en' ? (names[1] ?? names[0]!) : names[0]!);
  const others = (await ctx.availableCommands()).filter(
    (c) => !c.names.some((n) => help.includes(`/${n}:`)) && !c.names.includes('start') && !c.names.includes('trogiup'),
  );
  const more = others.map((c) => `/${nameOf(c.names)}: ${ctx.t((c.helpKey ?? c.descriptionKey)!)}`);
  const buttons: Button[][] = [
    [
      { label: ctx.t('privacy:btn_menu_declare'), payload: MENU_DATA.data('declare') },
      { label: ctx.t('privacy:btn_menu_pass'), payload: MENU_DATA.data('pass') },
    ],
    [
      { label: ctx.t('privacy:btn_menu_family'), payload: MENU_DATA.data('family') },
      { label: ctx.t('privacy:btn_menu_language'), payload: MENU_DATA.data('language') },
    ],
  ];
  ctx.reply({ text: more.length ? `${help}\n\n${ctx.t('privacy:help_more')}\n${more.join('\n')}` : help, buttons });
}

/** The main menu's buttons: `menu:declare`… */
const MENU_DATA = callbackData('menu');
const MENU: Record<string, string> = { declare: 'khaibao', pass: 'qr', family: 'giadinh', language: 'ngonngu' };

/** Everything but the privacy flow, whose agreement leads on to what composition says (see privacyFeature). */
const privacyParts: Omit<Feature, 'flows'> = {
  name: 'privacy',
  commands: [
    {
      names: ['start'],
      descriptionKey: 'privacy:cmd_start',
      run: async (ctx) => {
        ctx.end();
        if (!ctx.account.consentedAt) return askLanguageThenConsent(ctx);
        ctx.reply({ text: ctx.t('privacy:welcome_back') });
        await showHelp(ctx);
      },
    },
    {
      names: ['trogiup', 'help'],
      descriptionKey: 'privacy:cmd_help',
      run: async (ctx) => {
        // Someone who never agreed is led through the welcome rather than shown commands that need consent —
        // unless they hold a role (an official who redeemed an invite): their commands need no resident consent.
        if (!ctx.account.consentedAt && ctx.state.flow !== PRIVACY_FLOW) {
          const roleCommands = (await ctx.availableCommands()).filter((c) => c.allowed);
          if (roleCommands.length === 0) return askLanguageThenConsent(ctx);
        }
        await showHelp(ctx);
        // Mid-flow, help also repeats the open question so the person knows what is expected next.
        await ctx.repeat();
      },
    },
    {
      names: ['ngonngu', 'language'],
      descriptionKey: 'privacy:cmd_language',
      run: async (ctx) => {
        ctx.reply({
          text: ctx.t('privacy:ask_language'),
          buttons: langButtons(),
        });
      },
    },
    {
      names: ['huy', 'cancel'],
      descriptionKey: 'privacy:cmd_cancel',
      run: async (ctx) => {
        if (!ctx.state.flow) {
          ctx.reply({ text: ctx.t('privacy:nothing_to_cancel') });
          return;
        }
        ctx.end();
        ctx.reply({ text: ctx.t('privacy:cancelled') });
      },
    },
    {
      names: ['dulieu', 'mydata'],
      descriptionKey: 'privacy:cmd_mydata',
      run: async (ctx) => {
        const texts = await myDataTexts(ctx);
        ctx.reply(...texts.map((text) => ({ text })));
        // Reading does not leave a flow: a declaration in progress goes on after it.
        await ctx.repeat();
      },
    },
    {
      names: ['xoadulieu', 'delete'],
      descriptionKey: 'privacy:cmd_delete',
      run: async (ctx) => ctx.go(PRIVACY, 'delete_confirm', {}),
    },
  ],
  buttonHandlers: [
    {
      prefix: LANG.prefix,
      run: async (ctx, rest) => chooseLanguage(ctx, rest === 'en' ? 'en' : 'vi'),
    },
    {
      prefix: MENU_DATA.prefix,
      run: async (ctx, rest) => {
        const cmd = MENU[rest];
        if (!cmd) return showHelp(ctx);
        ctx.end();
        return ctx.runCommand(cmd);
      },
    },
  ],
};

/** Welcome, language, consent, help, /dulieu and deletion; `afterConsent` is what agreeing leads to. */
export function privacyFeature<P extends object>(afterConsent: AfterConsent<P>): Feature {
  return { ...privacyParts, flows: [privacyFlow(afterConsent)] };
}

export function privacyModule<P extends object>(afterConsent: AfterConsent<P>): FeatureModule<unknown> {
  return { feature: privacyFeature(afterConsent) };
}
