/**
 * Text in the Bot API's HTML subset (Outbound.format 'html') as plain text, for channels that show no formatting
 * (Zalo, the web chat): tags dropped, a link keeps its address, entities decoded.
 */
export function htmlToPlain(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<a\s+[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gis, (_, href: string, label: string) => (label === href ? label : `${label} (${href})`))
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|quot|#39|#x27|#(\d+)|amp);/g, (_, name: string, code?: string) =>
      code !== undefined ? String.fromCodePoint(Number(code)) : ({ lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", amp: '&' })[name]!,
    );
}

/** Outbound text as the person should read it on a channel without formatting. */
export function plainText(m: { text?: string; format?: 'plain' | 'html' }): string {
  return m.format === 'html' ? htmlToPlain(m.text ?? '') : (m.text ?? '');
}
