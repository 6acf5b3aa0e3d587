import { callbackData } from '../../core/callback-data.js';
import { defineFlow, type DialogContext, type Feature } from '../../core/dialog.js';
import { formatDateTime } from '../../core/i18n.js';
import { F0P } from '../officials/case-chat.js';
import { ACCESS, accountActor, hasAnyRole } from '../officials/roles.js';
import { scopeOfAccount } from '../officials/scope.js';
import {
  CASE_STATUSES,
  FOLLOWUP_STATUSES,
  auditFollowupRead,
  isFollowupStatus,
  listFollowups,
  setFollowup,
  type FollowupEntry,
} from './store.js';

export const FOLLOWUP_FLOW = 'followup';
/** People per /theodoi page (a chat message stays short). */
export const FOLLOWUP_PAGE_SIZE = 5;
/** Idle buttons: `fu:p:<personId>` opens a person, `fu:n:<page>` another page. */
const FU = callbackData('fu');
/** The flow's status buttons: `fus:<status>`. */
const FUS = callbackData('fus');

const mayFollowUp = (ctx: DialogContext) => hasAnyRole(ctx.tx, ctx.account.id, ACCESS.followups);

function entryLine(ctx: DialogContext, e: FollowupEntry, n?: number): string {
  const reasons = e.reasons.map((r) => ctx.t(`followup:reason_${r}`)).join(', ');
  return ctx.t('followup:entry', {
    n: n ?? '•',
    name: e.name,
    phone: e.phone ?? '—',
    ward: e.wardName ?? '—',
    reasons,
    since: formatDateTime(e.since, ctx.locale),
    status: ctx.t(`followup:status_${e.status}`),
    note: e.note ? ` · ${e.note}` : '',
  });
}

async function showList(ctx: DialogContext, page: number): Promise<void> {
  const scope = await scopeOfAccount(ctx.tx, ctx.account.id);
  if (!scope) {
    ctx.reply({ text: ctx.t('common:unknown_command') });
    return;
  }
  const now = ctx.deps.clock.now();
  const all = await listFollowups(ctx.tx, scope, { now });
  const pages = Math.max(1, Math.ceil(all.length / FOLLOWUP_PAGE_SIZE));
  const p = Math.min(Math.max(1, page), pages);
  const shown = all.slice((p - 1) * FOLLOWUP_PAGE_SIZE, p * FOLLOWUP_PAGE_SIZE);
  await auditFollowupRead(ctx.tx, {
    actor: accountActor(ctx.account.id),
    scope,
    shown,
    at: now,
    via: `chat:${ctx.channel}`,
  });
  if (all.length === 0) {
    ctx.reply({ text: ctx.t('followup:list_empty') });
    return;
  }
  const first = (p - 1) * FOLLOWUP_PAGE_SIZE;
  ctx.reply({
    text: [
      ctx.t('followup:list_title', { count: all.length, page: p, pages }),
      ...shown.map((e, i) => entryLine(ctx, e, first + i + 1)),
      ctx.t('followup:list_hint'),
    ].join('\n'),
    buttons: [
      ...shown.map((e, i) => [{ label: `${first + i + 1}. ${e.name}`, payload: FU.data('p', e.personId) }]),
      ...(p < pages ? [[{ label: ctx.t('followup:next_page'), payload: FU.data('n', p + 1) }]] : []),
    ],
  });
}

interface FollowupDraft {
  personId: string;
  note?: string;
}

/** One person: their line and the status buttons; a typed text becomes the note saved with the status. */
export const followupFlow = defineFlow<FollowupDraft>()(
  FOLLOWUP_FLOW,
  {
    status: {
      ask: async (ctx) => {
        const scope = await scopeOfAccount(ctx.tx, ctx.account.id);
        const [entry] = scope
          ? await listFollowups(ctx.tx, scope, { now: ctx.deps.clock.now(), personId: ctx.data.personId })
          : [];
        if (!scope || !entry) {
          ctx.end();
          ctx.reply({ text: ctx.t('followup:not_found') });
          return;
        }
        await auditFollowupRead(ctx.tx, {
          actor: accountActor(ctx.account.id),
          scope,
          shown: [entry],
          at: ctx.deps.clock.now(),
          via: `chat:${ctx.channel}`,
        });
        ctx.reply({
          text: [
            entryLine(ctx, entry),
            entry.address ? ctx.t('followup:address', { address: entry.address }) : '',
            ctx.t('followup:choose_status'),
          ]
            .filter(Boolean)
            .join('\n'),
          buttons: [
            ...FOLLOWUP_STATUSES.map((s) => [{ label: ctx.t(`followup:status_${s}`), payload: FUS.data(s) }]),
            [{ label: ctx.t('followup:cancel_button'), payload: FUS.data('cancel') }],
          ],
        });
      },
      handle: async (ctx, input) => {
        if (input.kind === 'text') {
          ctx.data.note = input.text.slice(0, 2000);
          ctx.reply({ text: ctx.t('followup:note_kept') });
          return ctx.goto('status');
        }
        const v = input.kind === 'button' ? FUS.rest(input.payload) : undefined;
        if (v === 'cancel') {
          ctx.end();
          ctx.reply({ text: ctx.t('followup:cancelled') });
          return;
        }
        if (!isFollowupStatus(v)) return ctx.goto('status');
        const scope = await scopeOfAccount(ctx.tx, ctx.account.id);
        const { personId, note } = ctx.data;
        ctx.end();
        const r = scope
          ? await setFollowup(ctx.tx, scope, {
              personId,
              status: v,
              note,
              actor: accountActor(ctx.account.id),
              now: ctx.deps.clock.now(),
              via: `chat:${ctx.channel}`,
            })
          : ({ ok: false } as const);
        if (!r.ok) {
          ctx.reply({ text: ctx.t('followup:not_found') });
          return;
        }
        const done = ctx.t('followup:status_set', { status: ctx.t(`followup:status_${v}`) });
        if (!CASE_STATUSES.includes(v)) {
          ctx.reply({ text: done });
          return;
        }
        // Isolating or positive: lead to recording the case (/f0 for this person), or say who can.
        if (await hasAnyRole(ctx.tx, ctx.account.id, ACCESS.cases)) {
          ctx.reply({
            text: `${done}\n${ctx.t('followup:record_case_offer')}`,
            buttons: [[{ label: ctx.t('followup:record_case_button'), payload: F0P.data(personId) }]],
          });
        } else ctx.reply({ text: `${done}\n${ctx.t('followup:record_case_hint')}` });
      },
    },
  },
  [FUS],
);

/** /theodoi (/followup): the ward follow-up list of the official's scope, with buttons to set a status. */
export function followupFeature(): Feature {
  return {
    name: 'followup',
    flows: [followupFlow],
    buttonHandlers: [
      {
        prefix: FU.prefix,
        run: async (ctx, rest) => {
          if (!(await mayFollowUp(ctx))) {
            ctx.reply({ text: ctx.t('common:unknown_command') });
            return;
          }
          const [kind, arg = ''] = rest.split(':');
          if (kind === 'n') return showList(ctx, Number(arg) || 1);
          if (kind === 'p' && /^[0-9a-f-]{36}$/.test(arg)) return ctx.go(followupFlow, 'status', { personId: arg });
          return showList(ctx, 1);
        },
      },
    ],
    commands: [
      {
        names: ['theodoi', 'followup'],
        helpKey: 'followup:cmd_followup',
        allowed: mayFollowUp,
        run: async (ctx, args) => showList(ctx, Number(args) || 1),
      },
    ],
  };
}
