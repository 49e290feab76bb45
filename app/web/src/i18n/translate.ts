// Language choice and string lookup, free of React so tests and the API
// client can use them.

import { en, type MessageKey } from './en';
import { zh } from './zh';

export type Lang = 'en' | 'zh';
export const LANGS: Lang[] = ['en', 'zh'];
export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };
export type { MessageKey };

const STORAGE_KEY = 'clouddrive.lang';

/** The first of the browser's languages that we speak; English otherwise. */
export function detectLanguage(preferred: readonly string[]): Lang {
  for (const l of preferred) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'zh') return 'zh';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function initialLanguage(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh') return saved;
  } catch {
    // no storage
  }
  if (typeof navigator === 'undefined') return 'en';
  return detectLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

export function saveLanguage(l: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // no storage
  }
}

/** The Accept-Language header for a UI language. */
export function acceptLanguage(l: Lang): string {
  return l === 'zh' ? 'zh-CN,zh;q=0.9,en;q=0.5' : 'en';
}

/** The BCP 47 tag for Intl formatting. */
export function locale(l: Lang): string {
  return l === 'zh' ? 'zh-CN' : 'en';
}

/** Looks a key up and fills {placeholders}. */
export function translate(l: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  let s: string = dictionaries[l][key] ?? dictionaries.en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  return s;
}

/** The {placeholders} a message uses, sorted (both languages must agree). */
export function placeholders(s: string): string[] {
  return [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

// The current language, read by the API client for Accept-Language.
let current: Lang = 'en';
export function currentLanguage(): Lang {
  return current;
}
export function setCurrentLanguage(l: Lang): void {
  current = l;
  if (typeof document !== 'undefined') document.documentElement.lang = locale(l);
}
