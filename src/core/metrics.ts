import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance (tests build many apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'outbox_messages',
      help: 'Outbox rows by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    sends: new Counter({
      name: 'outbox_sends_total',
      help: 'Delivery attempts by channel and result',
      labelNames: ['channel', 'result'] as const,
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'outbox_delivery_latency_seconds',
      help: 'Time from a message being queued to it being delivered',
      labelNames: ['channel', 'kind'] as const,
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),
    repliesInFlight: new Gauge({
      name: 'chat_replies_in_flight',
      help: 'Replies to updates the platform was already answered for, not yet sent or queued (Zalo)',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    updates: new Counter({
      name: 'chat_updates_total',
      help: 'Inbound chat updates by channel and outcome',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
