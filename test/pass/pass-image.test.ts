import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { passSvg, renderPassPng } from '../../src/features/pass/pass-image.js';
import { signPassToken } from '../../src/features/pass/token.js';
import { svgToPng } from '../../src/render/svg.js';
import { decodeQrPng } from '../helpers/qr.js';

const { privateKey } = generateKeyPairSync('ed25519');
const now = new Date('2021-08-01T08:00:00+07:00');
const token = signPassToken(
  { personId: randomUUID(), status: 'green', issuedAt: now, expiresAt: new Date(now.getTime() + 86_400_000) },
  privateKey,
);
// A long PUBLIC_URL makes the densest QR a city is likely to deploy.
const url = `https://khai-bao-y-te.so-y-te.cantho.gov.vn/dich-vu/v/${token}`;
const longName = 'Tôn Nữ Thị Hoàng Phương Ngọc Bích Thủy Tiên Nguyễn Phước Lê Trần Huỳnh';

describe('pass image', () => {
  it.each(['green', 'yellow', 'red', 'grey'] as const)(
    '%s pass stays decodable with a long address and name',
    async (status) => {
      const png = await renderPassPng({
        status,
        fullName: longName,
        birthYear: 1950,
        validUntil: status === 'grey' ? undefined : now,
        url,
        locale: 'vi',
        validHours: 24,
        declaredAt: status === 'grey' ? undefined : now,
        issuer: 'Sở Y tế thành phố Cần Thơ',
      });
      expect(decodeQrPng(png)).toBe(url);
      const img = PNG.sync.read(png);
      expect([img.width, img.height]).toEqual([640, 920]);
    },
  );

  it('escapes the name and shows the status word, birth year and validity', () => {
    const svg = passSvg({
      status: 'yellow',
      fullName: 'A <b>&</b> "B"',
      birthYear: 1990,
      validUntil: now,
      url,
      locale: 'vi',
      validHours: 24,
    });
    expect(svg).toContain('A &lt;b&gt;&amp;&lt;/b&gt; &quot;B&quot;');
    expect(svg).toContain('>VÀNG<');
    expect(svg).toContain('Năm sinh: 1990');
    expect(svg).toContain('Hiệu lực đến: 08:00 01/08/2021');
    const grey = passSvg({ status: 'grey', fullName: 'Lê An', birthYear: 1990, url, locale: 'en', validHours: 24 });
    expect(grey).toContain('>GREY<');
    expect(grey).not.toContain('Valid until');
  });

  it('keeps the marks of ĐỎ and VÀNG clear of the title, and prints the declaration time and the issuer', async () => {
    for (const status of ['red', 'yellow'] as const) {
      const data = {
        status,
        fullName: 'Nguyễn Thị Ngọc Bích',
        birthYear: 1988,
        validUntil: now,
        declaredAt: new Date('2021-07-31T20:15:00+07:00'),
        issuer: 'Sở Y tế thành phố Cần Thơ',
        url,
        locale: 'vi',
        validHours: 24,
      };
      const svg = passSvg(data);
      const texts = [...svg.matchAll(/<text x="[\d.]+" y="(\d+)"[^>]*font-size="(\d+)"[^>]*>([^<]*)</g)].map((m) => ({
        y: Number(m[1]),
        size: Number(m[2]),
        text: m[3]!,
      }));
      const title = texts.find((x) => x.text === 'MÃ QR CÁ NHÂN')!;
      const word = texts.find((x) => x.text === (status === 'red' ? 'ĐỎ' : 'VÀNG'))!;
      // Capital letters with a mark above reach about 1.05 em over the baseline in Be Vietnam Pro.
      expect(word.y - 1.05 * word.size).toBeGreaterThan(title.y + 8);
      expect(svg).toContain('Khai báo lúc: 20:15 31/07/2021');
      expect(svg).toContain('Cấp bởi: Sở Y tế thành phố Cần Thơ');
      const png = await renderPassPng(data);
      expect(decodeQrPng(png)).toBe(url);
      mkdirSync('test-results/screenshots', { recursive: true });
      writeFileSync(`test-results/screenshots/pass-${status}.png`, png);
    }
  });

  it('is drawn from its layers as the very picture of the whole pass drawn at once', async () => {
    // the background of each status, language and issuer is drawn once and kept; the holder's lines and QR differ
    const cases = [
      { status: 'green', fullName: 'Lê An', locale: 'vi', issuer: 'Sở Y tế thành phố Cần Thơ' },
      { status: 'green', fullName: longName, locale: 'vi', issuer: 'Sở Y tế thành phố Cần Thơ' },
      { status: 'yellow', fullName: 'Nguyễn Thị Ngọc Bích', locale: 'en' },
      { status: 'red', fullName: 'Trần Văn Đức', locale: 'vi' },
      { status: 'grey', fullName: longName, locale: 'en', issuer: 'Can Tho Department of Health' },
      { status: 'green', fullName: 'Phạm Thị Hương', locale: 'vi', issuer: 'Sở Y tế thành phố Cần Thơ' },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const data = {
        ...c,
        birthYear: 1950 + i,
        validUntil: c.status === 'grey' ? undefined : new Date(now.getTime() + i * 3_600_000),
        declaredAt: c.status === 'grey' ? undefined : now,
        url: `${url}${'x'.repeat(i * 7)}`,
        validHours: 24,
      };
      const composed = PNG.sync.read(await renderPassPng(data));
      const whole = PNG.sync.read(svgToPng(passSvg(data)));
      expect([composed.width, composed.height]).toEqual([whole.width, whole.height]);
      const differing = composed.data.filter((v, k) => v !== whole.data[k]).length;
      expect(differing, `${c.status} ${c.fullName}`).toBe(0);
    }
  });
});
