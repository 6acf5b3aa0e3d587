import net from 'node:net';

/**
 * How the proxy treats traffic: `up` forwards; `down` resets every connection, open or new (the database
 * process is gone: connection refused); `blackhole` accepts connections and stops passing bytes either way
 * without closing anything (a hung server or a half-dead network), and passes what it held back once `up`.
 */
export type ProxyMode = 'up' | 'down' | 'blackhole';

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
}

/** A TCP proxy on loopback in front of a real server (PostgreSQL), for tests of a database that fails. */
export function faultyProxy(target: { host: string; port: number }, initial: ProxyMode = 'up') {
  let mode = initial;
  const pairs = new Set<Pair>();

  const destroy = (p: Pair) => {
    pairs.delete(p);
    p.client.destroy();
    p.upstream?.destroy();
  };
  const connectUpstream = (p: Pair) => {
    const upstream = net.connect(target.port, target.host);
    p.upstream = upstream;
    p.client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => p.client.write(d));
    upstream.on('error', () => destroy(p)).on('close', () => destroy(p));
    p.client.resume();
  };

  const server = net.createServer((client) => {
    if (mode === 'down') return client.resetAndDestroy();
    const p: Pair = { client };
    pairs.add(p);
    client.on('error', () => destroy(p)).on('close', () => destroy(p));
    if (mode === 'up') connectUpstream(p);
    else client.pause(); // black hole: accepted, never answered
  });

  return {
    listen: () =>
      new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port))),
    get mode() {
      return mode;
    },
    setMode(next: ProxyMode) {
      mode = next;
      for (const p of [...pairs]) {
        if (next === 'down') {
          p.client.resetAndDestroy();
          destroy(p);
        } else if (next === 'blackhole') {
          p.client.pause();
          p.upstream?.pause();
        } else if (!p.upstream) {
          connectUpstream(p);
        } else {
          p.client.resume();
          p.upstream.resume();
        }
      }
    },
    /** close every open connection once, keeping the mode (a network blip) */
    drop() {
      for (const p of [...pairs]) destroy(p);
    },
    /** connections open through the proxy now */
    connections: () => pairs.size,
    close: () =>
      new Promise<void>((r) => {
        for (const p of [...pairs]) destroy(p);
        server.close(() => r());
      }),
  };
}
