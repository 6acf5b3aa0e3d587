// The load generator shared by the webhook benchmarks (telegram-webhook.ts, bare-bot.ts): a fixed number of
// concurrent senders posting Telegram updates to a webhook on loopback until a deadline, each request timed.
// The JSON every script prints has the same shape: requests, requestsPerSecond, latencyMs {p50, p90, p99, max}.

export interface Sample {
  kind: string;
  ms: number;
  status: number;
}

export interface Load {
  /** POST one update to the webhook (not timed): warm-ups, the untimed half of a pair */
  post(update: unknown): Promise<number>;
  /** POST one update and record its time and status under `kind` */
  timed(kind: string, update: unknown): Promise<number>;
  /** a unique update_id per run, so a reused database never sees a duplicate */
  withId<T extends object>(update: T): T & { update_id: number };
  /** base for ids unique to this run (update ids, chat ids) */
  base: number;
  samples: Sample[];
}

export function createLoad(url: string, secret: string): Load {
  const base = Date.now() % 1_000_000_000;
  let nextId = base;
  const samples: Sample[] = [];
  const post = async (update: unknown): Promise<number> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(update),
    });
    await res.arrayBuffer();
    return res.status;
  };
  return {
    base,
    samples,
    post,
    withId: (update) => ({ ...update, update_id: nextId++ }),
    timed: async (kind, update) => {
      const t0 = performance.now();
      const status = await post(update);
      samples.push({ kind, ms: performance.now() - t0, status });
      return status;
    },
  };
}

/** CPU time (user + system) this process spent during the last `drive`, ms. */
let driveCpuMs = NaN;

/** `concurrency` senders each running `iteration` until the deadline or until it returns false; elapsed seconds. */
export async function drive(seconds: number, concurrency: number, iteration: () => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline && (await iteration()));
    }),
  );
  const used = process.cpuUsage(cpu);
  driveCpuMs = (used.user + used.system) / 1000;
  return (Date.now() - started) / 1000;
}

export interface Latency {
  p50: string;
  p90: string;
  p99: string;
  max: string;
}

export function latencyMs(samples: Sample[], kind?: string): Latency {
  const xs = samples
    .filter((s) => !kind || s.kind === kind)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const pct = (p: number) => (xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN).toFixed(1);
  return { p50: pct(50), p90: pct(90), p99: pct(99), max: (xs[xs.length - 1] ?? NaN).toFixed(1) };
}

export function statusCounts(samples: Sample[]): Record<number, number> {
  const statuses: Record<number, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  return statuses;
}

/** The common head of every webhook benchmark's JSON output. */
export function summary(samples: Sample[], elapsed: number, concurrency: number) {
  return {
    seconds: elapsed,
    concurrency,
    requests: samples.length,
    requestsPerSecond: Math.round(samples.length / elapsed),
    // The whole process (load generator and fake Bot API included), so it compares runs of one bot: steadier
    // than the rate when the machine's speed varies between runs.
    cpuMsPerRequest: Number((driveCpuMs / samples.length).toFixed(3)),
    latencyMs: latencyMs(samples),
    statuses: statusCounts(samples),
  };
}

/** Resident memory of this process, MiB. */
export const rssMiB = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
