import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('starts with nothing set: PGlite in ./data, web chat on, port 3000', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe('./data');
    expect(c.webChat).toBe(true);
    expect(c.telegram).toBeUndefined();
    expect(c.zalo).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://x.vn' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ TELEGRAM_BOT_TOKEN: 'nonsense' }, 'TELEGRAM_BOT_TOKEN'],
    [{ TELEGRAM_MODE: 'carrier-pigeon' }, 'TELEGRAM_MODE'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ PASS_SIGNING_KEY: 'abc' }, 'PASS_SIGNING_KEY'],
    [{ ZALO_APP_ID: '123' }, 'ZALO_OA_SECRET_KEY'],
    [{ KHAIBAO_MASTER_KEY: 'too-short' }, 'KHAIBAO_MASTER_KEY'],
    [{ ZALO_EVENT_WINDOW_MINUTES: '0' }, 'ZALO_EVENT_WINDOW_MINUTES'],
  ])('names the bad variable %j', (env, name) => {
    const p = problems(env as Record<string, string>);
    expect(
      p.some((line) => line.startsWith(`${name} `)),
      p.join('\n'),
    ).toBe(true);
  });

  it('requires a webhook secret in webhook mode', () => {
    const p = problems({
      TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      PUBLIC_URL: 'https://kb.example.vn',
    });
    expect(p).toEqual([expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET /)]);
    expect(problems({ TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ', TELEGRAM_MODE: 'polling' })).toEqual([]);
  });

  it('WEEKLY_REPORT_AT: Monday 07:00 by default, a weekday and time, off, or one line naming the variable', () => {
    expect(loadConfig({}).weeklyReportAt).toEqual({ weekday: 1, hour: 7, minute: 0 });
    expect(loadConfig({ WEEKLY_REPORT_AT: 'fri 17:30' }).weeklyReportAt).toEqual({ weekday: 5, hour: 17, minute: 30 });
    expect(loadConfig({ WEEKLY_REPORT_AT: 'off' }).weeklyReportAt).toBeNull();
    const p = problems({ WEEKLY_REPORT_AT: 'monday 7am' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^WEEKLY_REPORT_AT/);
  });

  it('reports every problem at once, one line each, without echoing secrets', () => {
    const p = problems({ PORT: 'abc', PUBLIC_URL: 'nope', ADMIN_TOKEN: 'tiny-secret' });
    expect(p).toHaveLength(3);
    expect(p.join('\n')).not.toContain('tiny-secret');
    expect(problems({ KHAIBAO_MASTER_KEY: 'short-master' }).join('\n')).not.toContain('short-master');
    expect(p.find((l) => l.startsWith('PORT'))).toContain('"abc"');
  });

  it('telegram defaults to webhook for an https PUBLIC_URL and polling otherwise', () => {
    const token = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    expect(
      loadConfig({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_SECRET: 's', PUBLIC_URL: 'https://a.vn' }).telegram
        ?.mode,
    ).toBe('webhook');
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: token }).telegram?.mode).toBe('polling');
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: token }).webChat).toBe(false);
  });
});
