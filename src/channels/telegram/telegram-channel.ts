import { autoRetry } from '@grammyjs/auto-retry';
import { and, eq } from 'drizzle-orm';
import { Api, Bot, BotError, type Context } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { ChannelSender } from '../../core/channel.js';
import { scrub, type Deps, type DialogRunner, type HandleResult } from '../../core/dialog.js';
import { AppError, DatabaseUnavailableError, isDatabaseUnavailable } from '../../core/errors.js';
import { tFor } from '../../core/i18n.js';
import type { Outbound } from '../../core/messages.js';
import { accounts, processedUpdates } from '../../db/schema/index.js';
import type { RouteModule } from '../../http/app.js';
import { enqueue, type OutboxMessage } from '../../outbox/enqueue.js';
import type { Workers } from '../../core/module.js';
import { backgroundTask, retrying } from './background-task.js';
import { registerCommands, registerWebhook } from './bot-setup.js';
import { renderOutbound } from './outbound-rendering.js';
import { POLL_TIMEOUT_SECONDS, pollUpdates } from './polling.js';
import { asGrammySignal, chatIdOf, createTelegramSender, performCall, toDeliveryError } from './sender.js';
import { toEvent, type TelegramEvent } from './update-mapping.js';
import { webhookRoutes } from './webhook-route.js';

/** Bounds for replies sent while Telegram waits on the webhook (it gives up after 60 s and redelivers). */
const REPLY_RETRY = { maxDelaySeconds: 5, maxRetryAttempts: 2, rethrowHttpErrors: true } as const;
const API_TIMEOUT_SECONDS = 10;
/** All replies to one update must be out by then; what is left goes to the outbox. */
const REPLY_DEADLINE_MS = 20_000;
/** Answering a button press and removing its keyboard are cosmetic: never worth holding the update for long. */
const COSMETIC_DEADLINE_MS = 5_000;
/** Replies held in memory while the database is down; beyond this the oldest is given up (and logged). */
const MAX_UNQUEUED_REPLIES = 1_000;

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
   * the person has had an apology.
   */
  handleUpdate(update: Update): Promise<void>;
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
  const client = { apiRoot: tg.apiRoot, timeoutSeconds: API_TIMEOUT_SECONDS };
  const bot = new Bot(tg.token, { client });
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

  /** Records an update handled outside the runner; false when it was seen before. */
  const firstDelivery = async (updateId: number): Promise<boolean> => {
    try {
      const rows = await deps.database.db
        .insert(processedUpdates)
        .values({ channel: 'telegram', updateId: String(updateId) })
        .onConflictDoNothing()
        .returning({ id: processedUpdates.updateId });
      return rows.length > 0;
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
      throw err;
    }
  };

  const setReachable = async (chatId: string, reachable: boolean, reason = 'blocked'): Promise<void> => {
    try {
      await deps.database.db
        .update(accounts)
        .set(reachable ? { unreachableAt: null, unreachableReason: null } : { unreachableAt: deps.clock.now(), unreachableReason: reason })
        .where(and(eq(accounts.channel, 'telegram'), eq(accounts.externalId, chatId)));
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
      throw err;
    }
  };

  // The rest of a reply that could not be queued (database down) waits here for Telegram's redelivery of
  // its update: the dialog has committed, so the redelivery is a duplicate and queues this instead.
  const unqueued = new Map<number, OutboxMessage>();
  const queueRest = async (updateId: number, item: OutboxMessage): Promise<void> => {
    try {
      await enqueue(deps.database.db, [item]);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      unqueued.set(updateId, item);
      if (unqueued.size > MAX_UNQUEUED_REPLIES) {
        const [oldest] = unqueued.keys();
        unqueued.delete(oldest!);
        log.error({ updateId: oldest }, 'telegram reply given up: too many replies waiting for the database');
      }
      throw new DatabaseUnavailableError(err);
    }
    unqueued.delete(updateId);
    deps.wakeOutbox?.();
  };

  /**
   * Sends the runner's replies straight away (auto-retry bounded, one deadline for the batch). If Telegram
   * keeps failing, the messages not yet sent go to the outbox instead of being lost; a 403 marks the
   * account unreachable.
   */
  const deliverReplies = async (api: Api, chatId: string, updateId: number, result: HandleResult): Promise<void> => {
    if (result.replies.length === 0) return;
    let calls;
    try {
      calls = renderOutbound(result.replies, tFor(result.locale));
    } catch (err) {
      log.error({ err: scrub(err), updateId }, 'telegram replies could not be rendered');
      return;
    }
    const signal = AbortSignal.timeout(REPLY_DEADLINE_MS);
    for (const call of calls) {
      try {
        await performCall(api, chatId, call, signal);
      } catch (err) {
        const failure = toDeliveryError(err);
        if (failure.kind === 'unreachable') {
          log.info({ updateId, chatId }, 'telegram chat unreachable (bot blocked)');
          await setReachable(chatId, false);
          return;
        }
        if (failure.kind === 'retry' && result.accountId) {
          const rest: Outbound[] = result.replies.slice(call.source);
          await queueRest(updateId, {
            channel: 'telegram',
            accountId: result.accountId,
            kind: 'reply',
            refId: String(updateId),
            dedupeKey: `telegram-reply:${updateId}`,
            messages: rest,
            notBefore: failure.retryAfterMs ? new Date(deps.clock.now().getTime() + failure.retryAfterMs) : undefined,
          });
          log.warn({ updateId, error: failure.message, queued: rest.length }, 'telegram reply failed; rest queued in the outbox');
          return;
        }
        log.error({ updateId, error: failure.message }, 'telegram reply failed');
        return;
      }
    }
  };

  const answerCallback = async (api: Api, id: string, signal = AbortSignal.timeout(COSMETIC_DEADLINE_MS)): Promise<void> => {
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
        await setReachable(event.chatId, event.reachable);
        log.info({ updateId, chatId: event.chatId, reachable: event.reachable }, 'telegram reachability changed');
        return;
      case 'group': {
        if (event.callbackId) await answerCallback(ctx.api, event.callbackId);
        if (!(await firstDelivery(updateId))) return;
        try {
          await ctx.api.sendMessage(chatIdOf(event.chatId), String(tFor(event.languageHint ?? 'vi')('common:group_hint')));
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
          // Stop the spinner and take the keyboard away, so an old choice cannot be pressed twice. Runs
          // alongside the dialog (both calls swallow their errors) and is awaited before the replies go out.
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
        if (result.duplicate) {
          log.debug({ updateId }, 'telegram update seen before');
          const held = unqueued.get(updateId);
          if (held) await queueRest(updateId, held);
          return;
        }
        await deliverReplies(ctx.api, event.chatId, updateId, result);
        return;
      }
    }
  };

  bot.use(async (ctx) => processEvent(ctx, toEvent(ctx.update)));

  const handleUpdate = async (update: Update): Promise<void> => {
    try {
      await botInfo();
    } catch (err) {
      throw new TelegramUnavailableError(err);
    }
    try {
      await bot.handleUpdate(update);
    } catch (err) {
      throw err instanceof BotError ? err.error : err;
    }
  };

  const routes = webhookRoutes(tg.webhookSecret, handleUpdate);

  if (tg.mode === 'webhook') {
    workers.add(
      backgroundTask('telegram-webhook-setup', async (signal) => {
        await retrying(signal, log, 'telegram webhook setup', async () => {
          await botInfo();
          await registerWebhook(bot.api, {
            publicUrl: deps.config.publicUrl,
            secret: tg.webhookSecret ?? '',
            commands: runner.menuCommands(),
          });
          log.info('telegram webhook and command menus registered');
        }, deps.clock);
      }),
    );
  } else {
    const pollApi = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: POLL_TIMEOUT_SECONDS + 15 });
    workers.add(
      backgroundTask('telegram-polling', async (signal) => {
        await retrying(signal, log, 'telegram polling setup', async () => {
          await botInfo();
          // Telegram refuses getUpdates while a webhook is set.
          await pollApi.deleteWebhook({}, asGrammySignal(signal));
          await registerCommands(pollApi, runner.menuCommands());
        }, deps.clock);
        await pollUpdates(pollApi, signal, handleUpdate, log, deps.clock);
      }),
    );
  }

  return { sender, routes, bot, handleUpdate, botInfo, username: () => me?.username };
}

