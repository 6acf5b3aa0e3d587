import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

/** GET /: a small home page instead of a JSON 404, in the visitor's language, with the ways in that are open. */
describe('home page', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ env: { WEB_CHAT: 'on' } });
  });
  afterAll(() => svc?.close());

  it('says what the service is and links the web chat, in Vietnamese by default', async () => {
    const r = await svc.app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('<html lang="vi"');
    expect(r.body).toContain('<h1>Khai báo y tế Cần Thơ</h1>');
    expect(r.body).toContain('Chỉ thị 09/CT-UBND');
    expect(r.body).toMatch(/<a class="button" href="http[^"]*\/chat">Mở khai báo trên trang web<\/a>/);
    expect(r.body).toContain('/diadiem');
    // Telegram is not configured in this service: no Telegram button.
    expect(r.body).not.toContain('t.me/');
  });

  it('answers in English when the browser asks for it, or with ?lang=en, and links Telegram once the bot is known', async () => {
    svc.deps.links.useTelegramBot(() => 'khaibao_test_bot');
    try {
      const r = await svc.app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'en-US,en;q=0.9' } });
      expect(r.body).toContain('<html lang="en"');
      expect(r.body).toContain('<h1>Can Tho health declaration</h1>');
      expect(r.body).toContain('href="https://t.me/khaibao_test_bot?start=home"');
      const q = await svc.app.inject({ method: 'GET', url: '/?lang=en' });
      expect(q.body).toContain('Open the web chat');
    } finally {
      svc.deps.links.useTelegramBot(() => undefined);
    }
  });
});
