// Registers the Telegram webhook and command menus by hand, and prints getWebhookInfo.
//   npx tsx scripts/telegram-setup.ts          set the webhook (PUBLIC_URL/telegram/webhook) and menus, then show info
//   npx tsx scripts/telegram-setup.ts info     only show getWebhookInfo
//   npx tsx scripts/telegram-setup.ts delete   remove the webhook (e.g. before switching to polling)
// Reads the same environment as the server (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_API_ROOT, PUBLIC_URL).
import { Api, GrammyError, HttpError } from 'grammy';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, loadConfig } from '../src/config.js';
import { systemClock } from '../src/core/clock.js';
import { DialogRunner } from '../src/core/dialog.js';
import type { AppDeps } from '../src/http/app.js';
import { featureModules } from '../src/features/index.js';
import { registerCommands, registerWebhook, webhookInfo, webhookUrl } from '../src/channels/telegram/bot-setup.js';

const action = process.argv[2] ?? 'set';
try {
  const config = loadConfig(process.env);
  const tg = config.telegram;
  if (!tg) throw new ConfigError(['TELEGRAM_BOT_TOKEN is required for this script']);
  const api = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: 20 });
  const me = await api.getMe();
  console.log(`bot @${me.username} (id ${me.id}) at ${tg.apiRoot}`);

  if (action === 'set' || action === 'commands') {
    // Feature definitions only register commands; nothing here touches the database.
    const deps = {
      config,
      clock: systemClock,
      log: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
    } as AppDeps;
    const runner = new DialogRunner(
      deps,
      featureModules(deps).flatMap((m) => (m.feature ? [m.feature] : [])),
    );
    if (action === 'set') {
      if (!tg.webhookSecret) throw new ConfigError(['TELEGRAM_WEBHOOK_SECRET is required to set the webhook']);
      if (!config.publicUrl.startsWith('https://'))
        throw new ConfigError([`PUBLIC_URL must be https for a webhook (got ${config.publicUrl})`]);
      await registerWebhook(api, {
        publicUrl: config.publicUrl,
        secret: tg.webhookSecret,
        commands: runner.menuCommands(),
      });
      console.log(`webhook set to ${webhookUrl(config.publicUrl)}; command menus set (default, vi, en)`);
    } else {
      await registerCommands(api, runner.menuCommands());
      console.log('command menus set (default, vi, en)');
    }
  } else if (action === 'delete') {
    await api.deleteWebhook();
    console.log('webhook deleted (polling can start)');
  } else if (action !== 'info') {
    throw new ConfigError([`unknown action "${action}" (use set, commands, info or delete)`]);
  }
  console.log(JSON.stringify(await webhookInfo(api), null, 2));
} catch (err) {
  if (err instanceof ConfigError || err instanceof GrammyError || err instanceof HttpError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
