/**
 * The Bot API's HTML subset (https://core.telegram.org/bots/api#html-style), checked before an announcement is
 * accepted. Refusing rather than sanitizing: the official learns which tag is wrong and what residents receive is
 * exactly what was written, while Telegram itself would refuse the whole message to every recipient.
 */
const SIMPLE = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'tg-spoiler', 'pre']);
export const ALLOWED_TAGS: ReadonlySet<string> = new Set([...SIMPLE, 'span', 'a', 'code', 'blockquote']);
const LINK_SCHEMES = /^(https?:\/\/|tg:\/\/|mailto:)/i;

export interface HtmlProblem {
  /** the tag as written (lower case), or '&' / '<' for an unescaped character */
  tag: string;
  reason: 'unsupported_tag' | 'bad_attribute' | 'unbalanced' | 'unescaped';
}

/** The first thing in `html` Telegram would refuse, or undefined when it fits the subset. */
export function htmlSubsetProblem(html: string): HtmlProblem | undefined {
  const open: string[] = [];
  // A tag, an entity, or a lone < or & that is neither.
  const token =
    /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>|&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});|[<>&]/g;
  for (let m = token.exec(html); m; m = token.exec(html)) {
    const [whole, closing, rawName, attrs] = m;
    if (rawName === undefined) {
      if (whole === '<' || whole === '>' || whole === '&') return { tag: whole, reason: 'unescaped' };
      continue;
    }
    const name = rawName.toLowerCase();
    if (!ALLOWED_TAGS.has(name)) return { tag: name, reason: 'unsupported_tag' };
    if (closing) {
      if (attrs!.trim() !== '' || open.pop() !== name) return { tag: name, reason: 'unbalanced' };
      continue;
    }
    if (!attributesAllowed(name, parseAttributes(attrs!))) return { tag: name, reason: 'bad_attribute' };
    open.push(name);
  }
  const unclosed = open.pop();
  return unclosed === undefined ? undefined : { tag: unclosed, reason: 'unbalanced' };
}

function parseAttributes(s: string): Map<string, string | true> | undefined {
  const out = new Map<string, string | true>();
  const attr = /\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/y;
  let pos = 0;
  while (pos < s.length) {
    if (s.slice(pos).trim() === '') break;
    attr.lastIndex = pos;
    const m = attr.exec(s);
    if (!m || m[0].length === 0) return undefined;
    out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? true);
    pos = attr.lastIndex;
  }
  return out;
}

function attributesAllowed(tag: string, attrs: Map<string, string | true> | undefined): boolean {
  if (!attrs) return false;
  const only = (...names: string[]) => [...attrs.keys()].every((k) => names.includes(k));
  switch (tag) {
    case 'a': {
      const href = attrs.get('href');
      return only('href') && typeof href === 'string' && LINK_SCHEMES.test(href.trim());
    }
    case 'span':
      return only('class') && attrs.get('class') === 'tg-spoiler';
    case 'code': {
      const cls = attrs.get('class');
      return only('class') && (cls === undefined || (typeof cls === 'string' && /^language-[\w+#-]{1,32}$/.test(cls)));
    }
    case 'blockquote':
      return only('expandable') && (attrs.get('expandable') === undefined || attrs.get('expandable') === true);
    default:
      return attrs.size === 0;
  }
}
