import { and, asc, desc, eq, gte, inArray } from 'drizzle-orm';
import type { DialogContext } from '../../core/dialog.js';
import { formatDateTime, formatTime } from '../../core/i18n.js';
import {
  casePersons,
  cases,
  contacts,
  declarations,
  exposureWindows,
  persons,
  venues,
  visits,
  wards,
} from '../../db/schema/index.js';
import { formatAnswer, HEALTH_QUESTIONS, otherProvinceLabel, PROFILE_QUESTIONS } from '../health-form/questions.js';
import { retentionPolicy } from '../retention/policy.js';

const DAY = 86_400_000;
/** Under Zalo's 2,000-character limit (Telegram allows 4,096), so one summary fits every channel. */
export const MY_DATA_MAX_CHARS = 1800;

const date = (d: Date) => formatDateTime(d).slice(6);

/**
 * Everything khaibao holds about the account and the persons it declared, as plain text in the person's
 * language (DESIGN.md: "A resident can see everything held about them"). Sections are kept whole where they fit,
 * so a long history arrives as several messages, each a readable piece.
 */
export async function myDataTexts(ctx: DialogContext): Promise<string[]> {
  const { t, tx, account } = ctx;
  const d = (key: string, opts?: Record<string, unknown>) => t(`declaration:${key}`, opts);
  const none = d('none');
  const now = ctx.deps.clock.now();
  const policy = retentionPolicy(ctx.deps.config);

  const blocks: string[] = [
    [
      t('privacy:mydata_title'),
      '',
      `${t('privacy:mydata_channel')}: ${t(`privacy:mydata_channel_${account.channel}`)}`,
      `${t('privacy:mydata_language')}: ${t(`privacy:mydata_language_${account.locale === 'en' ? 'en' : 'vi'}`)}`,
      `${t('privacy:mydata_consent')}: ${account.consentedAt ? formatDateTime(account.consentedAt, ctx.locale) : t('privacy:mydata_no_consent')}`,
    ].join('\n'),
  ];

  const people = await tx
    .select({ person: persons, wardName: wards.name })
    .from(persons)
    .leftJoin(wards, eq(wards.code, persons.wardCode))
    .where(eq(persons.ownerAccountId, account.id))
    .orderBy(desc(persons.isSelf), asc(persons.createdAt));
  if (people.length === 0) blocks.push(t('privacy:mydata_no_persons'));
  const ids = people.map((p) => p.person.id);

  const decls = ids.length
    ? await tx
        .select()
        .from(declarations)
        .where(
          and(
            inArray(declarations.personId, ids),
            gte(declarations.declaredAt, new Date(now.getTime() - policy.declarationsDays * DAY)),
          ),
        )
        .orderBy(desc(declarations.declaredAt))
    : [];
  const visitRows = ids.length
    ? await tx
        .select({
          personId: visits.personId,
          enteredAt: visits.enteredAt,
          exitedAt: visits.exitedAt,
          venue: venues.name,
        })
        .from(visits)
        .innerJoin(venues, eq(venues.id, visits.venueId))
        .where(
          and(inArray(visits.personId, ids), gte(visits.enteredAt, new Date(now.getTime() - policy.visitsDays * DAY))),
        )
        .orderBy(desc(visits.enteredAt))
    : [];
  const alerts = ids.length
    ? await tx
        .select({
          personId: contacts.personId,
          kind: contacts.kind,
          exposedAt: contacts.exposedAt,
          alertedAt: contacts.alertedAt,
          venue: venues.name,
        })
        .from(contacts)
        .leftJoin(exposureWindows, eq(exposureWindows.id, contacts.windowId))
        .leftJoin(venues, eq(venues.id, exposureWindows.venueId))
        .where(inArray(contacts.personId, ids))
        .orderBy(desc(contacts.exposedAt))
    : [];

  for (const { person: p, wardName } of people) {
    // The profile questions (health-form/questions.ts): the name heads the block, a same-line answer joins the line before.
    const view: Record<string, unknown> = {
      ...p,
      wardName: wardName ?? (p.provinceCode ? otherProvinceLabel(t, p.provinceCode) : null),
      idNumber: p.idNumberLast4 ? { kind: p.idKind, last4: p.idNumberLast4 } : null,
    };
    const profile: string[] = [];
    for (const q of PROFILE_QUESTIONS) {
      if (q.myData === 'heading') {
        profile.push(
          `👤 ${formatAnswer(q, view, t, 'record')}${p.isSelf ? '' : ` (${t('privacy:mydata_family_member')})`}`,
        );
        continue;
      }
      const line = `${d(q.label)}: ${formatAnswer(q, view, t, 'record')}`;
      if (q.myData === 'same-line' && profile.length > 1) profile[profile.length - 1] += ` · ${line}`;
      else profile.push(line);
    }
    blocks.push(profile.join('\n'));

    const own = decls.filter((x) => x.personId === p.id);
    blocks.push(
      [
        t('privacy:mydata_declarations', { name: p.fullName, days: policy.declarationsDays }),
        ...(own.length === 0
          ? [none]
          : own.map((x) => {
              const answers = HEALTH_QUESTIONS.map((q) => `${d(q.label)}: ${formatAnswer(q, x, t, 'record')}`);
              return `• ${formatDateTime(x.declaredAt, ctx.locale)} — ${answers.join('; ')}`;
            })),
      ].join('\n'),
    );

    const went = visitRows.filter((v) => v.personId === p.id);
    blocks.push(
      [
        t('privacy:mydata_visits', { name: p.fullName, days: policy.visitsDays }),
        ...(went.length === 0
          ? [none]
          : went.map(
              (v) =>
                `• ${v.venue}: ${formatTime(v.enteredAt)} – ${v.exitedAt ? formatTime(v.exitedAt) : t('privacy:mydata_no_exit')} ${date(v.enteredAt)}`,
            )),
      ].join('\n'),
    );

    const told = alerts.filter((a) => a.personId === p.id);
    if (told.length > 0) {
      blocks.push(
        [
          t('privacy:mydata_alerts', { name: p.fullName }),
          ...told.map((a) => {
            const where = a.venue ?? t('privacy:mydata_household');
            const kind = t(a.kind === 'close' ? 'privacy:mydata_close' : 'privacy:mydata_casual');
            const when = a.alertedAt
              ? ` · ${t('privacy:mydata_alerted_at', { time: formatDateTime(a.alertedAt, ctx.locale) })}`
              : '';
            return `• ${where}, ${date(a.exposedAt)} (${kind})${when}`;
          }),
        ].join('\n'),
      );
    }
  }
  blocks.push(
    ...(await caseBlocks(
      ctx,
      people.map((p) => p.person),
    )),
  );
  blocks.push(t('privacy:mydata_footer'));
  return packMessages(blocks, MY_DATA_MAX_CHARS);
}

/** The health department's case records naming the account's persons: being a confirmed case is data held too. */
async function caseBlocks(ctx: DialogContext, people: { id: string; fullName: string }[]): Promise<string[]> {
  if (people.length === 0) return [];
  const ids = people.map((p) => p.id);
  const linked = await ctx.tx
    .selectDistinct({ personId: casePersons.personId, c: cases })
    .from(casePersons)
    .innerJoin(cases, eq(cases.id, casePersons.caseId))
    .where(inArray(casePersons.personId, ids));
  const direct = await ctx.tx
    .select({ personId: cases.personId, c: cases })
    .from(cases)
    .where(inArray(cases.personId, ids));
  const t = ctx.t;
  const out: string[] = [];
  for (const p of people) {
    const seen = new Map([...linked, ...direct].filter((r) => r.personId === p.id).map((r) => [r.c.id, r.c]));
    if (seen.size === 0) continue;
    const lines = [...seen.values()]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((c) => {
        const parts = [
          t('privacy:mydata_case_recorded', { time: formatDateTime(c.createdAt, ctx.locale) }),
          ...(c.testedAt ? [t('privacy:mydata_case_tested', { date: date(c.testedAt) })] : []),
          ...(c.onsetAt ? [t('privacy:mydata_case_onset', { date: date(c.onsetAt) })] : []),
          t('privacy:mydata_case_infectious', {
            from: formatDateTime(c.infectiousFrom, ctx.locale),
            to: formatDateTime(c.infectiousTo, ctx.locale),
          }),
          c.closedAt
            ? t('privacy:mydata_case_closed', { time: formatDateTime(c.closedAt, ctx.locale) })
            : t('privacy:mydata_case_open'),
        ];
        return `• ${parts.join('; ')}`;
      });
    out.push([t('privacy:mydata_case', { name: p.fullName }), ...lines].join('\n'));
  }
  return out;
}

/** Joins blocks into messages of at most `max` characters, breaking between blocks, else between lines. */
export function packMessages(blocks: string[], max: number): string[] {
  const out: string[] = [];
  let current = '';
  const push = (piece: string, sep: string) => {
    if (current && current.length + sep.length + piece.length > max) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}${sep}${piece}` : piece;
  };
  for (const block of blocks) {
    if (block.length <= max) {
      push(block, '\n\n');
      continue;
    }
    block
      .split('\n')
      .forEach((line, i) => push(line.length > max ? `${line.slice(0, max - 1)}…` : line, i === 0 ? '\n\n' : '\n'));
  }
  if (current) out.push(current);
  return out;
}
