import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import i18next, { type i18n, type TFunction } from 'i18next';
import { PACKAGE_ROOT } from '../package-root.js';

export const LOCALES = ['vi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'vi';
export const LOCALES_DIR = path.join(PACKAGE_ROOT, 'locales');
/** What people read is in this zone, whatever the server's. */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

export type T = TFunction;

/**
 * Every user-facing string lives in locales/<lng>/<namespace>.json, one namespace per feature
 * (keys are used as "namespace:key"). Loaded synchronously once.
 */
export function loadResources(dir = LOCALES_DIR): Record<string, Record<string, Record<string, unknown>>> {
  const resources: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const lng of LOCALES) {
    resources[lng] = {};
    for (const file of readdirSync(path.join(dir, lng)).filter((f) => f.endsWith('.json'))) {
      resources[lng]![file.slice(0, -5)] = JSON.parse(readFileSync(path.join(dir, lng, file), 'utf8'));
    }
  }
  return resources;
}

let instance: i18n | undefined;

/** The shared i18next instance. Use `tFor(locale)` per update, never a global t. */
export function i18n(): i18n {
  if (instance) return instance;
  const resources = loadResources();
  const inst = i18next.createInstance();
  void inst.init({
    initAsync: false,
    showSupportNotice: false,
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    ns: Object.keys(resources[DEFAULT_LOCALE] ?? {}),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  instance = inst;
  return inst;
}

export function normalizeLocale(value: string | undefined | null): Locale {
  const v = (value ?? '').toLowerCase();
  return v.startsWith('en') ? 'en' : 'vi';
}

/** One fixed t per language, made once (every update asks for one, often several times). */
const fixedTs = new Map<Locale, T>();

/** A t fixed to one locale. */
export function tFor(locale: string): T {
  const lng = normalizeLocale(locale);
  let t = fixedTs.get(lng);
  if (!t) fixedTs.set(lng, (t = cachedT(i18n().getFixedT(lng), nestingKeys())));
  return t;
}

let nestingKeysOf: Set<string> | undefined;

/** `namespace:key` of every text, in any language, that nests another (`$t(…)`): i18next resolves those. */
export function nestingKeys(): ReadonlySet<string> {
  if (nestingKeysOf) return nestingKeysOf;
  const found = new Set<string>();
  const walk = (ns: string, prefix: string, node: unknown): void => {
    if (typeof node === 'string') {
      if (node.includes('$t(')) found.add(`${ns}:${prefix}`);
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(ns, prefix ? `${prefix}.${k}` : k, v);
    }
  };
  for (const namespaces of Object.values(i18n().store.data)) {
    for (const [ns, tree] of Object.entries(namespaces)) walk(ns, '', tree);
  }
  return (nestingKeysOf = found);
}

/** Options that change which text i18next picks, or how: a call with any of them always goes to i18next. */
const SPECIAL_OPTIONS = new Set([
  'count',
  'context',
  'ordinal',
  'defaultValue',
  'lng',
  'lngs',
  'ns',
  'fallbackLng',
  'returnObjects',
  'returnDetails',
  'joinArrays',
  'replace',
  'interpolation',
  'skipInterpolation',
  'postProcess',
  'keySeparator',
  'nsSeparator',
]);
/** Texts kept per language at most. */
const MAX_KEPT_TEXTS = 10_000;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^\s*([A-Za-z0-9_]+)\s*$/;

/**
 * i18next's t with its answers kept: a text is looked up once per language (i18next spends tens of µs on each
 * call, and an update makes several), and `{{name}}` placeholders are filled here. Anything else goes to i18next
 * as before: plurals, context, nesting (`$t(…)`), a value that is missing, is not a string or number, or holds
 * `{{`, another placeholder form. `test/core/i18n-cache.test.ts` checks every text of every language against it.
 */
export function cachedT(t: T, nesting: ReadonlySet<string>): T {
  const texts = new Map<string, string | null>();
  const textOf = (key: string): string | null => {
    let text = texts.get(key);
    if (text === undefined) {
      const found: unknown = nesting.has(key.includes(':') ? key : `common:${key}`) ? undefined : t(key);
      text = typeof found === 'string' ? found : null;
      // every key of the locales fits many times over; keys made from other input are not kept past it
      if (texts.size < MAX_KEPT_TEXTS) texts.set(key, text);
    }
    return text;
  };
  const fast = (key: unknown, options?: unknown): string | undefined => {
    if (typeof key !== 'string') return undefined;
    const text = textOf(key);
    if (text === null) return undefined;
    if (options === undefined) return text;
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
    const values = options as Record<string, unknown>;
    for (const name in values) if (SPECIAL_OPTIONS.has(name)) return undefined;
    let failed = false;
    const out = text.replace(PLACEHOLDER, (whole, inner: string) => {
      const name = NAME.exec(inner)?.[1];
      const value = name === undefined ? undefined : values[name];
      // (a value with a placeholder of its own goes to i18next, which fills that one again)
      if (typeof value === 'string' && !value.includes('{{')) return value;
      if (typeof value === 'number') return String(value);
      failed = true;
      return whole;
    });
    return failed ? undefined : out;
  };
  return ((key: unknown, options?: unknown) =>
    fast(key, options) ?? (t as (k: unknown, o?: unknown) => string)(key, options)) as T;
}

/** One formatter per language: building an Intl.DateTimeFormat costs far more than formatting with it. */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** "14:05 26/11/2026" in Vietnam time. */
export function formatDateTime(d: Date, locale: string = DEFAULT_LOCALE): string {
  const tag = normalizeLocale(locale) === 'en' ? 'en-GB' : 'vi-VN';
  let format = dateTimeFormats.get(tag);
  if (!format) {
    format = new Intl.DateTimeFormat(tag, {
      timeZone: TIME_ZONE,
      hour: '2-digit',
      minute: '2-digit',
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      hour12: false,
    });
    dateTimeFormats.set(tag, format);
  }
  const parts = format.formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('hour')}:${get('minute')} ${get('day')}/${get('month')}/${get('year')}`;
}

export function formatTime(d: Date): string {
  return formatDateTime(d).slice(0, 5);
}
