import { describe, expect, it } from 'vitest';
import type { Update } from 'grammy/types';
import { menuFor } from '../../src/channels/telegram/bot-setup.js';
import { renderOutbound, splitText } from '../../src/channels/telegram/outbound-rendering.js';
import { isUpdate, normalizeTelegramPhone, toEvent } from '../../src/channels/telegram/update-mapping.js';
import { loadResources, tFor } from '../../src/core/i18n.js';
import { tgUpdates, tgUser } from '../helpers/fake-telegram.js';

const ev = (u: unknown) => toEvent(u as Update);

describe('Telegram update → event', () => {
  const lan = tgUser(42, 'en-US');

  it.each([
    ['/start', ''],
    ['/start v_ABC', 'v_ABC'],
    ['/start@khaibao_test_bot v_A-b_9', 'v_A-b_9'],
  ])('%s is a start with param "%s"', (text, param) => {
    expect(ev(tgUpdates.text(lan, text))).toMatchObject({
      kind: 'inbound',
      inbound: { kind: 'start', param, languageHint: 'en-US' },
    });
  });

  it('other text (commands included) is text, with update_id as messageId and chat id as account', () => {
    const u = tgUpdates.text(lan, '/khaibao');
    expect(ev(u)).toEqual({
      kind: 'inbound',
      chatId: '42',
      inbound: {
        channel: 'telegram',
        accountId: '42',
        messageId: String(u.update_id),
        languageHint: 'en-US',
        kind: 'text',
        text: '/khaibao',
      },
    });
    expect(ev(tgUpdates.text(lan, '/startx'))).toMatchObject({ inbound: { kind: 'text' } });
  });

  it('a contact is own only when its user_id is the sender’s', () => {
    expect(ev(tgUpdates.contact(lan, '+84 90 123 4567'))).toMatchObject({
      inbound: { kind: 'contact', phone: '+84901234567', isOwn: true },
    });
    expect(ev(tgUpdates.contact(lan, '84901234567', 43))).toMatchObject({ inbound: { kind: 'contact', isOwn: false } });
    expect(ev(tgUpdates.contact(lan, '84901234567', null))).toMatchObject({
      inbound: { kind: 'contact', isOwn: false },
    });
  });

  it('a button press carries its payload and the pressed message', () => {
    expect(ev(tgUpdates.button(lan, 'yes', 77))).toMatchObject({
      kind: 'inbound',
      callback: { messageId: 77 },
      inbound: { kind: 'button', payload: 'yes' },
    });
  });

  it('stickers, voice and photos are unsupported; groups get a hint; edits are ignored', () => {
    expect(ev(tgUpdates.sticker(lan))).toMatchObject({ inbound: { kind: 'unsupported', what: 'sticker' } });
    const voice = tgUpdates.text(lan, 'x');
    const { text: _t, ...withoutText } = voice.message;
    expect(
      ev({ ...voice, message: { ...withoutText, voice: { file_id: 'a', file_unique_id: 'b', duration: 3 } } }),
    ).toMatchObject({ inbound: { kind: 'unsupported', what: 'voice' } });
    expect(ev(tgUpdates.groupText(lan, -100, 'hi'))).toEqual({ kind: 'group', chatId: '-100', languageHint: 'en-US' });
    expect(ev(tgUpdates.edited(lan, 'x'))).toMatchObject({ kind: 'ignore', reason: 'edited' });
    expect(ev(tgUpdates.myChatMember(lan, 'kicked'))).toEqual({ kind: 'reachability', chatId: '42', reachable: false });
  });

  it('only objects with a non-negative integer update_id are updates', () => {
    expect(isUpdate({ update_id: 0 })).toBe(true);
    for (const bad of [null, [], 'x', 5, {}, { update_id: '1' }, { update_id: -1 }, { update_id: 1.5 }])
      expect(isUpdate(bad)).toBe(false);
  });

  it('normalizes phone numbers to +digits', () => {
    expect(normalizeTelegramPhone('84901234567')).toBe('+84901234567');
    expect(normalizeTelegramPhone('+84 (90) 123-4567')).toBe('+84901234567');
  });
});

describe('Outbound → Bot API calls', () => {
  const t = tFor('vi');

  it('splits on line boundaries, cutting a single over-long line hard', () => {
    expect(splitText('a\nb\nc', 3)).toEqual(['a\nb', 'c']);
    expect(splitText('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(splitText('ok', 4096)).toEqual(['ok']);
    // never splits a surrogate pair
    expect(splitText('ab😀cd', 3)).toEqual(['ab', '😀c', 'd']);
  });

  it('removes a reply keyboard on the first plain message of a batch that does not ask for a contact', () => {
    const calls = renderOutbound(
      [{ text: 'a', buttons: [[{ label: 'x', payload: 'x' }]] }, { text: 'b' }, { text: 'c' }],
      t,
    );
    expect(calls.map((c) => c.replyMarkup)).toEqual([
      { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] },
      { remove_keyboard: true },
      undefined,
    ]);
    expect(calls.map((c) => c.source)).toEqual([0, 1, 2]);
  });

  it('html format maps to parse_mode HTML; an image with a short text gets a caption', () => {
    const [photo] = renderOutbound([{ text: '<b>x</b>', format: 'html', image: { png: Buffer.from('p') } }], t);
    expect(photo).toMatchObject({ method: 'sendPhoto', caption: '<b>x</b>', parseMode: 'HTML', filename: 'image.png' });
  });
});

describe('command menus', () => {
  it('shows the Vietnamese name in vi and the English one in en, skipping names Telegram refuses', () => {
    const commands = [
      { name: 'khaibao', descriptionKey: 'common:menu' },
      { name: 'declare', descriptionKey: 'common:menu' },
      { name: 'trợgiúp', descriptionKey: 'common:unsupported' },
    ];
    expect(menuFor('vi', commands)).toEqual([{ command: 'khaibao', description: 'Anh/Chị muốn làm gì?' }]);
    expect(menuFor('en', commands)).toEqual([{ command: 'declare', description: 'What would you like to do?' }]);
  });

  it('telegram.json has the same keys in every locale', () => {
    const r = loadResources();
    expect(Object.keys(r.vi!.telegram!).sort()).toEqual(Object.keys(r.en!.telegram!).sort());
  });
});
