import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { DbOrTx } from '../db/client.js';
import { settings } from '../db/schema/index.js';
import { AppError } from './errors.js';

export interface Secrets {
  /** Ed25519 key that signs pass tokens */
  passPrivateKey: KeyObject;
  passPublicKey: KeyObject;
  /** short id of the public key (JWK kid) */
  passKeyId: string;
  /** 32-byte AES-256-GCM key for national ID numbers */
  dataKey: Buffer;
  /**
   * 32-byte HMAC-SHA256 key for the national ID lookup hash (persons.id_number_hash): a card read at the door
   * finds its person without decrypting every row; without this key the hash says nothing about the number.
   */
  idLookupKey: Buffer;
  /** VAPID key pair (P-256) the web chat's push messages are signed with, base64url as the Push API takes them */
  vapid: VapidKeys;
}

export interface VapidKeys {
  /** the uncompressed public point (65 bytes), given to the browser as applicationServerKey */
  publicKey: string;
  /** the private scalar (32 bytes) */
  privateKey: string;
}

// ---------------------------------------------------------------------------------------------------
// The keys are kept in `settings` (not on one instance's disk) so every instance behind the load balancer signs
// and decrypts alike. With a master key they are kept only wrapped (AES-256-GCM) under a key-encryption key derived
// with HKDF from KHAIBAO_MASTER_KEY, which lives in the environment: a copy of the database alone (a backup, a
// dump) no longer yields the keys that protect the data in it.

/** The settings rows that hold keys. */
export const KEY_SETTINGS = ['pass_signing_key', 'data_key', 'vapid_keys', 'id_lookup_key'] as const;
type KeySetting = (typeof KEY_SETTINGS)[number];

/** A wrapped key as stored in settings.value. `kid` names the master key (not secret: an HMAC of it). */
export interface WrappedKey {
  wrapped: 1;
  alg: 'A256GCM';
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

/** A wrong or missing master key: the start stops with this one line. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export interface MasterKey {
  kek: Buffer;
  kid: string;
}

export function deriveMasterKey(master: string): MasterKey {
  const kek = Buffer.from(
    hkdfSync('sha256', Buffer.from(master, 'utf8'), 'khaibao', 'khaibao settings key-wrap v1', 32),
  );
  return { kek, kid: createHmac('sha256', kek).update('kid').digest('hex').slice(0, 16) };
}

export function isWrapped(value: unknown): value is WrappedKey {
  return typeof value === 'object' && value !== null && (value as { wrapped?: unknown }).wrapped === 1;
}

/** The row's name is authenticated with it, so a wrapped value moved to another row does not unwrap. */
export function wrapKey(key: MasterKey, name: string, clear: string): WrappedKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.kek, iv);
  cipher.setAAD(Buffer.from(name));
  const ct = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
  return {
    wrapped: 1,
    alg: 'A256GCM',
    kid: key.kid,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  };
}

export function unwrapKey(key: MasterKey, name: string, w: WrappedKey, envName = 'KHAIBAO_MASTER_KEY'): string {
  const wrongKey = () =>
    new MasterKeyError(
      `${envName} does not unwrap the ${name} kept in the database (it was wrapped with master key id ${w.kid}, this one is ${key.kid}); ` +
        'start with the master key it was wrapped with, or re-wrap with npm run keys:rewrap',
    );
  if (w.kid !== key.kid) throw wrongKey();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.kek, Buffer.from(w.iv, 'base64'));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(Buffer.from(w.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(w.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw wrongKey();
  }
}

const generators: Record<KeySetting, () => string> = {
  pass_signing_key: () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  data_key: () => randomBytes(32).toString('base64'),
  vapid_keys: () => formatVapidKeys(newVapidKeys()),
  id_lookup_key: () => randomBytes(32).toString('base64'),
};

/** A fresh VAPID key pair (RFC 8292), as web-push's generateVAPIDKeys makes it, from node:crypto. */
export function newVapidKeys(): VapidKeys {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d! };
}

/** Kept as one string, like the other keys: "<public>.<private>" (base64url has no dot). */
function formatVapidKeys(k: VapidKeys): string {
  return `${k.publicKey}.${k.privateKey}`;
}

function parseVapidKeys(value: string): VapidKeys {
  const m = /^([A-Za-z0-9_-]{87})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) throw new Error('setting vapid_keys has an unexpected shape');
  return { publicKey: m[1]!, privateKey: m[2]! };
}

/**
 * One key from settings: created when missing (wrapped when a master key is given), wrapped in place when it is
 * still in clear and a master key is given, unwrapped otherwise. Concurrent starts agree: the insert and the
 * in-place wrap only apply to the row as read, and the row is read back.
 */
async function keySetting(
  db: DbOrTx,
  name: KeySetting,
  master: MasterKey | undefined,
  log?: FastifyBaseLogger,
): Promise<string> {
  const fresh = generators[name]();
  await db
    .insert(settings)
    .values({ key: name, value: (master ? wrapKey(master, name, fresh) : fresh) as unknown as object })
    .onConflictDoNothing();
  const row = await db.query.settings.findFirst({ where: eq(settings.key, name) });
  if (!row) throw new Error(`setting ${name} missing after insert`);
  const value = row.value;
  if (isWrapped(value)) {
    if (!master) {
      throw new MasterKeyError(
        `the ${name} kept in the database is wrapped (master key id ${value.kid}) but KHAIBAO_MASTER_KEY is not set`,
      );
    }
    return unwrapKey(master, name, value);
  }
  if (typeof value !== 'string') throw new Error(`setting ${name} has an unexpected shape`);
  if (master) {
    await db
      .update(settings)
      .set({ value: wrapKey(master, name, value) as unknown as object, updatedAt: new Date() })
      .where(eq(settings.key, name));
    log?.info({ setting: name, kid: master.kid }, 'key in settings wrapped with the master key');
  }
  return value;
}

export async function loadSecrets(
  db: DbOrTx,
  config: Pick<Config, 'passSigningKey'> & { masterKey?: string },
  log?: FastifyBaseLogger,
): Promise<Secrets> {
  const master = config.masterKey ? deriveMasterKey(config.masterKey) : undefined;
  if (!master) {
    log?.warn(
      'KHAIBAO_MASTER_KEY is not set: the pass signing key, the data key, the ID lookup key and the push (VAPID) key are kept unwrapped in the database (fine for development, not for production)',
    );
  }
  const pem = config.passSigningKey ?? (await keySetting(db, 'pass_signing_key', master, log));
  const passPrivateKey = createPrivateKey(pem);
  if (passPrivateKey.asymmetricKeyType !== 'ed25519') throw new Error('PASS_SIGNING_KEY must be an Ed25519 key');
  const passPublicKey = createPublicKey(passPrivateKey);
  const jwk = passPublicKey.export({ format: 'jwk' }) as { x: string };
  const dataKeyB64 = await keySetting(db, 'data_key', master, log);
  const vapid = parseVapidKeys(await keySetting(db, 'vapid_keys', master, log));
  const idLookupKeyB64 = await keySetting(db, 'id_lookup_key', master, log);
  return {
    passPrivateKey,
    passPublicKey,
    passKeyId: jwk.x.slice(0, 8),
    dataKey: Buffer.from(dataKeyB64, 'base64'),
    idLookupKey: Buffer.from(idLookupKeyB64, 'base64'),
    vapid,
  };
}

/**
 * Master-key rotation (npm run keys:rewrap): every key row unwrapped with `from` (undefined: rows in clear) and
 * wrapped with `to`, in one transaction, so a failure changes nothing. Rows already under `to` are left as
 * they are, so running it twice is harmless. Returns the rows re-wrapped.
 */
export async function rewrapKeys(
  tx: DbOrTx,
  from: string | undefined,
  to: string,
): Promise<{ rewrapped: string[]; unchanged: string[] }> {
  const oldKey = from ? deriveMasterKey(from) : undefined;
  const newKey = deriveMasterKey(to);
  const rows = await tx
    .select()
    .from(settings)
    .where(inArray(settings.key, [...KEY_SETTINGS]))
    .for('update');
  const out = { rewrapped: [] as string[], unchanged: [] as string[] };
  for (const row of rows) {
    let clear: string;
    if (isWrapped(row.value)) {
      if (row.value.kid === newKey.kid) {
        unwrapKey(newKey, row.key, row.value); // proves it, rather than trusting the id
        out.unchanged.push(row.key);
        continue;
      }
      if (!oldKey)
        throw new MasterKeyError(
          `the ${row.key} is wrapped (master key id ${row.value.kid}); set KHAIBAO_MASTER_KEY_OLD to the master key it was wrapped with`,
        );
      clear = unwrapKey(oldKey, row.key, row.value, 'KHAIBAO_MASTER_KEY_OLD');
    } else if (typeof row.value === 'string') {
      clear = row.value;
    } else {
      throw new Error(`setting ${row.key} has an unexpected shape`);
    }
    await tx
      .update(settings)
      .set({ value: wrapKey(newKey, row.key, clear) as unknown as object, updatedAt: new Date() })
      .where(eq(settings.key, row.key));
    out.rewrapped.push(row.key);
  }
  return out;
}

/**
 * The secrets as the service holds them. They live in the database, which start-up reaches only after the
 * routes are up; so features get this accessor, built before them, and it answers 503 until `load` has run
 * (requests are refused until then anyway: see http/app.ts).
 */
export class SecretStore {
  private loaded?: Secrets;

  async load(...args: Parameters<typeof loadSecrets>): Promise<void> {
    this.loaded = await loadSecrets(...args);
  }

  /** The secrets; throws SERVICE_STARTING (503) before start-up loaded them. */
  get = (): Secrets => {
    if (!this.loaded) throw new AppError('SERVICE_STARTING', 'The service is starting; try again shortly.', 503);
    return this.loaded;
  };
}
