import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Links } from '../../src/core/links.js';
import type { Venue } from '../../src/db/schema/index.js';
import { posterContent, posterPdf, posterPng, posterSvg } from '../../src/features/venues/poster.js';
import { decodeQrPng } from '../helpers/qr.js';

const config = loadConfig({ PUBLIC_URL: 'https://khaibao.cantho.gov.vn', WEB_CHAT: 'on', HOTLINE: '1900 9095' });
const links = new Links(config);
const venue = {
  code: 'K7QX3M',
  name: 'Chợ Tân An',
  kind: 'market',
  address: '1 Hai Bà Trưng, Phường Tân An, Quận Ninh Kiều',
} as Venue;

describe('venue poster', () => {
  it('prints the steps large, and under them the address, the web chat address, the hotline and the issuer', async () => {
    const c = posterContent({ config, links }, venue);
    expect(c.footer).toEqual([
      '1 Hai Bà Trưng, Phường Tân An, Quận Ninh Kiều',
      'Trang web: khaibao.cantho.gov.vn/chat · Đường dây nóng: 1900 9095',
      'Sở Y tế thành phố Cần Thơ · Chỉ thị 09/CT-UBND · Dữ liệu chỉ dùng cho phòng, chống dịch.',
    ]);
    const svg = posterSvg(c);
    expect(svg).toContain('font-size="32">1. ');
    for (const line of c.footer) expect(svg).toContain(line);
    // Nothing is drawn below the page: the last footer line's baseline leaves room for its descenders.
    const ys = [...svg.matchAll(/<text x="[\d.]+" y="(\d+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...ys)).toBeLessThan(1754 - 12);
    const png = posterPng(c);
    expect(decodeQrPng(png)).toBe(links.venueCheckin(venue.code));
    expect((await posterPdf(c)).subarray(0, 5).toString()).toBe('%PDF-');
    mkdirSync('test-results/screenshots', { recursive: true });
    writeFileSync('test-results/screenshots/poster.png', png);
  });
});
