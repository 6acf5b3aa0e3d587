/**
 * Escape text for markup: HTML pages (content and quoted attribute values) and SVG/XML documents alike. The
 * one escape function for every page and image the service renders; `&#39;` because HTML 4 has no `&apos;`.
 */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => MARKUP_ENTITIES[c]!);
}

const MARKUP_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
