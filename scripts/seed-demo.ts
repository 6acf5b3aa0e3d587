// Loads demo data for trying khaibao locally: the wards of Ninh Kieu district, Can Tho (scripts/can-tho-wards.csv).
// Safe to run again. Usage: npx tsx scripts/seed-demo.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';
import { PACKAGE_ROOT } from '../src/package-root.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { importWardCsv } from '../src/features/wards/store.js';

export const DEMO_WARDS_CSV = path.join(PACKAGE_ROOT, 'scripts', 'can-tho-wards.csv');

try {
  const config = loadConfig(process.env);
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await runMigrations(database, config.databaseUrl);
  const wards = await importWardCsv(database.db, readFileSync(DEMO_WARDS_CSV, 'utf8'));
  await database.close();
  console.log(`demo data loaded: ${wards.imported} Can Tho wards (${database.label})`);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
