import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * locales/GLOSSARY.md decides one spelling and one term per thing; its "Refused variants" block lists what must not
 * appear. A variant counts as a whole word (letters on neither side), so "hoá" is refused but "thoát" is not, and
 * the command "/khaibao" is not the name "khaibao"; a lower-case variant is refused in any case.
 */
const root = new URL('../../locales/', import.meta.url);
const glossary = readFileSync(new URL('GLOSSARY.md', root), 'utf8');
const block = /## Refused variants[\s\S]*?```\n([\s\S]*?)```/.exec(glossary)?.[1] ?? '';
const refused = block
  .split('\n')
  .map((l) => /^(vi|en): (.+)$/.exec(l.trim()))
  .filter((m): m is RegExpExecArray => !!m)
  .map((m) => ({ lng: m[1]!, variant: m[2]! }));

function texts(value: unknown, key: string): [string, string][] {
  if (typeof value === 'string') return [[key, value]];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => texts(v, key.endsWith(':') ? `${key}${k}` : `${key}.${k}`));
  return [];
}

function localeTexts(lng: string): [string, string][] {
  const dir = new URL(`${lng}/`, root);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => texts(JSON.parse(readFileSync(new URL(f, dir), 'utf8')), `${f.replace(/\.json$/, '')}:`));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A variant written in lower case is refused in any case («Tiếp xúc gần» as a heading too); one written with a
// capital («When you go», «KHAI BÁO VÀO») is refused as written.
const wordRe = (variant: string) =>
  new RegExp(
    `(?<![\\p{L}\\p{N}_/])${escape(variant)}(?![\\p{L}\\p{N}_])`,
    variant === variant.toLowerCase() ? 'iu' : 'u',
  );

describe('locales/GLOSSARY.md', () => {
  it('lists the refused variants for both languages', () => {
    expect(refused.filter((r) => r.lng === 'vi').length).toBeGreaterThan(20);
    expect(refused.filter((r) => r.lng === 'en').length).toBeGreaterThan(2);
  });

  it('matches whole words only', () => {
    expect(wordRe('hoá').test('thoát')).toBe(false);
    expect(wordRe('hoá').test('văn hoá')).toBe(true);
    expect(wordRe('khaibao').test('gửi /khaibao')).toBe(false);
    expect(wordRe('em').test('Anh/Chị giúp em.')).toBe(true);
    expect(wordRe('em').test('xem them')).toBe(false);
    expect(wordRe('tiếp xúc gần').test('Tiếp xúc gần')).toBe(true);
    expect(wordRe('When you go').test('Carry it when you go out.')).toBe(false);
  });

  for (const lng of ['vi', 'en']) {
    it(`no ${lng} text uses a refused variant`, () => {
      const found: string[] = [];
      const all = localeTexts(lng);
      expect(all.length).toBeGreaterThan(100);
      for (const { variant } of refused.filter((r) => r.lng === lng)) {
        const re = wordRe(variant);
        for (const [key, text] of all) if (re.test(text)) found.push(`${key} «${variant}»: ${text.slice(0, 80)}`);
      }
      expect(found).toEqual([]);
    });
  }
});
