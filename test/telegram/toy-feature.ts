import QRCode from 'qrcode';
import type { Feature } from '../../src/core/dialog.js';
import { DatabaseUnavailableError } from '../../src/core/errors.js';

/**
 * A small feature that exercises everything the adapter translates: a choice by buttons, a phone number by
 * a shared contact (the sender's own only), a photo from a buffer, a deep link handler, long and HTML texts,
 * and failures (a bug, a database outage).
 */
export const toyFeature: Feature = {
  name: 'toy',
  commands: [
    {
      names: ['start'],
      descriptionKey: 'common:menu',
      run: async (ctx) =>
        ctx.reply({
          text: 'Xin chào! Anh/Chị muốn làm gì?',
          buttons: [[{ label: 'Khai báo', payload: 'menu:declare' }]],
        }),
    },
    { names: ['help', 'trogiup'], run: async (ctx) => ctx.reply({ text: 'MENU' }) },
    {
      names: ['khaibao', 'declare'],
      descriptionKey: 'common:unsupported',
      run: (ctx) => ctx.go(toyFeature.flows![0]!, 'gender', {}),
    },
    {
      names: ['pass'],
      run: async (ctx) => {
        const png = await QRCode.toBuffer('https://khaibao.test/v/TOKEN123', { width: 300, margin: 2 });
        ctx.reply({ text: `Thẻ của <b>Anh/Chị</b>`, format: 'html', image: { png, filename: 'pass.png' } });
      },
    },
    {
      names: ['longpass'],
      run: async (ctx) => {
        const png = await QRCode.toBuffer('https://khaibao.test/v/LONG', { width: 200 });
        ctx.reply({ text: 'x'.repeat(1500), image: { png } });
      },
    },
    {
      names: ['long'],
      run: async (ctx) =>
        ctx.reply({ text: Array.from({ length: 300 }, (_, i) => `dòng ${i} ${'y'.repeat(20)}`).join('\n') }),
    },
    {
      names: ['link'],
      run: async (ctx) => ctx.reply({ text: 'Mở liên kết', link: { label: 'Mở', url: 'https://khaibao.test/c/ABC' } }),
    },
    {
      names: ['boom'],
      run: async () => {
        throw new Error('a bug in a feature');
      },
    },
    {
      names: ['dbdown'],
      run: async () => {
        throw new DatabaseUnavailableError();
      },
    },
  ],
  startHandlers: [{ prefix: 'v', run: async (ctx, rest) => ctx.reply({ text: `Địa điểm ${rest}` }) }],
  buttonHandlers: [{ prefix: 'menu', run: (ctx) => ctx.go(toyFeature.flows![0]!, 'gender', {}) }],
  flows: [
    {
      name: 'toy',
      steps: {
        gender: {
          ask: async (ctx) =>
            ctx.reply({
              text: 'Giới tính?',
              buttons: [
                [
                  { label: 'Nam', payload: 'male' },
                  { label: 'Nữ', payload: 'female' },
                ],
              ],
            }),
          handle: async (ctx, input) => {
            if (input.kind !== 'button') {
              ctx.reply({ text: 'Anh/Chị bấm một nút nhé.' });
              return ctx.goto('gender');
            }
            ctx.state.data.gender = input.payload;
            return ctx.goto('phone');
          },
        },
        phone: {
          ask: async (ctx) =>
            ctx.reply({
              text: 'Số điện thoại?',
              requestContact: { label: 'Chia sẻ số điện thoại' },
              buttons: [[{ label: 'Bỏ qua', payload: 'skip' }]],
            }),
          handle: async (ctx, input) => {
            if (input.kind === 'contact' && !input.isOwn) {
              ctx.reply({ text: 'Đây không phải số của Anh/Chị.' });
              return ctx.goto('phone');
            }
            const phone = input.kind === 'contact' ? input.phone : input.kind === 'text' ? input.text : null;
            ctx.state.data.phone = phone;
            ctx.reply({ text: `Xong: ${String(ctx.state.data.gender)} ${String(phone)}` });
            return ctx.end();
          },
        },
      },
    },
  ],
};
