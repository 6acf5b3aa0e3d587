// Loads demo data for trying khaibao locally. Can Tho's 83 wards are loaded by every start (and by
// `npm run db:migrate`) already; this makes sure of them without starting the server. Safe to run again.
// Usage: npm run db:seed-demo
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { seedHomeWards, wardCount } from '../src/features/wards/store.js';

try {
  const config = loadConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await runMigrations(database, config.databaseUrl);
  await seedHomeWards(database.db);
  const wards = await wardCount(database.db);
  await database.close();
  console.log(`demo data loaded: ${wards} wards (${database.label})`);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
