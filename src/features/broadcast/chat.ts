import { callbackData } from '../../core/callback-data.js';
import { defineFlow, type DialogContext, type Feature } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import { ACCESS, accountActor, hasAnyRole } from '../officials/roles.js';
import { countAudience, foldName, matchWards, type Audience } from './audience.js';
import { cancelBroadcast, latestActiveBroadcast } from './cancel.js';
import { createBroadcast } from './create.js';
import {
  broadcastMessage,
  declaredTextLimits,
  lengthProblems,
  visibleLength,
  type BroadcastFormat,
} from './message.js';

const FLOW = 'broadcast';
const mayBroadcast = (ctx: DialogContext) => hasAnyRole(ctx.tx, ctx.account.id, ACCESS.broadcasts);
const isCancelWord = (s: string) => ['huy', 'thoi', 'cancel', 'stop'].includes(foldName(s));
/** The longest text any channel here takes: longer is refused before the audience is known. */
const maxTextLimit = (ctx: DialogContext) =>
  Math.max(
    ...[...(ctx.deps.channels?.values() ?? [])].map((s) => s.capabilities.textLimit),
    ctx.capabilities.textLimit,
  );

interface Draft {
  text?: string;
  format?: BroadcastFormat;
  audience?: Audience;
  wardNames?: string[];
}
/** The draft's buttons: `bc:all`, `bc:send`… */
const BC = callbackData('bc');
type BroadcastStep = 'text' | 'audience' | 'wards' | 'confirm';
const draft = (ctx: DialogContext<BroadcastStep, Draft>) => ctx.data;

function cancelled(ctx: DialogContext): void {
  ctx.end();
  ctx.reply({ text: ctx.t('broadcast:draft_cancelled') });
}

const flow = defineFlow<Draft>()(
  FLOW,
  {
    text: {
      ask: async (ctx) => ctx.reply({ text: ctx.t('broadcast:ask_text') }),
      handle: async (ctx, input) => {
        if (input.kind !== 'text') return ctx.goto('text');
        if (isCancelWord(input.text)) return cancelled(ctx);
        // Telegram formatting (bold, links…) is kept when the adapter hands it over as HTML.
        const html =
          ctx.inbound.kind === 'text' && ctx.inbound.html && ctx.inbound.html !== input.text
            ? ctx.inbound.html
            : undefined;
        const length = html ? visibleLength(html, 'html') : [...input.text].length;
        const limit = maxTextLimit(ctx);
        if (length > limit) {
          ctx.reply({ text: ctx.t('broadcast:too_long_any', { length, limit }) });
          return ctx.goto('text');
        }
        draft(ctx).text = html ?? input.text;
        draft(ctx).format = html ? 'html' : 'plain';
        return ctx.goto('audience');
      },
    },
    audience: {
      ask: async (ctx) =>
        ctx.reply({
          text: ctx.t('broadcast:ask_audience'),
          buttons: [
            [{ label: ctx.t('broadcast:audience_all'), payload: BC.data('all') }],
            [{ label: ctx.t('broadcast:audience_wards'), payload: BC.data('wards') }],
            [{ label: ctx.t('broadcast:cancel_button'), payload: BC.data('cancel') }],
          ],
        }),
      handle: async (ctx, input) => {
        const v = input.kind === 'button' ? input.payload : input.kind === 'text' ? foldName(input.text) : '';
        if (v === BC.data('cancel') || isCancelWord(v)) return cancelled(ctx);
        if ([BC.data('all'), '1', 'tat ca', 'moi nguoi', 'all', 'everyone'].includes(v)) {
          draft(ctx).audience = { all: true };
          return ctx.goto('confirm');
        }
        if ([BC.data('wards'), '2', 'phuong', 'chon phuong', 'wards', 'ward'].includes(v)) return ctx.goto('wards');
        // Ward names typed straight away are taken as the choice.
        if (input.kind === 'text') return takeWards(ctx, input.text);
        return ctx.goto('audience');
      },
    },
    wards: {
      ask: async (ctx) => ctx.reply({ text: ctx.t('broadcast:ask_wards') }),
      handle: async (ctx, input) => {
        if (input.kind !== 'text') return ctx.goto('wards');
        if (isCancelWord(input.text)) return cancelled(ctx);
        return takeWards(ctx, input.text);
      },
    },
    confirm: {
      ask: async (ctx) => {
        const d = draft(ctx);
        const count = await countAudience(ctx.tx, d.audience!);
        const problems = lengthProblems(
          d.text!,
          d.format ?? 'plain',
          Object.keys(count.byChannel),
          declaredTextLimits(ctx.deps.channels),
        );
        if (problems.length) {
          const p = problems[0]!;
          const channel = ctx.deps.channels?.get(p.channel)?.label ?? p.channel;
          ctx.reply({ text: ctx.t('broadcast:too_long', { length: p.length, limit: p.limit, channel }) });
          return ctx.goto('text');
        }
        if (count.total - count.unreachable === 0) {
          ctx.reply({ text: ctx.t('broadcast:no_recipients') });
          return ctx.goto('audience');
        }
        const audience = 'all' in d.audience! ? ctx.t('broadcast:audience_all') : (d.wardNames ?? []).join(', ');
        ctx.reply(
          { text: ctx.t('broadcast:preview_intro') },
          broadcastMessage(d.text!, d.format ?? 'plain', ctx.locale),
          {
            text: ctx.t('broadcast:preview_summary', {
              audience,
              reachable: count.total - count.unreachable,
              unreachable: count.unreachable,
            }),
            buttons: [
              [{ label: ctx.t('broadcast:send_button'), payload: BC.data('send') }],
              [{ label: ctx.t('broadcast:edit_button'), payload: BC.data('edit') }],
              [{ label: ctx.t('broadcast:cancel_button'), payload: BC.data('cancel') }],
            ],
          },
        );
      },
      handle: async (ctx, input) => {
        const v = input.kind === 'button' ? input.payload : input.kind === 'text' ? foldName(input.text) : '';
        if (v === BC.data('cancel') || isCancelWord(v)) return cancelled(ctx);
        if (v === BC.data('edit') || v === 'sua' || v === 'edit') return ctx.goto('text');
        if (v !== BC.data('send') && v !== 'gui' && v !== 'send') return ctx.goto('confirm');
        // The role may have been taken away while the draft waited.
        if (!(await mayBroadcast(ctx))) {
          ctx.end();
          ctx.reply({ text: ctx.t('common:unknown_command') });
          return;
        }
        const d = draft(ctx);
        try {
          const b = await createBroadcast(
            ctx.tx,
            {
              text: d.text!,
              format: d.format ?? 'plain',
              audience: d.audience!,
              actor: accountActor(ctx.account.id),
              progressAccountId: ctx.account.id,
            },
            ctx.deps.clock.now(),
            declaredTextLimits(ctx.deps.channels),
          );
          ctx.log.info({ broadcastId: b.id }, 'broadcast created in chat');
        } catch (err) {
          if (err instanceof AppError && err.code === 'BROADCAST_TOO_LONG') return ctx.goto('confirm');
          throw err;
        }
        ctx.end();
        ctx.reply({ text: ctx.t('broadcast:started') });
      },
    },
  },
  [BC],
);

async function takeWards(ctx: DialogContext<BroadcastStep, Draft>, typed: string): Promise<void> {
  const m = await matchWards(ctx.tx, typed);
  if (!m.ok) {
    const lines: string[] = [];
    if (m.unknown.length) lines.push(ctx.t('broadcast:wards_unknown', { names: m.unknown.join(', ') }));
    for (const a of m.ambiguous) {
      lines.push(
        ctx.t('broadcast:wards_ambiguous', {
          name: a.typed,
          options: a.options.map((o) => `${o.code} (${o.name}, ${o.district})`).join('; '),
        }),
      );
    }
    ctx.reply({ text: lines.join('\n') });
    return ctx.goto('wards');
  }
  draft(ctx).audience = { wardCodes: m.wards.map((w) => w.code) };
  draft(ctx).wardNames = m.wards.map((w) => w.name);
  return ctx.goto('confirm');
}

/** /thongbao (/broadcast) to write and send an announcement; /huythongbao (/cancelbroadcast) to stop one. */
export function broadcastFeature(): Feature {
  return {
    name: 'broadcast',
    flows: [flow],
    commands: [
      {
        names: ['thongbao', 'broadcast'],
        helpKey: 'broadcast:cmd_broadcast',
        allowed: mayBroadcast,
        run: (ctx) => ctx.go(flow, 'text', {}),
      },
      {
        names: ['huythongbao', 'cancelbroadcast'],
        helpKey: 'broadcast:cmd_cancel',
        allowed: mayBroadcast,
        run: async (ctx) => {
          const b = await latestActiveBroadcast(ctx.tx);
          if (!b) {
            ctx.reply({ text: ctx.t('broadcast:nothing_to_cancel') });
            return;
          }
          const r = await cancelBroadcast(ctx.tx, {
            id: b.id,
            actor: accountActor(ctx.account.id),
            now: ctx.deps.clock.now(),
          });
          ctx.log.info({ broadcastId: b.id }, 'broadcast cancelled in chat');
          ctx.reply({
            text: r.ok
              ? ctx.t('broadcast:cancelled', { count: r.cancelledRows })
              : ctx.t('broadcast:nothing_to_cancel'),
          });
        },
      },
    ],
  };
}
