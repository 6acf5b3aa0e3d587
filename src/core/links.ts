import type { Config } from '../config.js';

/**
 * Every link the service hands out that leads back into it: pages under PUBLIC_URL and Telegram deep links.
 * Built before any feature; the Telegram channel tells it the bot's username once Telegram has said it.
 */
export class Links {
  private telegramBot: () => string | undefined = () => undefined;

  constructor(private readonly config: Pick<Config, 'publicUrl'>) {}

  /** A page of this service: `path` starts with a slash. */
  page(path: string): string {
    return `${this.config.publicUrl}${path}`;
  }

  /** The poster's QR target: a small landing page (works for every channel, unlike a bare t.me link). */
  venueCheckin(code: string): string {
    return this.page(`/c/${code}`);
  }

  /** The web chat page; with a start parameter (≤ 64 chars of A-Za-z0-9_-), the deep link the page sends first. */
  webChat(start?: string): string {
    return this.page(start === undefined ? '/chat' : `/chat?start=${encodeURIComponent(start)}`);
  }

  /** The Telegram bot's username once known; undefined when Telegram is off or has not answered yet. */
  telegramUsername(): string | undefined {
    return this.telegramBot();
  }

  /** `https://t.me/<bot>?start=<param>` (param ≤ 64 chars of A-Za-z0-9_-), when the bot's username is known. */
  telegramStart(param: string): string | undefined {
    const bot = this.telegramBot();
    return bot ? `https://t.me/${bot}?start=${param}` : undefined;
  }

  /** Where the bot's username comes from (the Telegram channel's getMe; tests name a bot). */
  useTelegramBot(username: () => string | undefined): void {
    this.telegramBot = username;
  }
}
