import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapEvent } from '../../src/channels/zalo/inbound-events.js';
import {
  MAX_BUTTONS,
  renderOutbound as renderOne,
  splitText,
  zaloCapabilities,
  type RenderOptions,
} from '../../src/channels/zalo/outbound-render.js';
import type { Inbound, Outbound } from '../../src/core/messages.js';
import { numberChoices, resolveNumberedChoice } from '../../src/core/numbered-choices.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { LOCALES_DIR, tFor } from '../../src/core/i18n.js';
import { FakeZalo, zaloEvents } from '../helpers/fake-zalo.js';

const opts = { buttonMode: 'buttons' as const };
/** The hints under numbered options, as locales/vi/common.json words them. */
const HINT_BUTTONS = 'Anh/Chị bấm nút hoặc gõ số tương ứng để chọn.';
const HINT_TYPED = 'Anh/Chị gõ số tương ứng để chọn.';

/** What a Zalo follower sees: the core numbers the choices (Zalo declares numberedChoices), then the adapter renders. */
function renderOutbound(m: Outbound, o: RenderOptions) {
  const shown = numberChoices([m], zaloCapabilities({ buttonMode: o.buttonMode, windowHours: 168 }), tFor('vi'));
  return { ...renderOne(shown.messages[0]!, o), menu: shown.menu ?? undefined };
}

describe('splitText', () => {
  it('keeps short texts whole', () => {
    expect(splitText('Xin chào.', 2000)).toEqual(['Xin chào.']);
  });

  it('prefers paragraph, then sentence ends, then spaces', () => {
    expect(splitText('Một hai.\n\nBa bốn năm.', 15)).toEqual(['Một hai.', 'Ba bốn năm.']);
    expect(splitText('Câu một. Câu hai dài hơn. Câu ba.', 20)).toEqual(['Câu một.', 'Câu hai dài hơn.', 'Câu ba.']);
    expect(splitText('không có dấu chấm nào ở đây cả', 12)).toEqual(['không có dấu', 'chấm nào ở', 'đây cả']);
  });

  it('cuts a word longer than the limit rather than looping', () => {
    expect(splitText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('never exceeds the limit and loses no words', () => {
    const text = Array.from({ length: 400 }, (_, i) => `Từ${i}${i % 7 === 0 ? '.' : ''}`).join(' ');
    const parts = splitText(text, 100);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(100);
    expect(parts.join(' ')).toBe(text);
  });
});

describe('renderOutbound', () => {
  const yesNo = [
    [
      { label: 'Có', payload: 'q:yes' },
      { label: 'Không', payload: 'q:no' },
    ],
  ];

  it('numbers options in the text and adds hidden query buttons', () => {
    const r = renderOutbound({ text: 'Sốt?', buttons: yesNo }, opts);
    expect(r.menu).toEqual(['q:yes', 'q:no']);
    expect(r.messages).toEqual([
      {
        text: `Sốt?\n\n1. Có\n2. Không\n\n${HINT_BUTTONS}`,
        attachment: {
          type: 'template',
          payload: {
            buttons: [
              { title: '1. Có', type: 'oa.query.hide', payload: '#kb:q:yes' },
              { title: '2. Không', type: 'oa.query.hide', payload: '#kb:q:no' },
            ],
          },
        },
      },
    ]);
  });

  it('numbered mode, and menus longer than Zalo shows, are numbered text only', () => {
    expect(renderOutbound({ text: 'Sốt?', buttons: yesNo }, { ...opts, buttonMode: 'numbered' }).messages).toEqual([
      { text: `Sốt?\n\n1. Có\n2. Không\n\n${HINT_TYPED}` },
    ]);
    const many = Array.from({ length: MAX_BUTTONS + 1 }, (_, i) => [{ label: `P${i}`, payload: `ward:${i}` }]);
    const r = renderOutbound({ text: 'Phường?', buttons: many }, opts);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]!.attachment).toBeUndefined();
    expect(r.messages[0]!.text).toMatch(/6\. P5\n\nAnh\/Chị gõ số tương ứng để chọn\.$/);
    expect(r.menu).toHaveLength(MAX_BUTTONS + 1);
  });

  it('a link becomes an open-url button; HTML becomes plain text', () => {
    const r = renderOutbound(
      { text: '<b>Mở</b> &amp; xem', format: 'html', link: { label: 'Mở', url: 'https://khaibao.test/c/ABC' } },
      opts,
    );
    expect(r.messages).toEqual([
      {
        text: 'Mở & xem',
        attachment: {
          type: 'template',
          payload: { buttons: [{ title: 'Mở', type: 'oa.open.url', payload: { url: 'https://khaibao.test/c/ABC' } }] },
        },
      },
    ]);
  });

  it("asks for the phone with Zalo's info card only when its image is configured", () => {
    const m = { text: 'Số điện thoại?', requestContact: { label: 'Gửi số' } };
    expect(renderOutbound(m, opts).messages).toEqual([{ text: 'Số điện thoại?' }]);
    const r = renderOutbound(m, {
      ...opts,
      requestInfo: { imageUrl: 'https://khaibao.test/i.png', subtitle: 'Bấm để gửi' },
    });
    expect(r.messages[1]).toEqual({
      attachment: {
        type: 'template',
        payload: {
          template_type: 'request_user_info',
          elements: [{ title: 'Gửi số', subtitle: 'Bấm để gửi', image_url: 'https://khaibao.test/i.png' }],
        },
      },
    });
  });
});

describe('mapEvent', () => {
  it('maps Zalo events to inbound messages with de-duplication ids', () => {
    const text = zaloEvents.text('111', 'XYZ789', 'mid-1');
    expect(mapEvent(text)).toEqual({
      type: 'dialog',
      inbound: { channel: 'zalo', accountId: '111', messageId: 'mid-1', kind: 'text', text: 'XYZ789' },
    });
    const typed = mapEvent(zaloEvents.text('111', ' 3. ', 'mid-2'));
    expect(typed).toMatchObject({ type: 'dialog', inbound: { kind: 'text', text: ' 3. ' } });
    // The core takes a typed number as the choice it answers.
    expect(resolveNumberedChoice((typed as { inbound: Inbound }).inbound, ['a', 'b', 'c:3'])).toMatchObject({
      kind: 'button',
      payload: 'c:3',
    });
    expect(mapEvent(zaloEvents.text('111', '#kb:ack:c1', 'mid-3'))).toMatchObject({
      type: 'dialog',
      inbound: { kind: 'button', payload: 'ack:c1' },
    });
    const follow = zaloEvents.follow('222');
    expect(mapEvent(follow)).toEqual({
      type: 'dialog',
      inbound: { channel: 'zalo', accountId: '222', messageId: `follow:222:${follow.timestamp}`, kind: 'follow' },
    });
    expect(mapEvent(zaloEvents.follow('222', 'unfollow'))).toEqual({ type: 'unfollow', userId: '222' });
    expect(mapEvent(zaloEvents.submitInfo('333', '84912345678', 'Lê Thị B'))).toMatchObject({
      type: 'dialog',
      inbound: { kind: 'contact', phone: '84912345678', isOwn: true, name: 'Lê Thị B' },
    });
    expect(mapEvent({ ...zaloEvents.text('111', 'x'), event_name: 'user_send_sticker' })).toMatchObject({
      inbound: { kind: 'unsupported', what: 'sticker' },
    });
    expect(mapEvent({ ...zaloEvents.text('111', 'x'), event_name: 'oa_send_text' })).toMatchObject({ type: 'ignore' });
    expect(mapEvent({ event_name: 'user_send_text' })).toMatchObject({ type: 'ignore' });
  });
});

describe('Zalo settings', () => {
  const fake = new FakeZalo();
  it('defaults the unsure facts and names a bad variable', () => {
    const c = loadConfig({
      ...fake.env(),
      ZALO_API_ROOT: 'https://openapi.zalo.me',
      ZALO_OAUTH_ROOT: 'https://oauth.zaloapp.com',
    });
    expect(c.zalo).toMatchObject({
      windowHours: 168,
      eventWindowMinutes: 10,
      ratePerMinute: 4000,
      buttonMode: 'buttons',
      templateTextParam: 'content',
      templateId: undefined,
    });
    try {
      loadConfig({
        ...fake.env(),
        ZALO_API_ROOT: 'https://x.vn',
        ZALO_OAUTH_ROOT: 'https://x.vn',
        ZALO_BUTTONS: 'maybe',
        ZALO_WINDOW_HOURS: '-1',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^ZALO_BUTTONS /m);
      expect(problems).toMatch(/^ZALO_WINDOW_HOURS /m);
    }
  });

  it('has the same locale keys in Vietnamese and English', () => {
    const keys = (lng: string) =>
      Object.keys(JSON.parse(readFileSync(path.join(LOCALES_DIR, lng, 'zalo.json'), 'utf8'))).sort();
    expect(keys('vi')).toEqual(keys('en'));
  });
});
