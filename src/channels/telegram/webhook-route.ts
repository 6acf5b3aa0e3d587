import { createHash, timingSafeEqual } from 'node:crypto';
import type { Update } from 'grammy/types';
import { scrub } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import type { RouteModule } from '../../http/app.js';
import { WEBHOOK_PATH } from './bot-setup.js';
import { checkUpdate, isUpdate } from './update-mapping.js';

/**
 * POST /telegram/webhook. Handled here rather than with grammY's webhookCallback(bot, 'fastify') because the
 * contract needs exact answers that adapter does not give: the secret is checked before the body is parsed
 * (so nothing is read or stored without it) and refused in the service's error shape; a body that is not an
 * Update gets 400 instead of reaching the bot, and one whose fields have the wrong types is logged and
 * ignored (200); a temporary failure (an AppError with status 503) becomes 503
 * so Telegram redelivers, while any other failure is logged and answered 200 so one bad update never blocks
 * the chat. The update itself still goes through bot.handleUpdate.
 *
 * The 200 may carry one Bot API call for Telegram to make (the Bot API's "making requests when getting
 * updates"): the adapter answers a button press's callback query that way, which saves a request per press.
 */
export function webhookRoutes(
  secret: string | undefined,
  handleUpdate: (update: Update, webhookReply: (call: string) => void) => Promise<void>,
): RouteModule {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const expected = secret ? digest(secret) : undefined;
  return async (app) => {
    app.addHook('onRequest', async (req) => {
      const given = req.headers['x-telegram-bot-api-secret-token'];
      if (!expected || typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
        throw new AppError('TELEGRAM_SECRET_INVALID', 'Missing or wrong X-Telegram-Bot-Api-Secret-Token.', 401);
      }
    });
    // Answers go to Telegram's servers, never to a browser: no page security headers (helmet) to compute.
    app.post(WEBHOOK_PATH, { helmet: false }, async (req, reply) => {
      const body = req.body;
      if (!isUpdate(body)) {
        throw new AppError(
          'TELEGRAM_UPDATE_INVALID',
          'Expected a Telegram Update: an object with a numeric update_id.',
          400,
        );
      }
      const checked = checkUpdate(body);
      if (!checked.ok) {
        // Answered 200: a 4xx would make Telegram redeliver it and hold back that chat's later updates.
        req.log.warn({ updateId: body.update_id, problems: checked.problems }, 'telegram update malformed; ignored');
        return reply.code(200).send();
      }
      let call: string | undefined;
      try {
        await handleUpdate(checked.update, (c) => (call = c));
      } catch (err) {
        if (err instanceof AppError && err.status === 503) throw err;
        // The runner has apologised already where it could.
        req.log.error({ err: scrub(err), updateId: body.update_id }, 'telegram update failed');
      }
      if (call === undefined) return reply.code(200).send();
      return reply.code(200).type('application/json').send(call);
    });
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
