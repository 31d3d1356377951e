/** Texts in zh-CN (the default) and English. Each page keeps its own file,
 * src/locales/<lang>/<page>.json, and its keys are read as "<page>.<key>". */
import { createI18n } from "vue-i18n";

type LocaleMessage = Record<string, unknown>;

export const LANGUAGES = ["zh-CN", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

const files = import.meta.glob<{ default: LocaleMessage }>("./locales/*/*.json", { eager: true });

export function collectMessages(): Record<Language, Record<string, LocaleMessage>> {
  const messages = { "zh-CN": {}, en: {} } as Record<Language, Record<string, LocaleMessage>>;
  for (const [path, mod] of Object.entries(files)) {
    const [, lang, page] = path.match(/\.\/locales\/([^/]+)\/([^/]+)\.json$/) ?? [];
    if (lang in messages) messages[lang as Language][page] = mod.default;
  }
  return messages;
}

function initialLanguage(): Language {
  const saved = localStorage.getItem("language");
  return saved === "en" ? "en" : "zh-CN";
}

export const i18n = createI18n<false>({
  legacy: false,
  locale: initialLanguage(),
  fallbackLocale: "zh-CN",
  messages: collectMessages() as never,
  // A missing key is a defect: tests/web walk every page and fail on the warning's marker.
  missingWarn: true,
  fallbackWarn: false,
  // vue-i18n's own warning exists only in development builds; the tests run the production build.
  missing: (locale, key) => {
    console.warn(`[intlify] Not found '${key}' key in '${locale}' locale messages.`);
  },
});

export function setLanguage(lang: Language): void {
  i18n.global.locale.value = lang;
  localStorage.setItem("language", lang);
  document.documentElement.lang = lang;
}
