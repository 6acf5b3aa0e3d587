import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { passSvg, renderPassPng } from '../../src/features/pass/pass-image.js';
import { signPassToken } from '../../src/features/pass/token.js';
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
  it.each([
    ['chat', 'green'],
    ['chat', 'yellow'],
    ['chat', 'red'],
    ['chat', 'grey'],
    ['print', 'yellow'],
    ['print', 'grey'],
  ] as const)('%s %s pass stays decodable with a long address and name', (variant, status) => {
    const png = renderPassPng(
      {
        status,
        fullName: longName,
        birthYear: 1950,
        validUntil: status === 'grey' ? undefined : now,
        url,
        locale: 'vi',
        validHours: 24,
      },
      variant,
    );
    expect(decodeQrPng(png)).toBe(url);
    const img = PNG.sync.read(png);
    expect([img.width, img.height]).toEqual(variant === 'chat' ? [640, 920] : [1240, 1748]);
  });

  it('escapes the name and shows the status word, birth year and validity', () => {
    const svg = passSvg(
      {
        status: 'yellow',
        fullName: 'A <b>&</b> "B"',
        birthYear: 1990,
        validUntil: now,
        url,
        locale: 'vi',
        validHours: 24,
      },
      'chat',
    );
    expect(svg).toContain('A &lt;b&gt;&amp;&lt;/b&gt; &quot;B&quot;');
    expect(svg).toContain('>VÀNG<');
    expect(svg).toContain('Năm sinh: 1990');
    expect(svg).toContain('Hiệu lực đến: 08:00 01/08/2021');
    const grey = passSvg(
      { status: 'grey', fullName: 'Lê An', birthYear: 1990, url, locale: 'en', validHours: 24 },
      'chat',
    );
    expect(grey).toContain('>GREY<');
    expect(grey).not.toContain('Valid until');
  });
});
