// Master-key rotation: re-wraps the keys kept in the database (pass signing key, data key) from
// KHAIBAO_MASTER_KEY_OLD (unset: they are in clear) to KHAIBAO_MASTER_KEY, in one transaction, then exits.
// Works on DATABASE_URL or the PGlite database in DATA_DIR, like the server. README "Keys" gives the order.
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { deriveMasterKey, MasterKeyError, rewrapKeys } from '../src/core/secrets.js';

try {
  const config = loadConfig(process.env);
  if (!config.masterKey) throw new ConfigError(['KHAIBAO_MASTER_KEY is required: the new master key to wrap with']);
  const old = process.env.KHAIBAO_MASTER_KEY_OLD?.trim() || undefined;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, maxConnections: 1 });
  try {
    const result = await database.db.transaction((tx) => rewrapKeys(tx, old, config.masterKey!));
    const kid = deriveMasterKey(config.masterKey).kid;
    console.log(
      `keys re-wrapped with master key id ${kid} (${database.label}): ${result.rewrapped.join(', ') || 'none'}` +
        (result.unchanged.length ? `; already wrapped with it: ${result.unchanged.join(', ')}` : ''),
    );
  } finally {
    await database.close();
  }
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  if (err instanceof MasterKeyError) {
    console.error(`keys:rewrap: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
