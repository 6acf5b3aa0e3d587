import { createServer } from 'node:net';

/**
 * A port for a server a test starts (a child process, a browser's target): free now, and below Linux's ephemeral
 * range (32768–60999), so no outgoing connection of this or a parallel test takes it before the server binds it,
 * as one did when ports were drawn from 31000–33000 unchecked. Random, so parallel files rarely pick the same one;
 * checked by listening on it, so one in use is skipped.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}
