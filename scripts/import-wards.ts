// Loads provinces' districts and wards (GSO codes, scripts/data/vn-admin-units.tsv) into the database at
// DATABASE_URL (or the PGlite database in DATA_DIR). The home province (Can Tho, 92) is loaded at every start;
// this adds others. Re-importing rewrites names by code. A running service sees the new wards at once.
// Usage: npm run wards:import -- <province code>...   (e.g. 93 = Hậu Giang; `--list` prints the codes)
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { adminUnits, provinceByCode } from '../src/features/wards/admin-units.js';
import { loadProvince } from '../src/features/wards/store.js';

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const p of adminUnits().provinces) console.log(`${p.code}\t${p.name}`);
  process.exit(0);
}
const codes = args.map((a) => (/^\d$/.test(a) ? `0${a}` : a));
const unknown = codes.filter((c) => !provinceByCode(c));
if (codes.length === 0 || unknown.length > 0) {
  if (unknown.length > 0) console.error(`unknown province code: ${unknown.join(', ')}`);
  console.error(
    'usage: npm run wards:import -- <province code>...   (GSO codes, e.g. 92 Cần Thơ, 93 Hậu Giang; --list prints them)',
  );
  process.exit(2);
}
try {
  const config = loadConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await runMigrations(database, config.databaseUrl);
  for (const code of codes) {
    const r = await loadProvince(database.db, code, { update: true });
    console.log(`${r.province} (${code}): ${r.districts} districts, ${r.wards} wards imported (${database.label})`);
  }
  await database.close();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
