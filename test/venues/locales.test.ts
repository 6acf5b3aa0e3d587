import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES_DIR } from '../../src/core/i18n.js';
import { VENUE_KINDS } from '../../src/features/venues/kinds.js';

const load = (lng: string, ns: string) => JSON.parse(readFileSync(path.join(LOCALES_DIR, lng, `${ns}.json`), 'utf8'));
const keys = (o: Record<string, unknown>, prefix = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );

describe('venues and checkin texts', () => {
  it.each(['venues', 'checkin'])('%s: Vietnamese and English have the same keys', (ns) => {
    expect(keys(load('en', ns)).sort()).toEqual(keys(load('vi', ns)).sort());
  });

  it('every key the code names exists, and every venue kind has a label', () => {
    const vi = { venues: keys(load('vi', 'venues')), checkin: keys(load('vi', 'checkin')) };
    const used = new Set<string>();
    for (const dir of ['venues', 'checkin']) {
      const root = path.join(LOCALES_DIR, '..', 'src', 'features', dir);
      for (const f of readdirSync(root)) {
        for (const m of readFileSync(path.join(root, f), 'utf8').matchAll(/'(venues|checkin):([a-z_.]+[a-z_])'/g))
          used.add(`${m[1]}:${m[2]}`);
      }
    }
    expect(used.size).toBeGreaterThan(40);
    for (const k of used) {
      const [ns, key] = k.split(':') as ['venues' | 'checkin', string];
      expect(vi[ns], k).toContain(key);
    }
    for (const kind of VENUE_KINDS) expect(vi.venues).toContain(`kind.${kind.id}`);
  });
});
