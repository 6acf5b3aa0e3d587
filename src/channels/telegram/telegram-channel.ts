import { autoRetry } from '@grammyjs/auto-retry';
import { Api, Bot, BotError, type Context } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { ChannelSender } from '../../core/channel.js';
import { scrub, type Deps, type DialogRunner, type HandleResult } from '../../core/dialog.js';
import { AppError, DatabaseUnavailableError, isDatabaseUnavailable } from '../../core/errors.js';
import { tFor } from '../../core/i18n.js';
import type { Inbound } from '../../core/messages.js';
import { firstDelivery, markReachable } from '../../core/channel-state.js';
import { ReplyDelivery } from '../../outbox/reply-delivery.js';
import type { RouteModule } from '../../http/app.js';
import type { Workers } from '../../core/module.js';
import { backgroundTask, retrying } from './background-task.js';
import { botApiFetch } from './bot-api-fetch.js';
import { registerCommands, registerWebhook } from './bot-setup.js';
import { renderOutbound } from './outbound-rendering.js';
import { POLL_TIMEOUT_SECONDS, pollUpdates } from './polling.js';
import { asGrammySignal, chatIdOf, createTelegramSender, performCalls, toDeliveryError } from './sender.js';
import { toEvent, type TelegramEvent } from './update-mapping.js';
import { webhookRoutes } from './webhook-route.js';

/** Bounds for replies sent while Telegram waits on the webhook (it gives up after 60 s and redelivers). */
const REPLY_RETRY = { maxDelaySeconds: 5, maxRetryAttempts: 2, rethrowHttpErrors: true } as const;
const API_TIMEOUT_SECONDS = 10;
/** All replies to one update must be out by then; what is left goes to the outbox. */
const REPLY_DEADLINE_MS = 20_000;
/** Answering a button press and removing its keyboard are cosmetic: never worth holding the update for long. */
const COSMETIC_DEADLINE_MS = 5_000;

/** Telegram itself could not be reached (getMe failed): the update is answered 503 so Telegram redelivers. */
export class TelegramUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super('TELEGRAM_UNAVAILABLE', 'The Telegram Bot API is not reachable right now; try again shortly.', 503);
    this.cause = cause;
  }
}

export interface TelegramChannel {
  /** the outbox's port (no auto-retry: the outbox schedules retries itself) */
  sender: ChannelSender;
  /** POST /telegram/webhook */
  routes: RouteModule;
  /** the grammY bot: its api has bounded auto-retry and honours TELEGRAM_API_ROOT */
  bot: Bot;
  /**
   * Handle one update, from the webhook or from polling. Throws DatabaseUnavailableError or
   * TelegramUnavailableError when the update should be delivered again; any other failure is logged and
   * the person has had an apology. `webhookReply` (webhook mode) takes the one Bot API call, as JSON with its
   * `method`, that the webhook's answer should carry instead of a request of its own (answerCallbackQuery).
   */
  handleUpdate(update: Update, webhookReply?: (call: string) => void): Promise<void>;
  /** getMe, called once and cached (concurrent callers share one request) */
  botInfo(): Promise<UserFromGetMe>;
  /** the bot's username once getMe has answered */
  username(): string | undefined;
}

/**
 * The Telegram adapter: maps updates to the core's Inbound and the core's Outbound to Bot API calls. Knows
 * nothing of features. In webhook mode a worker registers the webhook and command menus at start; in polling
 * mode a worker long-polls getUpdates. Both feed the same handleUpdate.
 */
export function createTelegramChannel(deps: Deps, runner: DialogRunner, workers: Workers): TelegramChannel {
  const tg = deps.config.telegram;
  if (!tg) throw new Error('createTelegramChannel needs config.telegram');
  const client = {
    apiRoot: tg.apiRoot,
    timeoutSeconds: API_TIMEOUT_SECONDS,
    // a plain keep-alive request per call instead of node-fetch (bot-api-fetch.ts)
    fetch: botApiFetch,
  };
  // A webhook update's callback query is answered in the webhook's own HTTP answer (see webhook-route.ts).
  const bot = new Bot(tg.token, {
    client: { ...client, canUseWebhookReply: (method) => method === 'answerCallbackQuery' },
  });
  bot.api.config.use(autoRetry(REPLY_RETRY));
  const outboxApi = new Api(tg.token, client);
  const sender = createTelegramSender(outboxApi, tg.ratePerSecond ?? 25);
  const log = deps.log.child({ channel: 'telegram' });

  let me: UserFromGetMe | undefined;
  let mePending: Promise<UserFromGetMe> | undefined;
  const botInfo = async (): Promise<UserFromGetMe> => {
    if (me) return me;
    mePending ??= bot.api
      .getMe()
      .then((info) => {
        me = info;
        bot.botInfo = info;
        log.info({ botId: info.id, username: info.username }, 'telegram bot identified');
        return info;
      })
      .finally(() => {
        mePending = undefined;
      });
    return mePending;
  };
  deps.links.useTelegramBot(() => me?.username);

  const replies = new ReplyDelivery(deps, 'telegram');

  /**
   * The runner's replies through the bot's API (bounded auto-retry, one deadline for the batch); the core
   * queues what Telegram would not take in time and marks a chat that blocked the bot.
   */
  const deliverReplies = async (
    api: Api,
    chatId: string,
    updateId: number,
    inbound: Inbound,
    result: HandleResult,
  ): Promise<void> => {
    await replies.deliver(inbound, result, async (messages) => {
      let calls;
      try {
        calls = renderOutbound(messages, tFor(result.locale));
      } catch (err) {
        log.error({ err: scrub(err), updateId }, 'telegram replies could not be rendered');
        return;
      }
      await performCalls(api, chatId, calls, AbortSignal.timeout(REPLY_DEADLINE_MS));
    });
  };

  /** An update handled outside the runner (the group hint): false when it was seen before. */
  const recordedFirst = async (updateId: number): Promise<boolean> => {
    try {
      return await firstDelivery(deps.database.db, 'telegram', String(updateId));
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
      throw err;
    }
  };

  const answerCallback = async (
    api: Api,
    id: string,
    signal = AbortSignal.timeout(COSMETIC_DEADLINE_MS),
  ): Promise<void> => {
    try {
      await api.answerCallbackQuery(id, undefined, asGrammySignal(signal));
    } catch (err) {
      // A redelivered press is "too old" to answer; the spinner is cosmetic, the dialog still runs.
      log.debug({ error: toDeliveryError(err).message }, 'answerCallbackQuery failed');
    }
  };

  const processEvent = async (ctx: Context, event: TelegramEvent): Promise<void> => {
    const updateId = ctx.update.update_id;
    switch (event.kind) {
      case 'ignore':
        if (event.callbackId) await answerCallback(ctx.api, event.callbackId);
        log.debug({ updateId, reason: event.reason }, 'telegram update ignored');
        return;
      case 'reachability':
        await markReachable(deps.database.db, 'telegram', event.chatId, event.reachable, { now: deps.clock.now() });
        log.info({ updateId, chatId: event.chatId, reachable: event.reachable }, 'telegram reachability changed');
        return;
      case 'group': {
        if (event.callbackId) await answerCallback(ctx.api, event.callbackId);
        if (!(await recordedFirst(updateId))) return;
        try {
          await ctx.api.sendMessage(
            chatIdOf(event.chatId),
            String(tFor(event.languageHint ?? 'vi')('common:group_hint')),
          );
        } catch (err) {
          log.warn({ updateId, error: toDeliveryError(err).message }, 'telegram group hint not sent');
        }
        return;
      }
      case 'inbound': {
        let cosmetic: Promise<unknown> | undefined;
        if (event.callback) {
          const { id, messageId } = event.callback;
          const signal = AbortSignal.timeout(COSMETIC_DEADLINE_MS);
          // Stop the spinner (in the webhook's own answer when there is one: no request of its own) and take
          // the keyboard away, so an old choice cannot be pressed twice. Runs alongside the dialog (both calls
          // swallow their errors) and is awaited before the replies go out.
          cosmetic = Promise.all([
            answerCallback(ctx.api, id, signal),
            messageId === undefined
              ? undefined
              : ctx.api
                  .editMessageReplyMarkup(chatIdOf(event.chatId), messageId, undefined, asGrammySignal(signal))
                  .catch((err: unknown) => log.debug({ error: toDeliveryError(err).message }, 'keyboard not removed')),
          ]);
        }
        const result = await runner.handle(event.inbound).finally(() => cosmetic);
        if (result.duplicate) log.debug({ updateId }, 'telegram update seen before');
        await deliverReplies(ctx.api, event.chatId, updateId, event.inbound, result);
        return;
      }
    }
  };

  bot.use(async (ctx) => processEvent(ctx, toEvent(ctx.update)));

  const handleUpdate = async (update: Update, webhookReply?: (call: string) => void): Promise<void> => {
    try {
      await botInfo();
    } catch (err) {
      throw new TelegramUnavailableError(err);
    }
    try {
      await bot.handleUpdate(
        update,
        webhookReply && {
          send: async (call: string) => {
            webhookReply(call);
          },
        },
      );
    } catch (err) {
      throw err instanceof BotError ? err.error : err;
    }
  };

  const routes = webhookRoutes(tg.webhookSecret, handleUpdate);

  if (tg.mode === 'webhook') {
    workers.add(
      backgroundTask('telegram-webhook-setup', async (signal) => {
        await retrying(
          signal,
          log,
          'telegram webhook setup',
          async () => {
            await botInfo();
            await registerWebhook(bot.api, {
              publicUrl: deps.config.publicUrl,
              secret: tg.webhookSecret ?? '',
              commands: runner.menuCommands(),
            });
            log.info('telegram webhook and command menus registered');
          },
          deps.clock,
        );
      }),
    );
  } else {
    const pollApi = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: POLL_TIMEOUT_SECONDS + 15 });
    // Telegram answers 409 to a second getUpdates: only the leader of the instances on this database polls.
    workers.whileLeader('telegram-polling', async (signal) => {
      await retrying(
        signal,
        log,
        'telegram polling setup',
        async () => {
          await botInfo();
          // Telegram refuses getUpdates while a webhook is set.
          await pollApi.deleteWebhook({}, asGrammySignal(signal));
          await registerCommands(pollApi, runner.menuCommands());
        },
        deps.clock,
      );
      await pollUpdates(pollApi, signal, handleUpdate, log, deps.clock);
    });
  }

  return { sender, routes, bot, handleUpdate, botInfo, username: () => me?.username };
}
