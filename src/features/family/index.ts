import { callbackData } from '../../core/callback-data.js';
import type { DialogContext, Feature } from '../../core/dialog.js';
import type { Button } from '../../core/messages.js';
import { startDeclaration, startFamilyMember, startProfileEdit } from '../declaration/start.js';
import type { FeatureModule } from '../../core/module.js';
import { cardPng, cardToPrint, revokeCard } from '../pass/card.js';
import { formatDateTime } from '../../core/i18n.js';
import { familyMembers, ownedPerson, removeFamilyMember } from '../people/store.js';
import { askConsent } from '../privacy/consent.js';

/** The family menu's buttons: `fam:<action>[:<personId>]`. */
const FAM = callbackData('fam');

/** Family members without a phone (khai hộ): each has a profile, declarations and a pass of their own. */
async function listFamily(ctx: DialogContext): Promise<void> {
  if (!ctx.account.consentedAt) return askConsent(ctx, {});
  const members = await familyMembers(ctx.tx, ctx.account.id);
  const buttons: Button[][] = members.map((m) => [
    { label: `${m.fullName} (${m.birthYear})`, payload: FAM.data('m', m.id) },
  ]);
  buttons.push([{ label: ctx.t('family:btn_add'), payload: FAM.data('add') }]);
  ctx.reply({ text: ctx.t(members.length ? 'family:list' : 'family:empty', { count: members.length }), buttons });
}

async function memberMenu(ctx: DialogContext, personId: string): Promise<void> {
  const p = await ownedPerson(ctx.tx, ctx.account.id, personId);
  if (!p || p.isSelf) {
    ctx.reply({ text: ctx.t('declaration:person_not_found') });
    return;
  }
  ctx.reply({
    text: ctx.t('family:member', { name: p.fullName, year: p.birthYear }),
    buttons: [
      [
        { label: ctx.t('family:btn_declare'), payload: FAM.data('d', p.id) },
        { label: ctx.t('family:btn_pass'), payload: FAM.data('p', p.id) },
      ],
      [
        { label: ctx.t('family:btn_card_reissue'), payload: FAM.data('cr', p.id) },
        { label: ctx.t('family:btn_card_revoke'), payload: FAM.data('cv', p.id) },
      ],
      [
        { label: ctx.t('family:btn_edit'), payload: FAM.data('e', p.id) },
        { label: ctx.t('family:btn_remove'), payload: FAM.data('x', p.id) },
      ],
      [{ label: ctx.t('family:btn_back'), payload: FAM.data('list') }],
    ],
  });
}

/** A yes/no question about one member: «yes» runs `yesAction` on them, «no» goes back to their menu. */
function askToConfirm(
  ctx: DialogContext,
  p: { id: string; fullName: string },
  textKey: string,
  yesKey: string,
  yesAction: string,
): void {
  ctx.reply({
    text: ctx.t(textKey, { name: p.fullName }),
    buttons: [
      [
        { label: ctx.t(yesKey), payload: FAM.data(yesAction, p.id) },
        { label: ctx.t('family:btn_remove_no'), payload: FAM.data('m', p.id) },
      ],
    ],
  });
}

export const familyFeature: Feature = {
  name: 'family',
  commands: [
    {
      names: ['giadinh', 'family'],
      descriptionKey: 'family:cmd_family',
      run: async (ctx) => {
        ctx.end();
        return listFamily(ctx);
      },
    },
  ],
  buttonHandlers: [
    {
      prefix: FAM.prefix,
      run: async (ctx, rest) => {
        if (!ctx.account.consentedAt) return askConsent(ctx, {});
        const [action, id = ''] = rest.split(':');
        switch (action) {
          case 'list':
            ctx.end();
            return listFamily(ctx);
          case 'add':
            return startFamilyMember(ctx);
          case 'm':
            return memberMenu(ctx, id);
        }
        const p = await ownedPerson(ctx.tx, ctx.account.id, id);
        if (!p || p.isSelf) {
          ctx.reply({ text: ctx.t('declaration:person_not_found') });
          return;
        }
        switch (action) {
          case 'd':
            return startDeclaration(ctx, { personId: p.id });
          case 'p':
          case 'cr': {
            // A6 card to print for someone without a phone: the card in force again, or (reissue) a new one that
            // ends the old.
            const card = await cardToPrint(ctx.tx, ctx.deps, p.id, ctx.account.id, { reissue: action === 'cr' });
            const until = formatDateTime(card.card.expiresAt, ctx.locale).slice(6);
            const lines = [ctx.t('family:printable', { name: p.fullName, until })];
            if (action === 'cr') lines.unshift(ctx.t('family:card_reissued', { name: p.fullName }));
            ctx.reply({
              text: lines.join('\n'),
              image: { png: await cardPng(ctx.deps, card, ctx.locale), filename: 'khaibao-card-a6.png' },
            });
            return;
          }
          case 'cv':
            return askToConfirm(ctx, p, 'family:card_revoke_confirm', 'family:btn_card_revoke_yes', 'cvy');
          case 'cvy':
            ctx.reply({
              text: (await revokeCard(ctx.tx, ctx.deps, p.id, ctx.account.id))
                ? ctx.t('family:card_revoked', { name: p.fullName })
                : ctx.t('family:card_none', { name: p.fullName }),
            });
            return;
          case 'e':
            return startProfileEdit(ctx, p);
          case 'x':
            return askToConfirm(ctx, p, 'family:remove_confirm', 'family:btn_remove_yes', 'xy');
          case 'xy':
            await removeFamilyMember(ctx.tx, ctx.account.id, p.id);
            ctx.end();
            ctx.reply({ text: ctx.t('family:removed', { name: p.fullName }) });
            return listFamily(ctx);
        }
        ctx.reply({ text: ctx.t('family:unknown_action') });
      },
    },
  ],
};

export const familyModule: FeatureModule<unknown> = { feature: familyFeature };
