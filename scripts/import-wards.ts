// Imports wards from a CSV file (code,name,district,province; header optional) into the database at
// DATABASE_URL (or the PGlite database in DATA_DIR). Re-importing updates wards by code.
// Usage: npx tsx scripts/import-wards.ts wards.csv
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { importWardCsv } from '../src/features/wards/store.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx scripts/import-wards.ts <file.csv>   (columns: code,name,district,province)');
  process.exit(2);
}
try {
  const config = loadConfig(process.env);
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await runMigrations(database, config.databaseUrl);
  const result = await importWardCsv(database.db, readFileSync(file, 'utf8'));
  await database.close();
  for (const e of result.errors) console.error(`line ${e.line}: ${e.message}`);
  console.log(`${result.imported} wards imported, ${result.errors.length} lines refused (${database.label})`);
  process.exit(result.errors.length > 0 ? 1 : 0);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
