import { callbackData } from '../../core/callback-data.js';
import type { DialogContext, Feature } from '../../core/dialog.js';
import { formatDateTime } from '../../core/i18n.js';
import { createApiToken } from './api-tokens.js';
import {
  caseFlow,
  confirmMatchFromChat,
  F0M,
  F0P,
  mayRecordCases,
  startCaseFlow,
  startCaseForPerson,
} from './case-chat.js';
import { acceptInvite, createInvite, inviteLinks, parseInviteCode } from './invites.js';
import { AppError } from '../../core/errors.js';
import { ACCESS, OFFICIAL_ROLES, accountActor, hasAnyRole, isOfficialRole, rolesOf, type RoleScope } from './roles.js';
import { parseScopeText, validateScope } from './scope.js';

/** Invite start parameter `o_<code>` (links built in invites.ts) and the admin's role buttons `oinv:<role>`. */
const INVITE_START = callbackData('o', '_');
const OINV = callbackData('oinv');

const isOfficial = async (ctx: DialogContext) => (await rolesOf(ctx.tx, ctx.account.id)).length > 0;
const isAdmin = (ctx: DialogContext) => hasAnyRole(ctx.tx, ctx.account.id, ACCESS.officials);

async function useInvite(ctx: DialogContext, code: string): Promise<void> {
  const result = await acceptInvite(ctx.tx, { code, accountId: ctx.account.id, now: ctx.deps.clock.now() });
  if (!result.ok) {
    ctx.log.info({ reason: result.reason }, 'invite refused');
    ctx.reply({ text: ctx.t(`officials:invite_${result.reason}`) });
    return;
  }
  ctx.log.info({ inviteId: result.inviteId, role: result.role }, 'invite accepted');
  ctx.reply({ text: ctx.t('officials:invite_accepted', { role: ctx.t(`officials:role_${result.role}`) }) });
  await ctx.runCommand('canbo');
}

async function sendInvite(ctx: DialogContext, args: string): Promise<void> {
  const [role = '', ...rest] = args.trim().toLowerCase().split(/\s+/);
  if (!isOfficialRole(role)) {
    ctx.reply({
      text: ctx.t('officials:invite_choose_role'),
      buttons: OFFICIAL_ROLES.map((r) => [{ label: ctx.t(`officials:role_${r}`), payload: OINV.data(r) }]),
    });
    return;
  }
  let scope: RoleScope | undefined;
  if (role === 'ward_health') {
    const parsed = parseScopeText(rest.join(' '));
    if (!parsed) {
      ctx.reply({ text: ctx.t('officials:invite_scope_needed') });
      return;
    }
    try {
      scope = await validateScope(ctx.tx, role, parsed);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      ctx.reply({ text: ctx.t('officials:invite_scope_unknown') });
      return;
    }
  }
  const inv = await createInvite(ctx.tx, {
    role,
    actor: accountActor(ctx.account.id),
    now: ctx.deps.clock.now(),
    scope,
  });
  const links = inviteLinks(ctx.deps, inv.code);
  ctx.reply({
    text: ctx.t('officials:invite_created', {
      role: scope
        ? `${ctx.t(`officials:role_${role}`)} (${[...(scope.wardCodes ?? []), ...(scope.districtCode ? [scope.districtCode] : [])].join(', ')})`
        : ctx.t(`officials:role_${role}`),
      url: links.url,
      code: links.typedCode,
      expires: formatDateTime(inv.expiresAt, ctx.locale),
    }),
  });
}

/** Chat side of the officials feature: accepting invites, inviting, personal tokens, the officials' menu. */
export function officialsFeature(): Feature {
  return {
    name: 'officials',
    startHandlers: [
      {
        prefix: INVITE_START.prefix,
        run: async (ctx, rest) => {
          const code = parseInviteCode(rest, false);
          if (!code) {
            ctx.reply({ text: ctx.t('officials:invite_unknown') });
            return;
          }
          await useInvite(ctx, code);
        },
      },
    ],
    buttonHandlers: [
      { prefix: F0M.prefix, run: (ctx, rest) => confirmMatchFromChat(ctx, rest) },
      { prefix: F0P.prefix, run: (ctx, rest) => startCaseForPerson(ctx, rest) },
      {
        prefix: OINV.prefix,
        run: async (ctx, rest) => {
          if (!(await isAdmin(ctx))) {
            ctx.reply({ text: ctx.t('common:unknown_command') });
            return;
          }
          await sendInvite(ctx, rest);
        },
      },
    ],
    // Zalo has no deep-link parameter: the code from the invite is typed ("O-ABCD234567").
    async onIdleText(ctx, text) {
      const code = parseInviteCode(text, true);
      if (!code) return false;
      await useInvite(ctx, code);
      return true;
    },
    flows: [caseFlow],
    commands: [
      {
        names: ['f0', 'case'],
        helpKey: 'officials:cmd_case',
        allowed: mayRecordCases,
        run: (ctx, args) => startCaseFlow(ctx, args),
      },
      {
        names: ['canbo', 'official'],
        helpKey: 'officials:cmd_official',
        allowed: isOfficial,
        run: async (ctx) => {
          const roles = await rolesOf(ctx.tx, ctx.account.id);
          const lines = [
            ctx.t('officials:menu_roles', { roles: roles.map((r) => ctx.t(`officials:role_${r}`)).join(', ') }),
          ];
          const has = (area: readonly string[]) => roles.some((r) => r === 'admin' || area.includes(r));
          if (has(ACCESS.cases)) lines.push(ctx.t('officials:menu_case'));
          if (has(ACCESS.broadcasts)) lines.push(ctx.t('officials:menu_broadcast'));
          if (has(ACCESS.stats)) lines.push(ctx.t('officials:menu_stats'));
          if (has(ACCESS.followups)) lines.push(ctx.t('officials:menu_followup'));
          if (has(ACCESS.officials)) lines.push(ctx.t('officials:menu_invite'));
          lines.push(ctx.t('officials:menu_token'));
          ctx.reply({ text: lines.join('\n') });
        },
      },
      {
        names: ['moi', 'invite'],
        helpKey: 'officials:cmd_invite',
        allowed: isAdmin,
        run: async (ctx, args) => sendInvite(ctx, args),
      },
      {
        names: ['matoken', 'token'],
        helpKey: 'officials:cmd_token',
        allowed: isOfficial,
        run: async (ctx) => {
          const roles = await rolesOf(ctx.tx, ctx.account.id);
          const t = await createApiToken(ctx.tx, {
            roles,
            accountId: ctx.account.id,
            label: `chat ${ctx.channel}`,
            actor: accountActor(ctx.account.id),
            now: ctx.deps.clock.now(),
          });
          ctx.log.info({ tokenId: t.id }, 'api token created in chat');
          ctx.reply({ text: ctx.t('officials:token_created', { token: t.token, id: t.id }) });
        },
      },
    ],
  };
}
