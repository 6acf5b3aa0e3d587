import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { DEFAULT_CAPABILITIES, DeliveryError, type ChannelSender, type SendReceipt } from '../../src/core/channel.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import type { ChannelName, Outbound } from '../../src/core/messages.js';
import type { DbOrTx } from '../../src/db/client.js';
import { accounts, persons, venues, visits } from '../../src/db/schema/index.js';

/** Rows the check-in and declaration features would write, made directly for exposure tests. */
export async function seedAccount(
  db: DbOrTx,
  opts: { channel?: ChannelName; externalId?: string; locale?: string } = {},
) {
  const [row] = await db
    .insert(accounts)
    .values({
      channel: opts.channel ?? 'telegram',
      externalId: opts.externalId ?? String(100000 + Math.floor(Math.random() * 1e9)),
      locale: opts.locale ?? 'vi',
    })
    .returning();
  return row!;
}

/** A phone given here is taken as verified (shared from Telegram or Zalo) unless `phoneVerified: false` (typed). */
export async function seedPerson(
  db: DbOrTx,
  opts: {
    accountId: string;
    fullName: string;
    phone?: string;
    isSelf?: boolean;
    birthYear?: number;
    phoneVerified?: boolean;
  },
) {
  const [row] = await db
    .insert(persons)
    .values({
      ownerAccountId: opts.accountId,
      isSelf: opts.isSelf ?? true,
      fullName: opts.fullName,
      birthYear: opts.birthYear ?? 1985,
      gender: 'other',
      phone: opts.phone,
      phoneVerified: opts.phone !== undefined && opts.phoneVerified !== false,
      phoneSource: opts.phone === undefined ? null : opts.phoneVerified === false ? 'typed' : 'telegram_contact',
    })
    .returning();
  if (row!.isSelf) await db.update(accounts).set({ personId: row!.id }).where(eq(accounts.id, opts.accountId));
  return row!;
}

/** An account holder who declared: account + self person. */
export async function seedResident(
  db: DbOrTx,
  fullName: string,
  opts: { locale?: string; phone?: string; channel?: ChannelName; phoneVerified?: boolean } = {},
) {
  const account = await seedAccount(db, { locale: opts.locale, channel: opts.channel });
  const person = await seedPerson(db, {
    accountId: account.id,
    fullName,
    phone: opts.phone,
    phoneVerified: opts.phoneVerified,
  });
  return { account, person };
}

export async function seedVenue(db: DbOrTx, name: string, defaultStayMinutes = 60) {
  const [row] = await db
    .insert(venues)
    .values({ code: randomBytes(4).toString('hex').toUpperCase(), name, kind: 'restaurant', defaultStayMinutes })
    .returning();
  return row!;
}

export async function seedVisit(
  db: DbOrTx,
  opts: { personId: string; venueId: string; accountId: string; enteredAt: Date; exitedAt?: Date | null },
) {
  const [row] = await db
    .insert(visits)
    .values({ ...opts, exitedAt: opts.exitedAt ?? null, source: 'poster', channel: 'telegram' })
    .returning();
  return row!;
}

/** Vietnam time: at('2021-08-04', '10:30'). */
export const vn = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00+07:00`);

export interface SentRecord {
  externalId: string;
  messages: Outbound[];
  at: number;
}

/**
 * An in-process ChannelSender that records what it is given and fails on demand: `failNext(externalId, err)`
 * queues errors for that chat, thrown one per send before it succeeds.
 */
export class RecordingSender implements ChannelSender {
  readonly sent: SentRecord[] = [];
  readonly attempts: { externalId: string; at: number }[] = [];
  private readonly failures = new Map<string, DeliveryError[]>();
  /** ms each send takes on `clock` (a real API is not instant) */
  delayMs = 0;
  /** when set, sends wait for it (a send held in flight until the test lets it finish) */
  gate?: Promise<void>;
  /** times sends (`at`) and their delay; tests advance it */
  clock: Clock = systemClock;

  readonly label = 'test';
  readonly capabilities = DEFAULT_CAPABILITIES;

  constructor(
    readonly name: ChannelName = 'telegram',
    readonly ratePerSecond = Infinity,
  ) {}

  failNext(externalId: string, ...errors: DeliveryError[]): void {
    this.failures.set(externalId, [...(this.failures.get(externalId) ?? []), ...errors]);
  }

  async send(externalId: string, messages: Outbound[]): Promise<SendReceipt> {
    this.attempts.push({ externalId, at: this.clock.monotonic() });
    if (this.delayMs > 0) await this.clock.sleep(this.delayMs);
    if (this.gate) await this.gate;
    const queued = this.failures.get(externalId);
    const err = queued?.shift();
    if (err) throw err;
    this.sent.push({ externalId, messages, at: this.clock.monotonic() });
    return { messageRef: String(this.sent.length) };
  }

  to(externalId: string): SentRecord[] {
    return this.sent.filter((s) => s.externalId === externalId);
  }
}

export const retryAfter = (ms: number) => new DeliveryError('retry', 'Too Many Requests: retry after', ms);
export const serverError = () => new DeliveryError('retry', 'Bad Gateway');
export const blocked = () => new DeliveryError('unreachable', 'Forbidden: bot was blocked by the user');

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
