import type { DialogContext, Feature } from '../../core/dialog.js';
import type { Button } from '../../core/messages.js';
import type { FeatureModule } from '../index.js';
import { askLanguageThenConsent, chooseLanguage, privacyFlow, PRIVACY_FLOW } from './consent.js';
import { myDataTexts } from './my-data.js';

/** The main menu: what a resident can do, as buttons and as commands. */
export function showHelp(ctx: DialogContext): void {
  const buttons: Button[][] = [
    [
      { label: ctx.t('privacy:btn_menu_declare'), payload: 'menu:declare' },
      { label: ctx.t('privacy:btn_menu_pass'), payload: 'menu:pass' },
    ],
    [
      { label: ctx.t('privacy:btn_menu_family'), payload: 'menu:family' },
      { label: ctx.t('privacy:btn_menu_language'), payload: 'menu:language' },
    ],
  ];
  ctx.reply({ text: ctx.t('privacy:help'), buttons });
}

const MENU: Record<string, string> = { declare: 'khaibao', pass: 'qr', family: 'giadinh', language: 'ngonngu' };

export const privacyFeature: Feature = {
  name: 'privacy',
  commands: [
    {
      names: ['start'],
      descriptionKey: 'privacy:cmd_start',
      run: async (ctx) => {
        ctx.end();
        if (!ctx.account.consentedAt) return askLanguageThenConsent(ctx);
        ctx.reply({ text: ctx.t('privacy:welcome_back') });
        showHelp(ctx);
      },
    },
    {
      names: ['trogiup', 'help'],
      descriptionKey: 'privacy:cmd_help',
      run: async (ctx) => {
        // Someone who never agreed is led through the welcome rather than shown commands that need consent.
        if (!ctx.account.consentedAt && ctx.state.flow !== PRIVACY_FLOW) return askLanguageThenConsent(ctx);
        showHelp(ctx);
        // Mid-flow, help also repeats the open question so the person knows what is expected next.
        if (ctx.state.flow && ctx.state.step) await ctx.goto(ctx.state.step);
      },
    },
    {
      names: ['ngonngu', 'language'],
      descriptionKey: 'privacy:cmd_language',
      run: async (ctx) => {
        ctx.reply({
          text: ctx.t('privacy:ask_language'),
          buttons: [
            [
              { label: 'Tiếng Việt', payload: 'lang:vi' },
              { label: 'English', payload: 'lang:en' },
            ],
          ],
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
        if (ctx.state.flow && ctx.state.step) await ctx.goto(ctx.state.step);
      },
    },
    {
      names: ['xoadulieu', 'delete'],
      descriptionKey: 'privacy:cmd_delete',
      run: async (ctx) => ctx.go(PRIVACY_FLOW, 'delete_confirm'),
    },
  ],
  buttonHandlers: [
    {
      prefix: 'lang',
      run: async (ctx, rest) => chooseLanguage(ctx, rest === 'en' ? 'en' : 'vi'),
    },
    {
      prefix: 'menu',
      run: async (ctx, rest) => {
        const cmd = MENU[rest];
        if (!cmd) return showHelp(ctx);
        ctx.end();
        return ctx.runCommand(cmd);
      },
    },
  ],
  flows: [privacyFlow],
};

export const privacyModule: FeatureModule = { feature: () => privacyFeature };
