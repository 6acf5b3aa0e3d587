import { eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialogContext, Feature } from '../../src/core/dialog.js';
import { parseCommand } from '../../src/core/dialog.js';
import type { Inbound } from '../../src/core/messages.js';
import { dialogStates, settings } from '../../src/db/schema/index.js';
import { testBackend } from '../helpers/db.js';
import { startTestService, type TestService } from '../helpers/service.js';

/** What /race does inside its update (set by the test); returns the attempt's number. */
let raceHook: ((ctx: DialogContext) => Promise<number>) | undefined;

/** A toy feature: /count starts a flow that counts the numbers typed until "done". */
const counter: Feature = {
  name: 'counter',
  commands: [
    { names: ['count', 'dem'], run: (ctx) => ctx.go(counter.flows![0]!, 'add', { total: 0 }) },
    { names: ['help'], run: async (ctx) => ctx.reply({ text: 'menu' }) },
    {
      names: ['race'],
      run: async (ctx) => {
        const attempt = await raceHook!(ctx);
        ctx.reply({ text: `raced ${attempt}` });
      },
    },
    { names: ['secret'], allowed: async () => false, run: async (ctx) => ctx.reply({ text: 'classified' }) },
    {
      names: ['boom'],
      run: async () => {
        throw new Error('bug');
      },
    },
  ],
  startHandlers: [{ prefix: 'v', run: async (ctx, rest) => ctx.reply({ text: `venue ${rest}` }) }],
  flows: [
    {
      name: 'count',
      steps: {
        add: {
          ask: async (ctx) => ctx.reply({ text: `total ${String(ctx.state.data.total)}` }),
          handle: async (ctx, input) => {
            if (input.kind !== 'text') return ctx.goto('add');
            if (input.text === 'done') {
              ctx.reply({ text: `final ${String(ctx.state.data.total)}` });
              return ctx.end();
            }
            const n = Number(input.text);
            if (!Number.isFinite(n)) {
              ctx.reply({ text: 'not a number' });
              return ctx.goto('add');
            }
            ctx.state.data.total = Number(ctx.state.data.total) + n;
            return ctx.goto('add');
          },
        },
      },
    },
  ],
};

let svc: TestService;
let seq = 0;
beforeAll(async () => {
  svc = await startTestService({ features: [{ feature: counter }] });
});
afterAll(() => svc.close());

const text = (t: string, accountId = 'u1', messageId: string | undefined = `m${++seq}`): Inbound => ({
  channel: 'web',
  accountId,
  messageId,
  kind: 'text',
  text: t,
});
const texts = async (i: Inbound) => (await svc.runner.handle(i)).replies.map((r) => r.text);

describe('dialog runner', () => {
  it('runs a flow across updates with state persisted per account', async () => {
    expect(await texts(text('/count'))).toEqual(['total 0']);
    expect(await texts(text('5'))).toEqual(['total 5']);
    expect(await texts(text('x'))).toEqual(['not a number', 'total 5']);
    expect(await texts(text('2'))).toEqual(['total 7']);
    expect(await texts(text('done'))).toEqual(['final 7']);
    expect(await texts(text('hello'))).toEqual(['menu']);
  });

  it('a redelivered message id changes nothing', async () => {
    await texts(text('/count', 'u2'));
    const once = text('3', 'u2', 'dup-1');
    expect(await texts(once)).toEqual(['total 3']);
    const again = await svc.runner.handle(once);
    expect(again.duplicate).toBe(true);
    expect(again.replies).toEqual([]);
    expect(await texts(text('done', 'u2'))).toEqual(['final 3']);
  });

  it('serializes concurrent messages of one account: none is lost', async () => {
    await texts(text('/count', 'u3'));
    await Promise.all(Array.from({ length: 20 }, () => svc.runner.handle(text('1', 'u3'))));
    expect(await texts(text('done', 'u3'))).toEqual(['final 20']);
    const acc = await svc.db.db.query.accounts.findFirst({ where: (a, { eq: e }) => e(a.externalId, 'u3') });
    const st = await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, acc!.id) });
    expect(st!.version).toBe(22);
  });

  // PostgreSQL: the other writer needs a connection of its own (PGlite has one, held by the update).
  it.runIf(testBackend === 'postgres')(
    'a save that finds the state moved by another writer undoes the whole attempt (sent with COMMIT) and runs it again',
    async () => {
      await texts(text('/count', 'u9'));
      let attempts = 0;
      raceHook = async (ctx) => {
        const attempt = ++attempts;
        await ctx.tx.insert(settings).values({ key: `race-${attempt}`, value: attempt });
        if (attempt === 1) {
          // Another writer (the outbox remembering a menu) moves the version while this update runs.
          await svc.db.db
            .update(dialogStates)
            .set({ version: sql`${dialogStates.version} + 1` })
            .where(eq(dialogStates.accountId, ctx.account.id));
        }
        return attempt;
      };
      expect(await texts(text('/race', 'u9'))).toEqual(['raced 2']);
      expect(attempts).toBe(2);
      // The first attempt's write went with its failed save: rolled back. The second one's stands.
      const written = await svc.db.db.select().from(settings).where(like(settings.key, 'race-%'));
      expect(written.map((r) => r.key)).toEqual(['race-2']);
      const acc = await svc.db.db.query.accounts.findFirst({ where: (a, { eq: e }) => e(a.externalId, 'u9') });
      const st = await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, acc!.id) });
      expect(st).toMatchObject({ flow: 'count', step: 'add', version: 3 });
    },
  );

  it('start parameters route by prefix; unknown ones get a message and the menu', async () => {
    const start = (param: string): Inbound => ({ channel: 'web', accountId: 'u4', kind: 'start', param });
    expect(await texts(start('v_ABC123'))).toEqual(['venue ABC123']);
    const unknown = await texts(start('zzz'));
    expect(unknown[0]).toMatch(/không còn dùng được/);
  });

  it('a command the account may not use is answered as unknown; a bug gets an apology', async () => {
    expect((await texts(text('/secret', 'u5')))[0]).toMatch(/chưa hiểu lệnh/);
    expect((await texts(text('/nosuch', 'u5')))[0]).toMatch(/chưa hiểu lệnh/);
    expect((await texts(text('/boom', 'u5')))[0]).toMatch(/gặp lỗi/);
  });

  it('parses commands with bot suffixes and arguments', () => {
    expect(parseCommand('/start@khaibao_bot v_X')).toEqual({ name: 'start', args: 'v_X' });
    expect(parseCommand('/KhaiBao')).toEqual({ name: 'khaibao', args: '' });
    expect(parseCommand('hello')).toBeUndefined();
  });

  it('matches Vietnamese commands typed with diacritics to their plain names', async () => {
    expect(parseCommand('/thôngbáo')).toEqual({ name: 'thongbao', args: '' });
    expect(parseCommand('/Khai_Báo x')).toEqual({ name: 'khai_bao', args: 'x' });
    expect(parseCommand('/ĐịaĐiểm@khaibao_bot')).toEqual({ name: 'diadiem', args: '' });
    expect(parseCommand('/tho\u0302ngba\u0301o')).toEqual({ name: 'thongbao', args: '' }); // decomposed (NFD) input
    expect(await texts(text('/đếm', 'u6'))).toEqual(['total 0']);
    expect(await texts(text('/ĐẾM', 'u7'))).toEqual(['total 0']);
  });
});
