import { AppError } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import { broadcasts, type Broadcast } from '../../db/schema/index.js';
import { recordAudit } from '../../audit/audit-log.js';
import { countAudience, type Audience } from './audience.js';
import { lengthProblems, type BroadcastFormat, type TextLimits } from './message.js';

export interface NewBroadcast {
  text: string;
  format?: BroadcastFormat;
  audience: Audience;
  scheduledAt?: Date;
  actor: string;
  /** the official's chat account, to receive the progress message and the final report */
  progressAccountId?: string;
}

/**
 * Validate and store a broadcast; it is queued by queueDueBroadcasts at `scheduledAt` (now when absent).
 * Throws AppError BROADCAST_EMPTY, UNKNOWN_WARD or BROADCAST_TOO_LONG (against `limits`, when given).
 */
export async function createBroadcast(
  db: DbOrTx,
  b: NewBroadcast,
  now: Date,
  limits: TextLimits = () => undefined,
): Promise<Broadcast> {
  const format = b.format ?? 'plain';
  const text = b.text.trim();
  if (!text) throw new AppError('BROADCAST_EMPTY', 'The announcement has no text.', 400);
  if ('wardCodes' in b.audience) {
    const codes = [...new Set(b.audience.wardCodes)];
    if (codes.length === 0) throw new AppError('UNKNOWN_WARD', 'Choose at least one ward.', 400);
    const known = await db.query.wards.findMany({
      columns: { code: true },
      where: (w, { inArray: within }) => within(w.code, codes),
    });
    const missing = codes.filter((c) => !known.some((k) => k.code === c));
    if (missing.length)
      throw new AppError('UNKNOWN_WARD', `Unknown ward codes: ${missing.join(', ')}`, 400, { wardCodes: missing });
    b = { ...b, audience: { wardCodes: codes } };
  }
  const count = await countAudience(db, b.audience);
  const problems = lengthProblems(text, format, Object.keys(count.byChannel), limits);
  if (problems.length) {
    const p = problems[0]!;
    throw new AppError(
      'BROADCAST_TOO_LONG',
      `The text is ${p.length} characters; ${p.channel} takes at most ${p.limit}.`,
      400,
      problems,
    );
  }
  const scheduledAt = b.scheduledAt && b.scheduledAt > now ? b.scheduledAt : now;
  const [row] = await db
    .insert(broadcasts)
    .values({
      text,
      format,
      audience: b.audience,
      status: scheduledAt > now ? 'scheduled' : 'queuing',
      scheduledAt,
      createdBy: b.actor,
      createdAt: now,
      progressAccountId: b.progressAccountId,
    })
    .returning();
  await recordAudit(db, {
    actor: b.actor,
    action: 'broadcast.create',
    subjectType: 'broadcast',
    subjectId: row!.id,
    details: {
      audience: b.audience,
      scheduledAt: scheduledAt.toISOString(),
      recipients: count.total,
      length: text.length,
    },
    at: now,
  });
  return row!;
}
