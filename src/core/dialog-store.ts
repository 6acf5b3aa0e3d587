import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { accounts, dialogStates, processedUpdates, type Account } from '../db/schema/index.js';
import { columnsOf, optionalRowOf, param, prepared, rowOf, widthOf } from '../db/prepared.js';
import type { ChannelName } from './messages.js';

/**
 * The dialog runner's statements (core/dialog.ts), prepared once: what every update of every channel runs.
 */

export type StoredDialogState = typeof dialogStates.$inferSelect;

export interface UpdateHead {
  account: Account;
  /** the account's dialog state row; undefined before its first saved step */
  stored: StoredDialogState | undefined;
}

interface HeadParams extends Record<string, unknown> {
  channel: ChannelName;
  externalId: string;
  /** the platform's update id (null: the channel gives none, nothing to de-duplicate) */
  updateId: string | null;
  locale: string;
  now: string;
  /** a real message makes an unreachable account reachable again */
  revive: boolean;
}

const lockAccount = prepared<{ key: string }, unknown[]>(
  'dialog_lock_account',
  () => sql`select pg_advisory_xact_lock(hashtext(${param('key')}::text))`,
  (row) => row,
);

/**
 * One statement for the head of an update: record the update id (nothing more when it was seen before: no row
 * comes back), create or stamp the account, and read its dialog state.
 */
const head = prepared<HeadParams, UpdateHead>(
  'dialog_update_head',
  () => sql`
    with fresh as (
      insert into ${processedUpdates} (channel, update_id)
      select ${param('channel')}::text, ${param('updateId')}::text where ${param('updateId')}::text is not null
      on conflict do nothing
      returning 1
    ), account as (
      insert into ${accounts} (channel, external_id, locale, last_inbound_at)
      select ${param('channel')}::text, ${param('externalId')}::text, ${param('locale')}::text, ${param('now')}::timestamptz
      where ${param('updateId')}::text is null or exists (select 1 from fresh)
      on conflict (channel, external_id) do update set
        last_inbound_at = excluded.last_inbound_at,
        unreachable_at = case when ${param('revive')}::boolean then null else ${accounts.unreachableAt} end,
        unreachable_reason = case when ${param('revive')}::boolean then null else ${accounts.unreachableReason} end
      returning *
    )
    select ${columnsOf(accounts, 'account')}, ${columnsOf(dialogStates)}
    from account left join ${dialogStates} on ${dialogStates.accountId} = account.id`,
  (() => {
    const account = rowOf(accounts);
    const stored = optionalRowOf(dialogStates, widthOf(accounts));
    return (row: unknown[]): UpdateHead => ({ account: account(row), stored: stored(row) });
  })(),
);

/**
 * Serialize one account's updates (Zalo does not; concurrent webhooks would race otherwise), de-duplicate the
 * update, upsert the account and load its dialog state: two statements sent together (one round trip on
 * postgres.js), the lock first. Undefined when the update was handled before.
 */
export async function openUpdate(tx: Tx, p: HeadParams): Promise<UpdateHead | undefined> {
  const [, rows] = await Promise.all([
    lockAccount.all(tx, { key: `acct:${p.channel}:${p.externalId}` }),
    head.all(tx, p),
  ]);
  return rows[0];
}

interface SaveParams extends Record<string, unknown> {
  accountId: string;
  flow: string | null;
  step: string | null;
  /** JSON text */
  data: string;
  /** JSON text, or null for none */
  menu: string | null;
  now: string;
}

/**
 * A save that wrote nothing while the account is still there (another writer moved the version, or inserted the
 * first row) fails the statement — and with it the transaction — with SQLSTATE 22012, by dividing by the number of
 * rows written (0). SQL has no `raise` of its own, and a constant `1/0` would fail while the statement is planned,
 * whatever the condition. Nothing else in these statements divides. An account deleted by this update (/xoadulieu)
 * is no conflict: no row, no error.
 */
const failUnlessSaved = () => sql`
    select version from saved
    union all
    select 1 / (select count(*)::int from saved) where not exists (select 1 from saved)
      and exists (select 1 from ${accounts} where ${accounts.id} = ${param('accountId')}::uuid)`;

/** SQLSTATE of a save that found its row moved (failUnlessSaved). */
const STATE_CONFLICT = '22012';

/** The first saved step, unless the account was deleted meanwhile. */
const insertState = prepared<SaveParams, number>(
  'dialog_insert_state',
  () => sql`
    with saved as (
      insert into ${dialogStates} (account_id, flow, step, data, menu, version, updated_at)
      select ${param('accountId')}::uuid, ${param('flow')}::text, ${param('step')}::text, ${param('data')}::text::jsonb,
             ${param('menu')}::text::jsonb, 1, ${param('now')}::timestamptz
      where exists (select 1 from ${accounts} where ${accounts.id} = ${param('accountId')}::uuid)
      on conflict do nothing
      returning version
    )${failUnlessSaved()}`,
  (row) => Number(row[0]),
);

/** A later step, if the version is still the one read; `keepMenu` leaves the menu column as it is. */
const updateState = prepared<SaveParams & { version: number; keepMenu: boolean }, number>(
  'dialog_update_state',
  () => sql`
    with saved as (
      update ${dialogStates} set flow = ${param('flow')}::text, step = ${param('step')}::text,
        data = ${param('data')}::text::jsonb,
        menu = case when ${param('keepMenu')}::boolean then menu else ${param('menu')}::text::jsonb end,
        version = ${param('version')}::int + 1, updated_at = ${param('now')}::timestamptz
      where account_id = ${param('accountId')}::uuid and version = ${param('version')}::int
      returning version
    )${failUnlessSaved()}`,
  (row) => Number(row[0]),
);

/** Whether an error is a save that found the dialog state moved by another writer (see failUnlessSaved). */
export function isStateConflict(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if ((e as { code?: unknown }).code === STATE_CONFLICT) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Saves the dialog state: a new row for the first step, else the next version of the row read. Fails (and fails
 * the transaction: isStateConflict) when another writer moved the version while the account is still there; does
 * nothing when the account is gone. It needs no answer before COMMIT: the runner sends it and COMMIT together and
 * reads the answer after — a failed save turns the COMMIT into a rollback.
 */
export async function saveDialogState(
  tx: Tx,
  s: {
    accountId: string;
    /** the version read (undefined: no row was read) */
    version: number | undefined;
    flow: string | null;
    step: string | null;
    data: Record<string, unknown>;
    /** the numbered choices now on screen; undefined leaves the stored ones */
    menu: string[] | null | undefined;
    now: Date;
  },
): Promise<void> {
  const p: SaveParams = {
    accountId: s.accountId,
    flow: s.flow,
    step: s.step,
    data: JSON.stringify(s.data),
    menu: s.menu === undefined || s.menu === null ? null : JSON.stringify(s.menu),
    now: s.now.toISOString(),
  };
  await (s.version === undefined
    ? insertState.all(tx, p)
    : updateState.all(tx, { ...p, version: s.version, keepMenu: s.menu === undefined }));
}
