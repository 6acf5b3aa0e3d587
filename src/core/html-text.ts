/**
 * Text in the Bot API's HTML subset (Outbound.format 'html') as plain text, for channels that show no formatting
 * (Zalo, the web chat): tags dropped, a link keeps its address, entities decoded.
 */
export function htmlToPlain(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<a\s+[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gis, (_, href: string, label: string) =>
      label === href ? label : `${label} (${href})`,
    )
    .replace(/<[^>]+>/g, '')
    .replace(
      /&(lt|gt|quot|amp|#(\d{1,8})|#x([0-9a-f]{1,6}));/gi,
      (ref: string, name: string, dec?: string, hex?: string) => {
        if (dec === undefined && hex === undefined)
          return ({ lt: '<', gt: '>', quot: '"', amp: '&' } as Record<string, string>)[name.toLowerCase()]!;
        const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
        // Text typed into the admin API may name no character at all: shown as written rather than throwing.
        return code <= 0x10ffff ? String.fromCodePoint(code) : ref;
      },
    );
}

/** Outbound text as the person should read it on a channel without formatting. */
export function plainText(m: { text?: string; format?: 'plain' | 'html' }): string {
  return m.format === 'html' ? htmlToPlain(m.text ?? '') : (m.text ?? '');
}
