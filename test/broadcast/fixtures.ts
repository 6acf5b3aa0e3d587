import { sql } from 'drizzle-orm';
import {
  DEFAULT_CAPABILITIES,
  type ChannelCapabilities,
  type ChannelSender,
  type SendReceipt,
} from '../../src/core/channel.js';
import { zaloCapabilities } from '../../src/channels/zalo/outbound-render.js';
import { TELEGRAM_CAPABILITIES } from '../../src/channels/telegram/sender.js';
import type { ChannelName, Inbound, Outbound } from '../../src/core/messages.js';
import { queryRows, type DbOrTx } from '../../src/db/client.js';
import { seedHomeWards } from '../../src/features/wards/store.js';
import type { TestService } from '../helpers/service.js';

/**
 * Can Tho's shipped ward list, as every start loads it (a no-op on a service's database). The tests use real
 * codes: 31120 Phường An Hòa, 31144 Phường Xuân Khánh, 31231 Thị trấn Thanh An and 31240 Xã Thạnh An (two
 * wards whose names fold alike).
 */
export async function seedWards(db: DbOrTx): Promise<void> {
  await seedHomeWards(db);
}

/**
 * `n` accounts on `channel` with external ids `<prefix>0…`, in one statement. Options pick consent, a self person
 * in `wardCode`, and unreachable marks. Returns the account ids in external id order.
 */
export async function seedAccounts(
  db: DbOrTx,
  o: {
    n: number;
    prefix: string;
    channel?: ChannelName;
    consented?: boolean;
    wardCode?: string | null;
    unreachable?: boolean;
    locale?: string;
  },
): Promise<string[]> {
  const channel = o.channel ?? 'telegram';
  const rows = await queryRows<{ id: string }>(
    db,
    sql`insert into accounts (channel, external_id, locale, consented_at, unreachable_at, unreachable_reason)
        select ${channel}, ${o.prefix} || g, ${o.locale ?? 'vi'},
               case when ${o.consented ?? true} then now() else null end,
               case when ${o.unreachable ?? false} then now() else null end,
               case when ${o.unreachable ?? false} then 'blocked' else null end
        from generate_series(0, ${o.n - 1}) g order by g returning id`,
  );
  const ids = rows.map((r) => r.id);
  if (o.wardCode !== undefined && ids.length) {
    await db.execute(sql`insert into persons (owner_account_id, is_self, full_name, birth_year, gender, ward_code)
      select a.id, true, 'Nguyễn Văn A', 1980, 'male', ${o.wardCode} from accounts a
      where a.id::text = any(${`{${ids.join(',')}}`}::text[])`);
  }
  return ids;
}

/** Outbox rows of one broadcast: how many per account, and by status. */
export async function broadcastRows(
  db: DbOrTx,
  id: string,
): Promise<{ accountId: string; status: string; n: number }[]> {
  const rows = await queryRows<{ account_id: string; status: string; n: string }>(
    db,
    sql`select account_id, min(status) as status, count(*) as n from outbox where kind = 'broadcast' and ref_id = ${id} group by account_id`,
  );
  return rows.map((r) => ({ accountId: r.account_id, status: r.status, n: Number(r.n) }));
}

/** A ChannelSender that records what it was asked to send and edit (platform faked at the port). */
export class RecordingSender implements ChannelSender {
  readonly ratePerSecond = 1000;
  readonly label: string;
  readonly capabilities: ChannelCapabilities;
  sent: { to: string; messages: Outbound[] }[] = [];
  edits: { to: string; ref: string; message: Outbound }[] = [];
  private seq = 100;
  /** declares what the real adapter of that name declares */
  constructor(readonly name: ChannelName) {
    this.label = ({ telegram: 'Telegram', zalo: 'Zalo' } as Record<string, string>)[name] ?? name;
    this.capabilities =
      name === 'telegram'
        ? TELEGRAM_CAPABILITIES
        : name === 'zalo'
          ? zaloCapabilities({ buttonMode: 'buttons', windowHours: 168 })
          : DEFAULT_CAPABILITIES;
  }
  async send(to: string, messages: Outbound[]): Promise<SendReceipt> {
    this.sent.push({ to, messages });
    return { messageRef: String(++this.seq) };
  }
  async edit(to: string, ref: string, message: Outbound): Promise<SendReceipt> {
    this.edits.push({ to, ref, message });
    return { messageRef: ref };
  }
}

let seq = 0;
/** Say something in chat as `accountId` on the web channel; returns the texts of the replies. */
export async function say(
  svc: TestService,
  accountId: string,
  text: string,
  channel: ChannelName = 'web',
): Promise<string[]> {
  const r = await svc.runner.handle({ channel, accountId, messageId: `t${++seq}`, kind: 'text', text });
  return r.replies.map((m) => m.text ?? '');
}

export async function press(
  svc: TestService,
  accountId: string,
  payload: string,
  channel: ChannelName = 'web',
): Promise<string[]> {
  const r = await svc.runner.handle({ channel, accountId, messageId: `t${++seq}`, kind: 'button', payload });
  return r.replies.map((m) => m.text ?? '');
}

type WithoutId<T> = T extends unknown ? Omit<T, 'messageId'> : never;

export async function handle(svc: TestService, inbound: WithoutId<Inbound>) {
  return svc.runner.handle({ ...inbound, messageId: `t${++seq}` } as Inbound);
}
