import { and, eq, gte, isNull, notExists } from 'drizzle-orm';
import type { Deps } from '../../core/dialog.js';
import { tFor } from '../../core/i18n.js';
import type { ChannelName } from '../../core/messages.js';
import { accounts, declarations, followupReported, officialRoles, persons } from '../../db/schema/index.js';
import { enqueue } from '../../outbox/enqueue.js';
import { passEffects } from '../health-form/questions.js';
import { inScope, scopeOfAccount } from '../officials/scope.js';

/** Names in the batched message; the rest are counted ("và 7 người khác") and shown by /theodoi. */
export const BATCH_NAMES_SHOWN = 3;
/**
 * Declarations older than this are never reported (a first start over an existing database, or a worker that was
 * stopped for a long time, does not flood officials with history: /theodoi lists them anyway).
 */
const LOOKBACK_MS = 24 * 3_600_000;

/**
 * One batch: every declaration not yet reported (table `followup_reported`) is claimed — the claim is an
 * INSERT … ON CONFLICT DO NOTHING, so two instances or a restart never report one twice — and each
 * `ward_health` official whose scope holds some of the claimed residents with symptoms or a risk answer gets one
 * message through the outbox: how many, the first names, and /theodoi. Returns the number of messages queued.
 */
export async function runFollowupBatch(deps: Pick<Deps, 'database' | 'clock' | 'wakeOutbox'>): Promise<number> {
  const now = deps.clock.now();
  const queued = await deps.database.db.transaction(async (tx) => {
    const fresh = await tx
      .select({ declaration: declarations, wardCode: persons.wardCode, name: persons.fullName })
      .from(declarations)
      .innerJoin(persons, eq(persons.id, declarations.personId))
      .where(
        and(
          gte(declarations.declaredAt, new Date(now.getTime() - LOOKBACK_MS)),
          notExists(
            tx
              .select({ one: followupReported.declarationId })
              .from(followupReported)
              .where(eq(followupReported.declarationId, declarations.id)),
          ),
        ),
      )
      .orderBy(declarations.declaredAt);
    if (fresh.length === 0) return 0;
    const claimed = await tx
      .insert(followupReported)
      .values(fresh.map((f) => ({ declarationId: f.declaration.id, reportedAt: now })))
      .onConflictDoNothing()
      .returning({ id: followupReported.declarationId });
    const claimedIds = new Set(claimed.map((c) => c.id));
    // One entry per resident (the first risky declaration of the batch), in declaration order.
    const risky = new Map<string, { name: string; wardCode: string }>();
    for (const f of fresh) {
      if (!claimedIds.has(f.declaration.id) || !f.wardCode || passEffects(f.declaration).length === 0) continue;
      if (!risky.has(f.declaration.personId)) risky.set(f.declaration.personId, { name: f.name, wardCode: f.wardCode });
    }
    if (risky.size === 0) return 0;
    const wardsWithNews = [...new Set([...risky.values()].map((r) => r.wardCode))];
    const officials = await tx
      .selectDistinct({ id: accounts.id, channel: accounts.channel, locale: accounts.locale })
      .from(officialRoles)
      .innerJoin(accounts, eq(accounts.id, officialRoles.accountId))
      .where(and(eq(officialRoles.role, 'ward_health'), isNull(accounts.unreachableAt)));
    const messages = [];
    for (const o of officials) {
      const scope = await scopeOfAccount(tx, o.id);
      if (!scope || scope.all || !wardsWithNews.some((w) => inScope(scope, w))) continue;
      const mine = [...risky.values()].filter((r) => inScope(scope, r.wardCode));
      if (mine.length === 0) continue;
      const t = tFor(o.locale);
      const names = mine.slice(0, BATCH_NAMES_SHOWN).map((r) => r.name);
      const more = mine.length - names.length;
      const text = [
        t('followup:batch_title', { count: mine.length }),
        names.map((n) => `• ${n}`).join('\n'),
        ...(more > 0 ? [t('followup:batch_more', { count: more })] : []),
        t('followup:batch_see_all'),
      ].join('\n');
      messages.push({
        channel: o.channel as ChannelName,
        accountId: o.id,
        kind: 'followup-batch',
        // the claim and the message commit together, so the batch's time is a unique enough key
        dedupeKey: `followup-batch:${now.getTime()}:${o.id}`,
        messages: [{ text }],
      });
    }
    return enqueue(tx, messages);
  });
  if (queued > 0) deps.wakeOutbox?.();
  return queued;
}
