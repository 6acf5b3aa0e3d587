import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { TELEGRAM_BOT_TOKEN: '123456789:AAFakeTokenForTestsOnly_abcdefghij', TELEGRAM_MODE: 'polling' };

describe('TELEGRAM_RATE_PER_SECOND', () => {
  it('defaults to 25 and takes a whole number up to 1000', () => {
    expect(loadConfig(base).telegram?.ratePerSecond).toBe(25);
    expect(loadConfig({ ...base, TELEGRAM_RATE_PER_SECOND: '30' }).telegram?.ratePerSecond).toBe(30);
  });

  it.each(['0', '-1', '2.5', 'fast', '1001'])('refuses %s, naming the variable', (value) => {
    try {
      loadConfig({ ...base, TELEGRAM_RATE_PER_SECOND: value });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^TELEGRAM_RATE_PER_SECOND /)]);
    }
  });
});
