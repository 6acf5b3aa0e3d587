import type { DialogContext, Feature } from '../../core/dialog.js';
import { formatDateTime } from '../../core/i18n.js';
import { ACCESS, hasAnyRole } from '../officials/roles.js';
import { statsChartPng } from './chart.js';
import { computeStats, vnDayStart, type Stats } from './stats.js';

function periodLine(ctx: DialogContext, key: string, s: Stats, nf: Intl.NumberFormat): string {
  return ctx.t(key, {
    declarations: nf.format(s.declarations),
    symptomatic: nf.format(s.symptomatic),
    checkins: nf.format(s.checkins),
    venues: nf.format(s.venues.active),
    alerts: nf.format(s.alerts.sent),
    acknowledged: nf.format(s.alerts.acknowledged),
  });
}

/** /thongke (/stats): today and the last 7 days, as text and a chart. */
export function statsFeature(): Feature {
  return {
    name: 'stats',
    commands: [
      {
        names: ['thongke', 'stats'],
        helpKey: 'stats:cmd_stats',
        allowed: (ctx) => hasAnyRole(ctx.tx, ctx.account.id, ACCESS.stats),
        run: async (ctx) => {
          const now = ctx.deps.clock.now();
          const today = await computeStats(ctx.tx, vnDayStart(now), now);
          const week = await computeStats(ctx.tx, vnDayStart(now, 6), now);
          const nf = new Intl.NumberFormat(ctx.locale === 'en' ? 'en-US' : 'vi-VN');
          const noWard = ctx.t('stats:no_ward');
          const wards = week.symptomaticByWard
            .slice(0, 10)
            .map((w) => `${w.wardName ?? noWard}: ${nf.format(w.count)}`)
            .join(', ');
          const lines = [
            ctx.t('stats:title', { at: formatDateTime(now, ctx.locale) }),
            periodLine(ctx, 'stats:today', today, nf),
            periodLine(ctx, 'stats:week', week, nf),
            ctx.t('stats:venues_total', { count: week.venues.total, total: nf.format(week.venues.total) }),
            wards ? ctx.t('stats:by_ward', { wards }) : ctx.t('stats:by_ward_none'),
          ];
          const png = statsChartPng(week, {
            title: ctx.t('stats:chart_title'),
            dailyTitle: ctx.t('stats:chart_daily'),
            wardTitle: ctx.t('stats:chart_wards'),
            declarations: ctx.t('stats:chart_declarations'),
            symptomatic: ctx.t('stats:chart_symptomatic'),
            noWard,
            empty: ctx.t('stats:by_ward_none'),
            locale: ctx.locale,
          });
          ctx.reply({ text: lines.join('\n') }, { image: { png, filename: 'thongke.png' } });
        },
      },
    ],
  };
}
