import { describe, expect, it } from 'vitest';
import { cachedT, i18n, LOCALES, nestingKeys, tFor, type T } from '../../src/core/i18n.js';

/** Every string text of one language as `namespace:key` (array items and plural forms included). */
function textKeys(lng: string): { key: string; text: string }[] {
  const out: { key: string; text: string }[] = [];
  const walk = (ns: string, prefix: string, node: unknown): void => {
    if (typeof node === 'string') out.push({ key: `${ns}:${prefix}`, text: node });
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) walk(ns, prefix ? `${prefix}.${k}` : k, v);
  };
  for (const [ns, tree] of Object.entries(i18n().store.data[lng] ?? {})) walk(ns, '', tree);
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!);

describe('the kept translations (cachedT)', () => {
  it('answers every text of every language as i18next does, with and without values', () => {
    let compared = 0;
    let filled = 0;
    for (const lng of LOCALES) {
      const plain = i18n().getFixedT(lng) as T;
      const kept = cachedT(plain, nestingKeys());
      for (const { key, text } of textKeys(lng)) {
        expect(kept(key), key).toBe(plain(key));
        const names = placeholders(text);
        // strings, a number, and values that look like placeholders or nesting (left as they are)
        const values = Object.fromEntries(
          names.map((n, i) => [n, i === 0 ? 42 : i === 1 ? `{{${n}}} $t(common:menu)` : `«${n}» Đà Nẵng`]),
        );
        expect(kept(key, values), key).toBe(plain(key, values));
        compared += 1;
        if (names.length > 0) filled += 1;
      }
    }
    expect(compared).toBeGreaterThan(500);
    expect(filled).toBeGreaterThan(100);
  });

  it('leaves plurals, nesting, missing values and other forms to i18next', () => {
    const t = tFor('en');
    const plain = i18n().getFixedT('en') as T;
    const calls: [string, Record<string, unknown>?][] = [
      ['followup:batch_title', { count: 1 }],
      ['followup:batch_title', { count: 7 }],
      ['checkin:done_self', { name: 'Market' }],
      ['checkin:done_self', { name: null, time: undefined }],
      ['checkin:done_self', { name: { a: 1 }, time: '08:00' }],
      ['checkin:done_self', { name: 'Market', time: '08:00', lng: 'vi' }],
      ['no:such_key', { name: 'x' }],
    ];
    for (const [key, options] of calls) expect(t(key, options), key).toBe(plain(key, options));
    const nested = [...nestingKeys()];
    expect(nested.length).toBeGreaterThan(0);
    for (const key of nested) expect(t(key), key).toBe(plain(key));
  });

  it('looks a text up in i18next once, then fills it with each call’s own values', () => {
    const plain = i18n().getFixedT('vi') as T;
    let lookups = 0;
    const t = cachedT(
      ((key: string, options?: Record<string, unknown>) => {
        lookups += 1;
        return plain(key, options);
      }) as T,
      nestingKeys(),
    );
    const a = t('checkin:done_self', { name: 'Chợ An Bình', time: '07:15 29/11/2026' });
    const b = t('checkin:done_self', { name: 'Bến xe Cần Thơ', time: '08:00 29/11/2026' });
    expect(a).toContain('Chợ An Bình');
    expect(a).toContain('07:15 29/11/2026');
    expect(b).toContain('Bến xe Cần Thơ');
    expect(b).not.toContain('Chợ An Bình');
    expect(t('checkin:btn_confirm')).toBe(t('checkin:btn_confirm'));
    expect(lookups).toBe(2);
  });
});
