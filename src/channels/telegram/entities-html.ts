import type { MessageEntity } from 'grammy/types';

/** Entities that change how text looks; the rest (mentions, hashtags, plain URLs…) stay plain text. */
const TAGS: Partial<Record<MessageEntity['type'], string>> = {
  bold: 'b',
  italic: 'i',
  underline: 'u',
  strikethrough: 's',
  spoiler: 'tg-spoiler',
  code: 'code',
  pre: 'pre',
  text_link: 'a',
};

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeHtml(s).replace(/"/g, '&quot;');

/**
 * A message's text with its formatting entities as the Bot API's HTML subset (https://core.telegram.org/bots/api#html-style),
 * so what an official typed in bold reaches residents in bold. Undefined when the text carries no formatting.
 * Offsets are UTF-16 code units, like JavaScript strings; Telegram guarantees entities nest without crossing.
 */
export function entitiesToHtml(text: string, entities: readonly MessageEntity[] | undefined): string | undefined {
  const styled = (entities ?? [])
    .filter((e) => TAGS[e.type] !== undefined && e.length > 0 && e.offset >= 0 && e.offset + e.length <= text.length)
    // Outer entities first: same start, longer one opens first.
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  if (styled.length === 0) return undefined;

  let out = '';
  let pos = 0;
  const open: MessageEntity[] = [];
  const closeUntil = (at: number) => {
    while (open.length > 0 && open.at(-1)!.offset + open.at(-1)!.length <= at) {
      const e = open.pop()!;
      out += escapeHtml(text.slice(pos, e.offset + e.length)) + closeTag(e);
      pos = e.offset + e.length;
    }
  };
  for (const e of styled) {
    closeUntil(e.offset);
    const parent = open.at(-1);
    // A crossing entity would make invalid HTML; Telegram does not send them, but a bad update must not break a broadcast.
    if (parent && e.offset + e.length > parent.offset + parent.length) continue;
    out += escapeHtml(text.slice(pos, e.offset)) + openTag(e);
    pos = e.offset;
    open.push(e);
  }
  closeUntil(text.length);
  return out + escapeHtml(text.slice(pos));
}

function openTag(e: MessageEntity): string {
  if (e.type === 'text_link') return `<a href="${escapeAttr(e.url)}">`;
  if (e.type === 'pre' && e.language) return `<pre><code class="language-${escapeAttr(e.language)}">`;
  return `<${TAGS[e.type]}>`;
}

function closeTag(e: MessageEntity): string {
  if (e.type === 'pre' && e.language) return '</code></pre>';
  return `</${TAGS[e.type]}>`;
}
