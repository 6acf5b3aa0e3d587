import { describe, expect, it } from 'vitest';
import { entitiesToHtml } from '../../src/channels/telegram/entities-html.js';
import { toEvent } from '../../src/channels/telegram/update-mapping.js';
import { htmlToPlain } from '../../src/core/html-text.js';
import { htmlSubsetProblem } from '../../src/features/broadcast/html-subset.js';
import { tgUpdates, tgUser } from '../helpers/fake-telegram.js';
import type { Update } from 'grammy/types';

/** Telegram message entities → the Bot API HTML subset (what a formatted broadcast keeps), and back to plain text. */
describe('entitiesToHtml', () => {
  it('nests entities, escapes the text and link addresses, keeps code language', () => {
    const text = 'Lưu ý: <đeo khẩu trang> & giữ 2m. Xem https://x.vn\nif a < b';
    const entities = [
      { type: 'bold' as const, offset: 0, length: 32 },
      { type: 'italic' as const, offset: 7, length: 16 },
      { type: 'underline' as const, offset: 26, length: 6 },
      { type: 'url' as const, offset: 38, length: 12 },
      { type: 'pre' as const, offset: 51, length: 8, language: 'js' },
    ];
    expect(entitiesToHtml(text, entities)).toBe(
      '<b>Lưu ý: <i>&lt;đeo khẩu trang&gt;</i> &amp; <u>giữ 2m</u></b>. Xem https://x.vn\n<pre><code class="language-js">if a &lt; b</code></pre>',
    );
  });

  it('counts offsets in UTF-16 units (emoji take two) and quotes link addresses', () => {
    const text = '😷 Khẩu trang ~ tại đây';
    expect(
      entitiesToHtml(text, [
        { type: 'strikethrough', offset: 3, length: 10 },
        { type: 'code', offset: 14, length: 1 },
        { type: 'text_link', offset: 16, length: 7, url: 'https://a.vn/?q="x"&y=<1>' },
      ]),
    ).toBe('😷 <s>Khẩu trang</s> <code>~</code> <a href="https://a.vn/?q=&quot;x&quot;&amp;y=&lt;1&gt;">tại đây</a>');
  });

  it('no formatting → undefined; mentions, hashtags and commands stay plain; a crossing entity is dropped', () => {
    expect(entitiesToHtml('a < b', undefined)).toBeUndefined();
    expect(
      entitiesToHtml('#covid @ban', [
        { type: 'hashtag', offset: 0, length: 6 },
        { type: 'mention', offset: 7, length: 4 },
      ]),
    ).toBeUndefined();
    expect(
      entitiesToHtml('abcdef', [
        { type: 'bold', offset: 0, length: 4 },
        { type: 'italic', offset: 2, length: 4 },
      ]),
    ).toBe('<b>abcd</b>ef');
  });

  it('the Telegram adapter fills Inbound.html only for formatted text', () => {
    const u = tgUser(42);
    const formatted = toEvent(
      tgUpdates.text(u, 'Họp lúc 8h', { entities: [{ type: 'bold', offset: 8, length: 2 }] }) as unknown as Update,
    );
    expect(formatted).toMatchObject({
      kind: 'inbound',
      inbound: { kind: 'text', text: 'Họp lúc 8h', html: 'Họp lúc <b>8h</b>' },
    });
    const plain = toEvent(tgUpdates.text(u, 'Họp lúc 8h') as unknown as Update);
    expect(plain.kind === 'inbound' && 'html' in plain.inbound).toBe(false);
  });

  it('round-trips to plain text for Zalo and the web chat', () => {
    const text = 'Lưu ý: <đeo khẩu trang> & "giữ" 2m. Chi tiết';
    const html = entitiesToHtml(text, [
      { type: 'bold', offset: 0, length: 5 },
      { type: 'text_link', offset: 36, length: 8, url: 'https://x.vn/?a=1&b=2' },
    ])!;
    expect(htmlToPlain(html)).toBe('Lưu ý: <đeo khẩu trang> & "giữ" 2m. Chi tiết (https://x.vn/?a=1&b=2)');
  });
});

describe('htmlSubsetProblem (what the broadcast API accepts as format "html")', () => {
  it('accepts every tag of the Bot API subset, and what entitiesToHtml makes', () => {
    const ok = [
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>',
      '<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler><a href="https://a.vn/?q=1&amp;r=2">l</a><a href="tg://user?id=1">u</a>',
      '<code>c</code><pre><code class="language-python">p</code></pre><blockquote>q</blockquote><blockquote expandable>e</blockquote>',
      'a &lt; b &amp; c &gt; d &quot;e&quot; &#128567; &#x1F637;',
      entitiesToHtml('Lưu ý: <đeo> & giữ 2m', [
        { type: 'bold', offset: 0, length: 5 },
        { type: 'text_link', offset: 7, length: 6, url: 'https://a.vn/?q="x"&y=<1>' },
      ])!,
    ];
    for (const html of ok) expect(htmlSubsetProblem(html), html).toBeUndefined();
  });

  it('names the first tag or character Telegram would refuse', () => {
    expect(htmlSubsetProblem('<b>x</b><br>')).toEqual({ tag: 'br', reason: 'unsupported_tag' });
    expect(htmlSubsetProblem('<SCRIPT>x</SCRIPT>')).toEqual({ tag: 'script', reason: 'unsupported_tag' });
    expect(htmlSubsetProblem('<span>x</span>')).toEqual({ tag: 'span', reason: 'bad_attribute' });
    expect(htmlSubsetProblem('<a href="data:text/html,x">x</a>')).toEqual({ tag: 'a', reason: 'bad_attribute' });
    expect(htmlSubsetProblem('<a>x</a>')).toEqual({ tag: 'a', reason: 'bad_attribute' });
    expect(htmlSubsetProblem('<i>x')).toEqual({ tag: 'i', reason: 'unbalanced' });
    expect(htmlSubsetProblem('x</i>')).toEqual({ tag: 'i', reason: 'unbalanced' });
    expect(htmlSubsetProblem('Tom & Jerry')).toEqual({ tag: '&', reason: 'unescaped' });
    expect(htmlSubsetProblem('&nbsp;')).toEqual({ tag: '&', reason: 'unescaped' });
    expect(htmlSubsetProblem('1 > 0')).toEqual({ tag: '>', reason: 'unescaped' });
  });
});
