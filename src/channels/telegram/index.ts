import type { ChannelModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { createTelegramChannel } from './telegram-channel.js';

export { createTelegramChannel, TelegramUnavailableError, type TelegramChannel } from './telegram-channel.js';

/** On when TELEGRAM_BOT_TOKEN is set. */
export const telegramChannelModule: ChannelModule<AppDeps> = {
  name: 'telegram',
  enabled: (deps) => deps.config.telegram !== undefined,
  create(deps, runner, workers) {
    const channel = createTelegramChannel(deps, runner, workers);
    return { sender: channel.sender, routes: channel.routes };
  },
};
