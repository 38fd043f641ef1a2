// Every visible string comes from a catalog (i18n/en.json, i18n/uk.json). A value is a string
// or, for counted things, an object of plural forms chosen by Intl.PluralRules of the language
// (Ukrainian: one, few, many, other). Numbers and dates use the language's locale (uk-UA).
import en from './i18n/en.json';
import uk from './i18n/uk.json';

export type Lang = 'en' | 'uk';
type Entry = string | Record<string, string>;
const catalogs: Record<Lang, Record<string, Entry>> = { en, uk };
const locales: Record<Lang, string> = { en: 'en-GB', uk: 'uk-UA' };

function initial(): Lang {
  const saved = localStorage.getItem('demine.lang');
  if (saved === 'en' || saved === 'uk') return saved;
  return navigator.language.toLowerCase().startsWith('uk') ? 'uk' : 'en';
}

let lang: Lang = initial();
const listeners: (() => void)[] = [];

export function getLang(): Lang {
  return lang;
}

export function locale(): string {
  return locales[lang];
}

export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem('demine.lang', l);
  document.documentElement.lang = l;
  listeners.forEach((f) => f());
}

export function onLangChange(f: () => void): void {
  listeners.push(f);
}

export type Params = Record<string, string | number>;

/** The text of `key`, with `{name}` replaced; `count` chooses the plural form. */
export function t(key: string, params: Params = {}): string {
  let entry: Entry | undefined = catalogs[lang][key] ?? catalogs.en[key];
  if (entry === undefined) {
    console.warn('missing catalog key', key);
    return key;
  }
  if (typeof entry !== 'string') {
    const n = Number(params.count ?? 0);
    const form = new Intl.PluralRules(locales[lang]).select(n);
    entry = entry[form] ?? entry.other ?? '';
  }
  return entry.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) return '{' + name + '}';
    return typeof v === 'number' ? fmtNum(v) : v;
  });
}

/** Whether the catalog has `key` (enumerations from the server fall back to their raw value). */
export function has(key: string): boolean {
  return key in catalogs[lang];
}

/** A server enumeration (class, status, outcome, category…) in words, or as it is. */
export function term(group: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const key = `${group}.${value}`;
  return has(key) ? t(key) : value;
}

export function fmtNum(n: number, maxDigits = 0): string {
  return new Intl.NumberFormat(locales[lang], { maximumFractionDigits: maxDigits }).format(n);
}

/** An area in the unit that reads best: m² below 1 ha, ha below 1 km², km² above. */
export function fmtArea(m2: number | null | undefined, unit?: 'm2' | 'ha' | 'km2'): string {
  if (m2 === null || m2 === undefined || !isFinite(m2)) return '—';
  const u = unit ?? (Math.abs(m2) < 10_000 ? 'm2' : Math.abs(m2) < 1_000_000 ? 'ha' : 'km2');
  const v = u === 'm2' ? m2 : u === 'ha' ? m2 / 10_000 : m2 / 1_000_000;
  const digits = u === 'm2' ? 0 : Math.abs(v) < 10 ? 2 : 1;
  return `${fmtNum(v, digits)} ${t('unit.' + u)}`;
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(iso + 'T00:00:00Z') : new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function fmtPct(x: number): string {
  return new Intl.NumberFormat(locales[lang], { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

document.documentElement.lang = lang;

/** One unit for a whole axis or table column: the one that reads best for its largest value. */
export function areaUnit(maxM2: number): 'm2' | 'ha' | 'km2' {
  const m = Math.abs(maxM2);
  return m < 10_000 ? 'm2' : m < 1_000_000 ? 'ha' : 'km2';
}
