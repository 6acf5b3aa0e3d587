import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { DbOrTx } from '../db/client.js';
import { settings } from '../db/schema/index.js';

export interface Secrets {
  /** Ed25519 key that signs pass tokens */
  passPrivateKey: KeyObject;
  passPublicKey: KeyObject;
  /** short id of the public key (JWK kid) */
  passKeyId: string;
  /** 32-byte AES-256-GCM key for national ID numbers */
  dataKey: Buffer;
}

/**
 * Reads a generated secret from the settings table, creating it once. Kept in the database (not on one
 * instance's disk) so every instance behind the load balancer signs and decrypts alike.
 */
export async function getOrCreateSetting<T>(db: DbOrTx, key: string, create: () => T): Promise<T> {
  await db.insert(settings).values({ key, value: create() as unknown as object }).onConflictDoNothing();
  const row = await db.query.settings.findFirst({ where: eq(settings.key, key) });
  if (!row) throw new Error(`setting ${key} missing after insert`);
  return row.value as T;
}

export async function loadSecrets(db: DbOrTx, config: Pick<Config, 'passSigningKey'>): Promise<Secrets> {
  const pem =
    config.passSigningKey ??
    (await getOrCreateSetting<string>(db, 'pass_signing_key', () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ));
  const passPrivateKey = createPrivateKey(pem);
  if (passPrivateKey.asymmetricKeyType !== 'ed25519') throw new Error('PASS_SIGNING_KEY must be an Ed25519 key');
  const passPublicKey = createPublicKey(passPrivateKey);
  const jwk = passPublicKey.export({ format: 'jwk' }) as { x: string };
  const dataKeyB64 = await getOrCreateSetting<string>(db, 'data_key', () => randomBytes(32).toString('base64'));
  return {
    passPrivateKey,
    passPublicKey,
    passKeyId: jwk.x.slice(0, 8),
    dataKey: Buffer.from(dataKeyB64, 'base64'),
  };
}
