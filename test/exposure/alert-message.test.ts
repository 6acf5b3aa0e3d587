import { describe, expect, it } from 'vitest';
import { loadResources } from '../../src/core/i18n.js';
import { alertMessage, formatSpan } from '../../src/features/exposure/alert-message.js';

const vn = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00+07:00`);

describe('exposure alert message', () => {
  it('both locales have the same keys', () => {
    const r = loadResources();
    expect(Object.keys(r.en!.exposure!).sort()).toEqual(Object.keys(r.vi!.exposure!).sort());
  });

  it('shows times in Vietnam time, with both dates when a span crosses midnight', () => {
    expect(formatSpan({ from: vn('2021-08-04', '10:30'), to: vn('2021-08-04', '11:30') }, 'vi')).toBe(
      '10:30 – 11:30 04/08/2021',
    );
    // 16:30 UTC is 23:30 in Vietnam: the server's zone does not matter.
    expect(formatSpan({ from: new Date('2021-08-04T16:30:00Z'), to: new Date('2021-08-04T17:15:00Z') }, 'en')).toBe(
      '23:30 04/08/2021 – 00:15 05/08/2021',
    );
  });

  it('puts close contacts first in the advice and keeps button payloads within 64 bytes', () => {
    const key = '0b7e3c1a-5d2f-4c8e-9a6b-1f2e3d4c5b6a';
    const m = alertMessage({
      exposureKey: key,
      locale: 'vi',
      hotline: '1900 9095',
      lines: [
        {
          venue: 'Chợ Cái Khế',
          span: { from: vn('2021-08-04', '14:00'), to: vn('2021-08-04', '14:20') },
          advice: 'casual',
        },
        {
          name: 'Lê Bé Na',
          venue: 'Cà phê Hạnh Phúc',
          span: { from: vn('2021-08-04', '10:00'), to: vn('2021-08-04', '11:00') },
          advice: 'close',
        },
      ],
    });
    const text = m.text!;
    expect(text.indexOf('Lê Bé Na')).toBeLessThan(text.indexOf('Chợ Cái Khế')); // in time order
    expect(text.indexOf('tự cách ly')).toBeLessThan(text.indexOf('theo dõi sức khỏe'));
    for (const b of m.buttons!.flat()) expect(Buffer.byteLength(b.payload)).toBeLessThanOrEqual(64);
  });
});
