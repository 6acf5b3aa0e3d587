import type { Secrets } from '../../core/secrets.js';
import type { RouteModule } from '../../http/app.js';

/** Public keys that verify pass tokens offline (JWK set). */
export function passKeySet(secrets: Secrets) {
  const jwk = secrets.passPublicKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: secrets.passKeyId, use: 'sig', alg: 'EdDSA' }] };
}

export const passKeyRoutes: RouteModule = (app, deps) => {
  app.get('/.well-known/khaibao/pass-keys.json', async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return passKeySet(deps.secrets());
  });
};
