export const LOCALES = ['uk', 'en', 'he'] as const;
export const FALLBACK_LOCALE = 'en';

/** The best of our locales for an Accept-Language header (by q-value, then order), or the fallback. */
export function pickLocale(
  acceptLanguage: string | undefined,
  available: readonly string[] = LOCALES,
): string {
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { language: tag.toLowerCase().split('-')[0]!, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.language && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return wanted.find((entry) => available.includes(entry.language))?.language ?? FALLBACK_LOCALE;
}

/** The text in `locale`, or in the fallback locale. */
export function localized(texts: Record<string, string>, locale: string): string {
  return texts[locale] ?? texts[FALLBACK_LOCALE] ?? Object.values(texts)[0] ?? '';
}
