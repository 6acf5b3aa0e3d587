import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import {
  startFakeTelegram,
  postUpdate,
  tgUpdates,
  tgUser,
  type FakeTelegram,
  webhookEnv,
} from '../helpers/fake-telegram.js';
import { eventually, FakeZalo, postZaloEvent, zaloEvents, zaloSignature } from '../helpers/fake-zalo.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * 400 mutated bodies (2,000 in `npm run bench`, FUZZ_BODIES=<n> for any other count) against each webhook, authenticated as the platform would (Telegram's secret header;
 * Zalo's signature computed over each mutated body), through app.inject: no answer may be a 5xx, no account may
 * get an id the platform would never send, and the service still answers a real person afterwards.
 * Seeded, so a failure reproduces: FUZZ_SEED=<n> (printed with the counts).
 */
const BODIES = Number(process.env.FUZZ_BODIES ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20211);
const CONCURRENCY = 4;
const SECRET = 'fuzz-secret_0123456789';
// Generous for a loaded 2-core CI machine; unloaded each webhook takes well under a minute.
const TIMEOUT_MS = 300_000;

let tg: FakeTelegram;
let zalo: FakeZalo;
let svc: TestService;

beforeAll(async () => {
  tg = await startFakeTelegram();
  zalo = await new FakeZalo().start();
  svc = await startTestService({
    env: {
      ...webhookEnv(tg, SECRET),
      ...zalo.env(),
    },
  });
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
  await zalo?.stop();
});

const rng = seededRandom;
type Rng = ReturnType<typeof rng>;

const ODD_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e30,
  -(2 ** 53 + 2),
  Number.MAX_SAFE_INTEGER,
  '',
  '0',
  '123',
  '-100123',
  'a\u0000b',
  '[object Object]',
  '/start v_',
  '/start ' + 'x'.repeat(300),
  'z'.repeat(5000),
  'Ạ̷̧͔͙̈́́'.repeat(50),
  '<b>x</b><script>alert(1)</script>',
  '\ud800',
  {},
  { id: 1 },
  { toString: 'x', valueOf: 1 },
  [],
  [1, '2', null],
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
];

/** Every path to a value inside `v` (objects and arrays), the root excluded. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(child, p, out);
    }
  }
  return out;
}

function mutate(body: Record<string, unknown>, r: Rng): Record<string, unknown> {
  const copy = structuredClone(body);
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const all = paths(copy);
    if (all.length === 0) break;
    const path = r.pick(all);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking arbitrary JSON
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
    const key = path.at(-1)!;
    switch (r.int(6)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 1:
        parent[`x_${r.int(1000)}`] = r.pick(ODD_VALUES);
        break;
      case 2: {
        // a neighbour's value in this key's place: right names, wrong shapes
        const other = r.pick(all);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking arbitrary JSON
        parent[key] = structuredClone(other.reduce<any>((o, k) => o?.[k], copy));
        break;
      }
      default:
        parent[key] = structuredClone(r.pick(ODD_VALUES));
    }
  }
  return copy;
}

/** The raw body: mostly the JSON of the mutated object, sometimes broken bytes. */
function rawOf(body: Record<string, unknown>, r: Rng): string {
  const json = JSON.stringify(body);
  switch (r.int(40)) {
    case 0:
      return json.slice(0, r.int(json.length));
    case 1:
      return json.replace(/"/, '');
    case 2:
      return JSON.stringify([body]);
    case 3:
      return JSON.stringify(r.pick(ODD_VALUES));
    default:
      return json;
  }
}

const countByStatus = (statuses: number[]) =>
  Object.fromEntries([...new Set(statuses)].sort().map((s) => [s, statuses.filter((x) => x === s).length]));

async function inBatches<T>(items: T[], run: (item: T) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY)
    out.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(run))));
  return out;
}

const accountIds = (channel: string) =>
  queryRows<{ external_id: string }>(svc.db.db, sql`select external_id from accounts where channel = ${channel}`).then(
    (rows) => rows.map((r) => r.external_id),
  );

describe('webhook fuzz', () => {
  it(
    `Telegram: ${BODIES} mutated updates with the right secret → no 5xx, no junk account, healthy after`,
    async () => {
      const r = rng(SEED);
      const users = [tgUser(610001), tgUser(610002, 'en'), tgUser(610003)];
      const seeds = () => {
        const u = r.pick(users);
        return r.pick([
          () => tgUpdates.text(u, r.pick(['/start', '/khaibao', '/dulieu', 'xin chào', '/start v_ABC123'])),
          () => tgUpdates.button(u, r.pick(['menu:declare', 'yes', 'x'])),
          () => tgUpdates.contact(u, '84901234567'),
          () => tgUpdates.sticker(u),
          () => tgUpdates.groupText(u, -100777, 'hi'),
          () => tgUpdates.edited(u, 'x'),
          () => tgUpdates.addedToGroup(u, -100778),
          () => tgUpdates.myChatMember(u, r.pick(['kicked', 'member'] as const)),
        ])() as Record<string, unknown>;
      };
      const bodies = Array.from({ length: BODIES }, () => rawOf(mutate(seeds(), r), r));
      const statuses = await inBatches(bodies, async (raw) => (await postUpdate(svc.app, raw, SECRET)).statusCode);

      const counts = countByStatus(statuses);
      const ids = await accountIds('telegram');
      console.log(
        `telegram webhook fuzz (seed ${SEED}): ${BODIES} bodies, status counts ${JSON.stringify(counts)}, telegram accounts ${ids.length}`,
      );
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(ids.filter((id) => !/^-?\d{1,16}$/.test(id))).toEqual([]);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();

      expect((await svc.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      tg.reset();
      const fresh = tgUser(619999);
      expect((await postUpdate(svc.app, tgUpdates.text(fresh, '/start'), SECRET)).statusCode).toBe(200);
      expect(tg.sentTo(619999).length).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    `Zalo: ${BODIES} mutated events, each validly signed → no 5xx, no junk account, healthy after`,
    async () => {
      const r = rng(SEED + 1);
      const users = ['7700000000000000001', '7700000000000000002', '7700000000000000003'];
      const seeds = () => {
        const u = r.pick(users);
        return r.pick([
          () => zaloEvents.text(u, r.pick(['/start', 'khai báo', '1', '#btn:menu:declare', 'xin chào'])),
          () => zaloEvents.image(u),
          () => zaloEvents.follow(u),
          () => zaloEvents.follow(u, 'unfollow'),
          () => zaloEvents.submitInfo(u, '0912345678', 'Nguyễn Văn An'),
          () => ({
            ...zaloEvents.text(u, 'x'),
            event_name: r.pick(['user_seen_message', 'oa_send_text', 'anonymous_send_text']),
          }),
        ])() as Record<string, unknown>;
      };
      const statuses = await inBatches(
        Array.from({ length: BODIES }, () => mutate(seeds(), r)),
        async (event) => {
          const raw = rawOf(event, r);
          let ts = '';
          try {
            const t = (JSON.parse(raw) as { timestamp?: unknown })?.timestamp;
            if (typeof t === 'string' || typeof t === 'number') ts = String(t);
          } catch {
            // broken JSON: signed anyway, the parser refuses it first
          }
          const res = await postZaloEvent(svc.app, event as { timestamp: string }, {
            rawBody: raw,
            signature: zaloSignature(raw, ts),
          });
          return res.statusCode;
        },
      );

      const counts = countByStatus(statuses);
      const ids = await accountIds('zalo');
      console.log(
        `zalo webhook fuzz (seed ${SEED + 1}): ${BODIES} bodies, status counts ${JSON.stringify(counts)}, zalo accounts ${ids.length}`,
      );
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(ids.filter((id) => !/^\d{1,40}$/.test(id))).toEqual([]);
      // Signatures were right, so nothing was refused for them.
      expect(counts[401]).toBeUndefined();

      expect((await svc.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      zalo.clear();
      const fresh = '7799999999999999999';
      expect((await postZaloEvent(svc.app, zaloEvents.text(fresh, '/start'))).statusCode).toBe(200);
      await eventually(() => expect(zalo.textsTo(fresh).length).toBeGreaterThan(0), 10_000);
    },
    TIMEOUT_MS,
  );
});
