import { describe, expect, it } from 'vitest';
import { en } from './en';
import { acceptLanguage, detectLanguage, dictionaries, LANGS, placeholders, translate } from './translate';
import { zh } from './zh';

describe('dictionaries', () => {
  const keys = Object.keys(en).sort();
  it('have the same keys in every language', () => {
    for (const l of LANGS) expect(Object.keys(dictionaries[l]).sort()).toEqual(keys);
  });
  it('have no empty messages', () => {
    for (const l of LANGS) for (const k of keys) expect(dictionaries[l][k as keyof typeof en].trim(), `${l} ${k}`).not.toBe('');
  });
  it('use the same placeholders in every language', () => {
    for (const k of keys) {
      const key = k as keyof typeof en;
      expect(placeholders(zh[key]), k).toEqual(placeholders(en[key]));
    }
  });
  it('are translated (Chinese text differs from English for sentences)', () => {
    const same = keys.filter((k) => /[A-Za-z]{3,}\s/.test(en[k as keyof typeof en].replace(/\{\w+\}/g, "")) && zh[k as keyof typeof en] === en[k as keyof typeof en]);
    expect(same).toEqual([]);
  });
});

describe('translate', () => {
  it('fills placeholders and leaves unknown ones', () => {
    expect(translate('en', 'file.moved', { n: 3 })).toBe('Moved 3 item(s)');
    expect(translate('zh', 'file.moved', { n: 3 })).toBe('已移动 3 项');
    expect(translate('en', 'file.moved')).toBe('Moved {n} item(s)');
  });
});

describe('language', () => {
  it('follows the browser', () => {
    expect(detectLanguage(['zh-CN', 'en'])).toBe('zh');
    expect(detectLanguage(['zh-TW'])).toBe('zh');
    expect(detectLanguage(['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLanguage(['de'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
  });
  it('asks the server in the same language', () => {
    expect(acceptLanguage('zh')).toMatch(/^zh-CN/);
    expect(acceptLanguage('en')).toBe('en');
  });
});
