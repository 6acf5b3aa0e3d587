import { and, eq, inArray, isNull } from 'drizzle-orm';
import { recordAudit } from '../../audit/audit-log.js';
import type { WeeklyReportAt } from '../../config.js';
import type { Deps } from '../../core/dialog.js';
import { tFor } from '../../core/i18n.js';
import type { ChannelName } from '../../core/messages.js';
import { accounts, officialRoles, settings } from '../../db/schema/index.js';
import { enqueue } from '../../outbox/enqueue.js';
import { computeCoverage, coveragePercent, type CoverageReport, type CoverageWard } from './coverage.js';
import { weeklyChartPng } from './weekly-chart.js';

/**
 * Who gets the weekly report: the city-wide roles that read every ward's report (admin, health, comms). A
 * `ward_health` official is left out: the report ranks other wards than theirs, and they have /theodoi and the
 * coverage API for their own.
 */
export const WEEKLY_REPORT_ROLES = ['admin', 'health', 'comms'] as const;
/** Wards named in the report, lowest coverage first. */
export const LOWEST_WARDS = 5;
/**
 * A report not sent within this long after its time (the service was down) is skipped rather than sent days late;
 * a fresh install started mid-week does not send one either.
 */
export const WEEKLY_CATCH_UP_HOURS = 24;
const SETTING_KEY = 'weekly-report';
const VN_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;

/** The latest weekly time at or before `now`, and its key: the Vietnam calendar date it falls on. */
export function latestSlot(now: Date, at: WeeklyReportAt): { at: Date; key: string } {
  const local = new Date(now.getTime() + VN_OFFSET_MS);
  const iso = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  const back = (iso - at.weekday + 7) % 7;
  let slotLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - back, at.hour, at.minute);
  if (slotLocal > local.getTime()) slotLocal -= 7 * DAY_MS;
  return { at: new Date(slotLocal - VN_OFFSET_MS), key: new Date(slotLocal).toISOString().slice(0, 10) };
}

/** Wards with a target list, lowest coverage first (then most missing, then code). */
export function lowestCoverage(report: CoverageReport, n = LOWEST_WARDS): CoverageWard[] {
  return report.wards
    .filter((w) => w.targets.required > 0)
    .sort(
      (a, b) =>
        a.targets.coveragePercent! - b.targets.coveragePercent! ||
        b.targets.required - b.targets.registered - (a.targets.required - a.targets.registered) ||
        a.wardCode.localeCompare(b.wardCode),
    )
    .slice(0, n);
}

const viDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/** The report's text and chart for one reader's language. */
export function weeklyMessage(report: CoverageReport, locale: string) {
  const t = tFor(locale);
  const nf = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN');
  const sum = (f: (w: CoverageWard) => number) => report.wards.reduce((s, w) => s + f(w), 0);
  const required = sum((w) => w.targets.required);
  const registered = sum((w) => w.targets.registered);
  const lowest = lowestCoverage(report);
  const lines = [
    t('reports:weekly_title', { from: viDate(report.days[0]!), to: viDate(report.days[report.days.length - 1]!) }),
    t('reports:weekly_totals', {
      venues: nf.format(sum((w) => w.venues.total)),
      active: nf.format(sum((w) => w.activeVenues7d)),
      checkins: nf.format(sum((w) => w.checkinsDaily.reduce((s, d) => s + d.checkins, 0))),
      residents: nf.format(sum((w) => w.residentsDeclared7d)),
    }),
    required > 0
      ? t('reports:weekly_targets', {
          registered: nf.format(registered),
          required: nf.format(required),
          percent: nf.format(coveragePercent(registered, required)!),
        })
      : t('reports:weekly_targets_none'),
  ];
  if (lowest.length > 0) {
    lines.push(t('reports:weekly_lowest', { count: lowest.length }));
    lowest.forEach((w, i) =>
      lines.push(
        t('reports:weekly_lowest_line', {
          n: i + 1,
          ward: w.wardName,
          district: w.districtName,
          registered: nf.format(w.targets.registered),
          required: nf.format(w.targets.required),
          percent: nf.format(w.targets.coveragePercent!),
        }),
      ),
    );
  }
  lines.push(t('reports:weekly_more'));
  const png = weeklyChartPng(report, lowest, {
    title: t('reports:chart_title'),
    checkins: t('reports:chart_checkins'),
    lowest: t('reports:chart_lowest'),
    empty: t('reports:weekly_targets_none'),
    locale,
  });
  return { text: lines.join('\n'), png };
}

/**
 * Sends the weekly deployment report (directive §11) to city officials once per week: when the configured time
 * (WEEKLY_REPORT_AT, Vietnam time) has passed and that week's report has not gone yet. The week sent is kept in
 * `settings` under a row lock, and each message's dedupe key names the week, so several instances or a restart
 * never send it twice. Returns the number of messages queued.
 */
export async function runWeeklyReport(deps: Pick<Deps, 'database' | 'clock' | 'config' | 'wakeOutbox'>) {
  const at = deps.config.weeklyReportAt;
  if (!at) return 0;
  const now = deps.clock.now();
  const slot = latestSlot(now, at);
  if (now.getTime() - slot.at.getTime() > WEEKLY_CATCH_UP_HOURS * 3_600_000) return 0;
  const queued = await deps.database.db.transaction(async (tx) => {
    await tx.insert(settings).values({ key: SETTING_KEY, value: {}, updatedAt: now }).onConflictDoNothing();
    const [row] = await tx.select().from(settings).where(eq(settings.key, SETTING_KEY)).for('update');
    const last = (row?.value as { lastWeek?: string } | undefined)?.lastWeek;
    if (last && last >= slot.key) return 0;
    const report = await computeCoverage(tx, { now, scope: { all: true } });
    const readers = await tx
      .selectDistinct({ id: accounts.id, channel: accounts.channel, locale: accounts.locale })
      .from(officialRoles)
      .innerJoin(accounts, eq(accounts.id, officialRoles.accountId))
      .where(and(inArray(officialRoles.role, [...WEEKLY_REPORT_ROLES]), isNull(accounts.unreachableAt)));
    const byLocale = new Map<string, ReturnType<typeof weeklyMessage>>();
    const messages = readers.map((r) => {
      const locale = r.locale === 'en' ? 'en' : 'vi';
      const m = byLocale.get(locale) ?? weeklyMessage(report, locale);
      byLocale.set(locale, m);
      return {
        channel: r.channel as ChannelName,
        accountId: r.id,
        kind: 'weekly-report',
        dedupeKey: `weekly-report:${slot.key}:${r.id}`,
        messages: [{ text: m.text }, { image: { png: m.png, filename: `bao-cao-tuan-${slot.key}.png` } }],
      };
    });
    const n = await enqueue(tx, messages);
    await tx
      .update(settings)
      .set({ value: { lastWeek: slot.key, sentAt: now.toISOString(), recipients: n }, updatedAt: now })
      .where(eq(settings.key, SETTING_KEY));
    await recordAudit(tx, {
      actor: 'system',
      action: 'report.weekly',
      subjectType: 'wards',
      details: { week: slot.key, recipients: n },
      at: now,
    });
    return n;
  });
  if (queued > 0) deps.wakeOutbox?.();
  return queued;
}
