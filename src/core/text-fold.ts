/**
 * Lower case, without diacritics (đ → d), single spaces: "  Thông  Báo " → "thong bao". How people type
 * Vietnamese on a keyboard without accents; compare folded forms, never show them.
 */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
}
