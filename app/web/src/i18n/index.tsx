// The React side of i18n: a provider holding the language, and useI18n()
// giving t(), the language and a setter.

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { initialLanguage, saveLanguage, setCurrentLanguage, translate, type Lang, type MessageKey } from './translate';

export type TFunc = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: TFunc;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const l = initialLanguage();
    setCurrentLanguage(l);
    return l;
  });
  const setLang = useCallback((l: Lang) => {
    saveLanguage(l);
    setCurrentLanguage(l);
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => ({ lang, setLang, t: (k, v) => translate(lang, k, v) }), [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const c = useContext(Ctx);
  if (!c) throw new Error('useI18n outside I18nProvider');
  return c;
}

export type { Lang, MessageKey };
