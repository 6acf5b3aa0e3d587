import type { Feature } from '../../src/core/dialog.js';
import { persons } from '../../src/db/schema/index.js';
import { passMessage } from '../../src/features/pass/pass-message.js';

/**
 * A small feature that exercises what the Zalo adapter must carry: a welcome on follow, a counting flow
 * (for concurrency), a yes/no question with buttons, a phone question answered by Zalo's info form, and
 * idle text (a venue code) handled outside any flow.
 */
/** `/slow` runs until the test lets it finish: a dialog that outlasts the answer Zalo waits for. */
let slowStep: Promise<void> = Promise.resolve();
export function holdSlowDialog(): () => void {
  let finish!: () => void;
  slowStep = new Promise<void>((r) => (finish = r));
  return finish;
}

export const toyFeature: Feature = {
  name: 'toy',
  commands: [
    { names: ['start'], run: async (ctx) => ctx.reply({ text: 'welcome' }) },
    { names: ['help'], run: async (ctx) => ctx.reply({ text: 'menu' }) },
    { names: ['count'], run: (ctx) => ctx.go(toyFeature.flows![0]!, 'add', { total: 0 }) },
    { names: ['ask'], run: (ctx) => ctx.go(toyFeature.flows![1]!, 'fever', {}) },
    {
      // The real pass message (image + caption) for a person this account holds, without a declaration.
      names: ['pass'],
      run: async (ctx) => {
        const [p] = await ctx.tx
          .insert(persons)
          .values({
            ownerAccountId: ctx.account.id,
            isSelf: true,
            fullName: 'Trần Thị Bích Ngọc',
            birthYear: 1990,
            gender: 'female',
          })
          .returning();
        ctx.reply(await passMessage(ctx.tx, ctx.deps, p!.id, ctx.locale));
      },
    },
    {
      names: ['slow'],
      run: async (ctx) => {
        await slowStep;
        ctx.reply({ text: 'slow done' });
      },
    },
    {
      names: ['long'],
      run: async (ctx) =>
        ctx.reply({ text: Array.from({ length: 120 }, (_, i) => `Câu số ${i + 1} nói về sức khỏe.`).join(' ') }),
    },
  ],
  buttonHandlers: [{ prefix: 'ack', run: async (ctx, rest) => ctx.reply({ text: `acknowledged ${rest}` }) }],
  flows: [
    {
      name: 'count',
      steps: {
        add: {
          ask: async (ctx) => ctx.reply({ text: `total ${String(ctx.state.data.total)}` }),
          handle: async (ctx, input) => {
            if (input.kind === 'text' && input.text === 'done') {
              ctx.reply({ text: `final ${String(ctx.state.data.total)}` });
              return ctx.end();
            }
            ctx.state.data.total = Number(ctx.state.data.total) + Number(input.kind === 'text' ? input.text : 0);
            return ctx.goto('add');
          },
        },
      },
    },
    {
      name: 'ask',
      steps: {
        fever: {
          ask: async (ctx) =>
            ctx.reply({
              text: 'Có sốt không?',
              buttons: [
                [
                  { label: 'Có', payload: 'fever:yes' },
                  { label: 'Không', payload: 'fever:no' },
                ],
              ],
            }),
          handle: async (ctx, input) => {
            if (input.kind !== 'button') {
              ctx.reply({ text: 'please choose' });
              return ctx.goto('fever');
            }
            ctx.state.data.fever = input.payload;
            return ctx.goto('phone');
          },
        },
        phone: {
          ask: async (ctx) => ctx.reply({ text: 'Số điện thoại?', requestContact: { label: 'Gửi số điện thoại' } }),
          handle: async (ctx, input) => {
            const phone =
              input.kind === 'contact'
                ? `${input.phone} own=${String(input.isOwn)} name=${input.name ?? ''}`
                : input.kind === 'text'
                  ? input.text
                  : '?';
            ctx.reply({ text: `done ${String(ctx.state.data.fever)} ${phone}` });
            ctx.end();
          },
        },
      },
    },
  ],
  async onIdleText(ctx, text) {
    const m = /^(?:ci\s+)?([A-Z0-9]{6})$/i.exec(text.trim());
    if (!m) return false;
    ctx.reply({ text: `checked in at ${m[1]!.toUpperCase()}` });
    return true;
  },
};
