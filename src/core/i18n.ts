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
  if (!t) fixedTs.set(lng, (t = i18n().getFixedT(lng)));
  return t;
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
