// Applies the committed migrations to DATABASE_URL (or the PGlite database in DATA_DIR), loads the home
// province's wards (as every start does) and exits.
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { seedHomeWards } from '../src/features/wards/store.js';

try {
  const config = loadConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await runMigrations(database, config.databaseUrl);
  await seedHomeWards(database.db);
  await database.close();
  console.log(`migrations applied, Can Tho's wards loaded (${database.label})`);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
