import type { Api } from 'grammy';
import type { BotCommand, WebhookInfo } from 'grammy/types';
import { LOCALES, tFor, type Locale } from '../../core/i18n.js';

/** The updates the service acts on; everything else Telegram would send is noise. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

export const WEBHOOK_PATH = '/telegram/webhook';

export function webhookUrl(publicUrl: string): string {
  return `${publicUrl}${WEBHOOK_PATH}`;
}

/**
 * The command menu for one language. Commands are registered with their Vietnamese name first and English
 * second (`['khaibao', 'declare']`); menuCommands() lists every name, so names sharing a description are one
 * command and the menu shows the name in the menu's language. Names Telegram would refuse are left out.
 */
export function menuFor(locale: Locale, commands: { name: string; descriptionKey: string }[]): BotCommand[] {
  const byKey = new Map<string, string[]>();
  for (const c of commands) {
    if (!/^[a-z0-9_]{1,32}$/.test(c.name)) continue;
    const names = byKey.get(c.descriptionKey) ?? [];
    names.push(c.name);
    byKey.set(c.descriptionKey, names);
  }
  const t = tFor(locale);
  const menu: BotCommand[] = [];
  for (const [key, names] of byKey) {
    const name = locale === 'vi' ? names[0]! : names[names.length - 1]!;
    const description = String(t(key)).slice(0, 256);
    if (description) menu.push({ command: name, description });
  }
  return menu.slice(0, 100);
}

/**
 * Registers the webhook (with its secret and the allowed updates) and the command menus: the default menu in
 * Vietnamese (the service's default language), and one per supported `language_code`.
 */
export async function registerWebhook(
  api: Api,
  opts: { publicUrl: string; secret: string; commands: { name: string; descriptionKey: string }[] },
): Promise<void> {
  await api.setWebhook(webhookUrl(opts.publicUrl), {
    secret_token: opts.secret,
    allowed_updates: [...ALLOWED_UPDATES],
    max_connections: 40,
  });
  await registerCommands(api, opts.commands);
}

export async function registerCommands(api: Api, commands: { name: string; descriptionKey: string }[]): Promise<void> {
  await api.setMyCommands(menuFor('vi', commands));
  for (const locale of LOCALES) {
    await api.setMyCommands(menuFor(locale, commands), { language_code: locale });
  }
}

export async function webhookInfo(api: Api): Promise<WebhookInfo> {
  return api.getWebhookInfo();
}
