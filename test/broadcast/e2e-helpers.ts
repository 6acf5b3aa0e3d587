import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { createTestDatabase, pgliteTemplateBlob, type TestDatabase } from '../helpers/db.js';
import type { BroadcastCounts } from '../../src/features/broadcast/counts.js';
import {
  FAKE_BOT_USERNAME,
  tgUpdates,
  tgUser,
  TelegramPerson,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { adminHeaders } from '../helpers/service.js';

export type BroadcastStatus = BroadcastCounts & { status: string };

export async function broadcastStatus(app: FastifyInstance, id: string): Promise<BroadcastStatus> {
  const res = await app.inject({ url: `/api/v1/broadcasts/${id}`, headers: adminHeaders });
  expect(res.statusCode).toBe(200);
  return res.json() as BroadcastStatus;
}

/**
 * Let the service's workers run while the ManualClock moves `stepMs` every `everyMs` of real time (jobs, the
 * outbox's pacing, retry_after, leases and the progress interval all wait on the clock), until `done` holds.
 */
export async function runUntil(
  clock: ManualClock,
  done: () => Promise<boolean> | boolean,
  o: { stepMs?: number; everyMs?: number; timeoutMs?: number; onTick?: () => void } = {},
): Promise<void> {
  const started = Date.now();
  const timeoutMs = o.timeoutMs ?? 30_000;
  // The clock moves on its own beat; `done` (often a request and a query) is checked at a slower one.
  let stopped = false;
  const ticker = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, o.everyMs ?? 100));
      if (!stopped && o.stepMs !== 0) clock.advance(o.stepMs ?? 1000);
    }
  })();
  try {
    while (!(await done())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not done within ${timeoutMs} ms`);
      o.onTick?.();
      await new Promise((r) => setTimeout(r, Math.max(o.everyMs ?? 100, 50)));
    }
  } finally {
    stopped = true;
    await ticker;
  }
}

/** Move the clock `ms` forward in steps, letting the workers run between them. */
export async function runFor(
  clock: ManualClock,
  ms: number,
  o: { stepMs?: number; everyMs?: number } = {},
): Promise<void> {
  const step = o.stepMs ?? 100;
  for (let moved = 0; moved < ms; moved += step) {
    await new Promise((r) => setTimeout(r, o.everyMs ?? 5));
    clock.advance(Math.min(step, ms - moved));
  }
}

/** Wait (clock driven) until the broadcast is done; returns its counts. */
export async function untilDone(
  app: FastifyInstance,
  clock: ManualClock,
  id: string,
  o: Parameters<typeof runUntil>[2] = {},
): Promise<BroadcastStatus> {
  let s: BroadcastStatus | undefined;
  await runUntil(clock, async () => (s = await broadcastStatus(app, id)).status === 'done', o);
  return s!;
}

/** The counts always cover every recipient. */
export function expectCountsAddUp(s: BroadcastStatus): void {
  expect(s.sent + s.failed + s.unreachable + s.undeliverable + s.cancelled + s.pending).toBe(s.total);
}

/** Successful sendMessage calls whose text contains `marker`, grouped by chat id. */
export function deliveriesByChat(tg: FakeTelegram, marker: string): Map<string, RecordedCall[]> {
  const by = new Map<string, RecordedCall[]>();
  for (const c of tg.callsOf('sendMessage')) {
    if (c.status !== 200 || !String(c.params.text).includes(marker)) continue;
    const chat = String(c.params.chat_id);
    by.set(chat, [...(by.get(chat) ?? []), c]);
  }
  return by;
}

/** Most calls the fake answered in any one second (a sliding window over their arrival times). */
export function peakPerSecond(calls: RecordedCall[]): number {
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

/**
 * A database that outlives a service: each open() is a new connection (a new process would open it the same way),
 * to PostgreSQL by URL or to a PGlite directory on disk.
 */
export async function persistentDatabase(): Promise<{ open(): Promise<TestDatabase>; destroy(): Promise<void> }> {
  const created = await createTestDatabase();
  if (created.url) {
    await created.close();
    return {
      open: async () => {
        const d = await openDatabase({ databaseUrl: created.url!, maxConnections: 5 });
        return { ...d, destroy: () => d.close() };
      },
      destroy: () => created.destroy(),
    };
  }
  await created.destroy();
  const dir = mkdtempSync(path.join(tmpdir(), 'khaibao-restart-'));
  const template = pgliteTemplateBlob();
  const first = await openDatabase({ dataDir: dir, loadDataDir: template });
  if (!template) await runMigrations(first);
  await first.close();
  return {
    open: async () => {
      const d = await openDatabase({ dataDir: dir });
      return { ...d, destroy: () => d.close() };
    },
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An official on Telegram: takes a comms invite through its deep link, as a real person would. */
export async function commsOfficial(
  app: FastifyInstance,
  tg: FakeTelegram,
  secret: string,
  chatId: number,
): Promise<TelegramPerson> {
  const official = new TelegramPerson(app, tg, secret, tgUser(chatId, 'vi', 'Hạnh'));
  const invite = await app.inject({
    method: 'POST',
    url: '/api/v1/officials/invites',
    headers: adminHeaders,
    payload: { role: 'comms' },
  });
  expect(invite.statusCode).toBe(201);
  const url = new URL((invite.json() as { url: string }).url);
  expect(url.pathname).toBe(`/${FAKE_BOT_USERNAME}`);
  await official.say(`/start ${url.searchParams.get('start')}`);
  expect(official.transcript()).toContain('đã được cấp quyền cán bộ truyền thông');
  return official;
}

/** The text an official types, with the bold opening words and the link its last 8 characters carry. */
export const FORMATTED = {
  link: 'https://cantho.gov.vn/tiem?dot=2&nhom=a',
  entities: (text: string) => [
    { type: 'bold', offset: 0, length: 12 },
    { type: 'text_link', offset: text.length - 8, length: 8, url: FORMATTED.link },
  ],
};

/** /thongbao → the formatted text → everyone: leaves the official at the preview. */
export async function draftToEveryone(official: TelegramPerson, text: string): Promise<void> {
  await official.say('/thongbao');
  expect(official.transcript()).toContain('nội dung thông báo');
  await official.send(tgUpdates.text(official.user, text, { entities: FORMATTED.entities(text) }));
  await official.tap('Tất cả mọi người');
}

/** The id of the most recent broadcast, which must have been created in chat. */
export async function latestBroadcastId(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ url: '/api/v1/broadcasts', headers: adminHeaders });
  const { broadcasts } = res.json() as { broadcasts: { id: string; createdBy: string }[] };
  expect(broadcasts[0]?.createdBy).toMatch(/^account:/);
  return broadcasts[0]!.id;
}
