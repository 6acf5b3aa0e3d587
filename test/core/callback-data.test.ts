import { describe, expect, it } from 'vitest';
import { assertNoPrefixCollisions, callbackData } from '../../src/core/callback-data.js';
import { DialogRunner, type Feature } from '../../src/core/dialog.js';
import { startTestService } from '../helpers/service.js';

describe('callback data', () => {
  it('builds and reads payloads of one namespace only', () => {
    const fam = callbackData('fam');
    expect(fam.data('m', 'abc')).toBe('fam:m:abc');
    expect(fam.rest('fam:m:abc')).toBe('m:abc');
    expect(fam.rest('fam')).toBe('');
    expect(fam.rest('family:x')).toBeUndefined();
    expect(callbackData('d', '.').data('yes', 'travel')).toBe('d.yes.travel');
    expect(() => callbackData('v_x')).toThrow(/letters and digits/);
  });

  it('refuses a prefix claimed twice at start-up, allowing a flow to share its own feature’s handler', () => {
    expect(() =>
      assertNoPrefixCollisions('button payload', [
        { owner: 'a', prefix: 'cf' },
        { owner: 'a', prefix: 'cf', shared: true },
      ]),
    ).not.toThrow();
    expect(() =>
      assertNoPrefixCollisions('button payload', [
        { owner: 'a', prefix: 'vn' },
        { owner: 'b', prefix: 'vn' },
      ]),
    ).toThrow(/claimed by both a and b/);
    expect(() =>
      assertNoPrefixCollisions('start parameter', [
        { owner: 'a', prefix: 'v' },
        { owner: 'b', prefix: 'V', shared: true },
      ]),
    ).toThrow();
    const noop = async () => {};
    const a: Feature = { name: 'a', startHandlers: [{ prefix: 'v', run: noop }] };
    const b: Feature = { name: 'b', startHandlers: [{ prefix: 'v', run: noop }] };
    expect(() => new DialogRunner({} as never, [a, b])).toThrow(/start parameter prefix "v" claimed by both a and b/);
  });

  it('the service’s own features claim distinct prefixes', async () => {
    const svc = await startTestService();
    try {
      expect(svc.runner.features.length).toBeGreaterThan(5);
    } finally {
      await svc.close();
    }
  });
});
