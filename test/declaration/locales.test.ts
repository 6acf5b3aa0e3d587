import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES, LOCALES_DIR, loadResources } from '../../src/core/i18n.js';

function keys(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('locale files', () => {
  const resources = loadResources();
  const namespaces = new Set(
    LOCALES.flatMap((l) => readdirSync(path.join(LOCALES_DIR, l)).filter((f) => f.endsWith('.json'))),
  );

  it('every namespace exists in every locale', () => {
    for (const l of LOCALES) {
      expect(
        readdirSync(path.join(LOCALES_DIR, l))
          .filter((f) => f.endsWith('.json'))
          .sort(),
      ).toEqual([...namespaces].sort());
    }
  });

  it.each([...namespaces].map((f) => f.slice(0, -5)))(
    'namespace %s has the same keys in vi and en, none empty',
    (ns) => {
      // English plural forms (_one/_other) stand for Vietnamese's single form.
      const norm = (ks: string[]) => [...new Set(ks.map((k) => k.replace(/_(one|other)$/, '')))].sort();
      const vi = resources.vi![ns] ?? {};
      const en = resources.en![ns] ?? {};
      expect(norm(keys(en))).toEqual(norm(keys(vi)));
      for (const r of [vi, en]) {
        for (const k of keys(r)) {
          const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], r);
          expect(typeof v === 'string' && v.trim().length > 0, `${ns}:${k}`).toBe(true);
        }
      }
    },
  );
});
