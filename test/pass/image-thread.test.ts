import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawCard, drawPass } from '../../src/features/pass/image-thread.js';
import { buildIfStale, compiled, ROOT } from '../helpers/compiled.js';
import { decodeQrPng } from '../helpers/qr.js';

/**
 * Passes and printed cards are drawn on the image thread: from the TypeScript sources here (through tsx), and from
 * the compiled JavaScript as production runs it. Many at once each come back whole, with their own QR.
 */
const pass = (n: number) => ({
  status: 'green' as const,
  fullName: `Nguyễn Thị Ánh ${n}`,
  birthYear: 1990,
  validUntil: new Date('2021-08-02T08:00:00+07:00'),
  url: `https://khaibao.example/v/pass-${n}`,
  locale: 'vi',
  validHours: 24,
});

beforeAll(() => buildIfStale(), 300_000);

describe('the image thread', () => {
  it('draws 24 passes asked for at once, each with its own QR', async () => {
    const pngs = await Promise.all(Array.from({ length: 24 }, (_, n) => drawPass(pass(n))));
    expect(pngs.map((png) => decodeQrPng(png))).toEqual(
      Array.from({ length: 24 }, (_, n) => `https://khaibao.example/v/pass-${n}`),
    );
  });

  it('draws the printed card too, and says what went wrong instead of hanging', async () => {
    const card = await drawCard({
      fullName: 'Trần Văn Bình',
      birthYear: 1950,
      issuer: 'UBND phường An Hòa',
      printedAt: new Date('2021-08-01T08:00:00+07:00'),
      expiresAt: new Date('2022-01-28T08:00:00+07:00'),
      url: 'https://khaibao.example/v/card-1',
      locale: 'vi',
    });
    expect(decodeQrPng(card)).toBe('https://khaibao.example/v/card-1');
    // No QR can hold this much: the thread answers with the error, and goes on drawing.
    await expect(drawPass({ ...pass(0), url: 'x'.repeat(5000) })).rejects.toThrow(/image not drawn/);
    expect(decodeQrPng(await drawPass(pass(99)))).toBe('https://khaibao.example/v/pass-99');
  });

  it('runs from the compiled build, and lets the process exit once idle', () => {
    const script = `
      const { drawPass } = await import(${JSON.stringify(pathToFileURL(compiled('src/features/pass/image-thread.ts')).href)});
      const data = ${JSON.stringify(pass(7))};
      const png = await drawPass({ ...data, validUntil: new Date(data.validUntil) });
      process.stdout.write(png.toString('base64'));`;
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'khaibao-image-')), 'draw.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    rmSync(path.dirname(file), { recursive: true, force: true });
    expect(run.status, run.stderr).toBe(0);
    expect(decodeQrPng(Buffer.from(run.stdout, 'base64'))).toBe('https://khaibao.example/v/pass-7');
  });
});
