import type { Feature } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import { passMessage } from '../pass/pass-message.js';
import { selfPerson } from '../people/store.js';
import { askConsent } from '../privacy/consent.js';
import { declarationFlow } from './flow.js';
import { startDeclaration } from './start.js';

export const declarationFeature: Feature = {
  name: 'declaration',
  commands: [
    {
      names: ['khaibao', 'declare'],
      descriptionKey: 'declaration:cmd_declare',
      run: (ctx) => startDeclaration(ctx),
    },
    {
      names: ['qr', 'pass'],
      descriptionKey: 'declaration:cmd_pass',
      run: async (ctx) => {
        if (!ctx.account.consentedAt) return askConsent(ctx, {});
        const me = await selfPerson(ctx.tx, ctx.account.id);
        if (!me) {
          ctx.reply({
            text: ctx.t('declaration:no_pass_yet'),
            buttons: [[{ label: ctx.t('declaration:btn_declare_now'), payload: 'menu:declare' }]],
          });
          return;
        }
        ctx.reply(await passMessage(ctx.tx, ctx.deps, me.id, ctx.locale));
      },
    },
  ],
  flows: [declarationFlow],
};

export const declarationModule: FeatureModule<unknown> = { feature: declarationFeature };
