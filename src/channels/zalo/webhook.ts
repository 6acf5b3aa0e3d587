import type { FastifyInstance } from 'fastify';
import { markReachable } from '../../core/channel-state.js';
import type { Timer } from '../../core/clock.js';
import { scrub, type DialogRunner, type HandleResult } from '../../core/dialog.js';
import { ReplyDelivery } from '../../outbox/reply-delivery.js';
import type { AppDeps } from '../../http/app.js';
import { checkEvent, checkSignature, mapEvent, signedTimestamp } from './inbound-events.js';
import type { ZaloSender } from './zalo-sender.js';

/**
 * How long the webhook waits for the dialog before answering Zalo anyway (Zalo wants 200 within 2 s).
 * Normally the dialog commits well inside it, so a crash before the answer makes Zalo redeliver and
 * nothing is lost; replies are sent after the answer.
 */
export const ACK_BUDGET_MS = 1500;

interface RawJson {
  raw: Buffer;
  json: unknown;
}

/**
 * POST /zalo/webhook: signature over the raw bytes → schema and time window → map the event → run the dialog → 200 → send replies.
 * Registered in its own encapsulated scope so the raw-body parser touches no other route.
 */
export function zaloWebhookRoutes(sender: ZaloSender, runner: DialogRunner) {
  return async (app: FastifyInstance, deps: AppDeps): Promise<void> => {
    const zalo = deps.config.zalo!;
    const background = new Set<Promise<void>>();
    const replies = new ReplyDelivery(deps, 'zalo');
    // Per-account send order within this instance: two quick messages get their replies in order.
    const sendChains = new Map<string, Promise<void>>();

    app.removeContentTypeParser(['application/json']);
    app.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'buffer', bodyLimit: 256 * 1024 },
      (_req, body, done) => {
        const raw = body as Buffer;
        try {
          done(null, { raw, json: JSON.parse(raw.toString('utf8')) } satisfies RawJson);
        } catch {
          const err = Object.assign(new Error('The body is not valid JSON.'), {
            statusCode: 400,
            code: 'INVALID_JSON',
          });
          done(err, undefined);
        }
      },
    );
    app.addHook('onClose', async () => {
      await Promise.allSettled([...background]);
    });

    // Answers go to Zalo's servers, never to a browser: no page security headers (helmet) to compute.
    app.post('/zalo/webhook', { helmet: false }, async (req, reply) => {
      const body = req.body as RawJson | undefined;
      if (!body || typeof body.json !== 'object' || body.json === null) {
        return reply.status(400).send({ error: { code: 'INVALID_JSON', message: 'Expected a JSON object.' } });
      }
      const sig = checkSignature(req.headers['x-zevent-signature'], body.raw, signedTimestamp(body.json), zalo);
      if (!sig.ok) {
        req.log.warn({ reason: sig.reason }, 'zalo webhook signature rejected');
        deps.metrics.updates.inc({ channel: 'zalo', outcome: 'rejected' });
        return reply
          .status(401)
          .send({ error: { code: 'BAD_SIGNATURE', message: 'X-ZEvent-Signature is missing or wrong.' } });
      }
      if (sig.keyedBy !== 'app_id') req.log.info({ keyedBy: sig.keyedBy }, 'zalo signature matched with the OA id');
      const checked = checkEvent(body.json);
      if (!checked.ok) {
        req.log.warn({ problems: checked.problems }, 'zalo event malformed; refused');
        deps.metrics.updates.inc({ channel: 'zalo', outcome: 'rejected' });
        return reply
          .status(400)
          .send({ error: { code: 'EVENT_INVALID', message: 'The event does not have the documented shape.' } });
      }
      const event = checked.event;
      // The signature covers the timestamp, so a captured event replayed later is refused here.
      const skewMs = Math.abs(deps.clock.now().getTime() - checked.at);
      if (skewMs > zalo.eventWindowMinutes * 60_000) {
        req.log.warn(
          { skewSeconds: Math.round(skewMs / 1000), msgId: event.message?.msg_id },
          'zalo event outside the time window; refused',
        );
        deps.metrics.updates.inc({ channel: 'zalo', outcome: 'rejected' });
        return reply.status(400).send({
          error: { code: 'EVENT_OUTSIDE_WINDOW', message: 'The event timestamp is too old or in the future.' },
        });
      }

      const action = mapEvent(event);
      req.log.debug({ event: event.event_name, action: action.type }, 'zalo event');
      if (action.type === 'ignore') {
        deps.metrics.updates.inc({ channel: 'zalo', outcome: 'ignored' });
        return reply.status(200).send({ ok: true });
      }
      if (action.type === 'unfollow') {
        await markReachable(deps.database.db, 'zalo', action.userId, false, {
          reason: 'zalo_unfollow',
          now: deps.clock.now(),
        });
        deps.metrics.updates.inc({ channel: 'zalo', outcome: 'unfollow' });
        return reply.status(200).send({ ok: true });
      }

      const inbound = action.inbound;
      const work = runner.handle(inbound);
      let timer: Timer | undefined;
      const handled = await Promise.race([
        work.then((r) => ({ done: true as const, result: r })),
        new Promise<{ done: false }>((resolve) => {
          timer = deps.clock.timeout(() => resolve({ done: false }), ACK_BUDGET_MS);
        }),
      ]).finally(() => timer?.cancel());
      const userId = inbound.accountId;
      const track = (p: Promise<void>) => {
        background.add(p);
        deps.metrics.repliesInFlight.inc({ channel: 'zalo' });
        void p.finally(() => {
          background.delete(p);
          deps.metrics.repliesInFlight.dec({ channel: 'zalo' });
        });
      };
      const deliver = (result: HandleResult) => {
        deps.metrics.updates.inc({ channel: 'zalo', outcome: result.duplicate ? 'duplicate' : 'handled' });
        if (result.replies.length === 0) return;
        const previous = sendChains.get(userId) ?? Promise.resolve();
        // Zalo has had its answer: a reply that cannot be queued either is logged, not redelivered.
        const next = previous
          .then(() => replies.deliver(inbound, result, (messages) => sender.send(userId, messages)))
          .then(
            () => undefined,
            (err: unknown) => deps.log.error({ err: scrub(err) }, 'zalo reply could not be queued'),
          );
        sendChains.set(userId, next);
        track(
          next.finally(() => {
            if (sendChains.get(userId) === next) sendChains.delete(userId);
          }),
        );
      };
      if (handled.done) {
        reply.status(200).send({ ok: true });
        deliver(handled.result);
      } else {
        req.log.warn({ budgetMs: ACK_BUDGET_MS }, 'zalo dialog still running; answering Zalo first');
        reply.status(200).send({ ok: true });
        track(
          work.then(deliver, (err: unknown) => {
            deps.log.error({ err: scrub(err) }, 'zalo update failed after the answer');
          }),
        );
      }
      return reply;
    });
  };
}
