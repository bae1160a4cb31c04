/** The types of rule-builder-fields.js, a plain module the browser runs as it is, for its tests. */
type Texts = { en: string; uk: string };

export const FIELDS: Record<string, Texts & { hint?: Texts; key?: Texts; keys?: string[] }>;
export const OPTIONS: Record<string, Texts>;
export function fieldText(pattern: string, language: string): string;
export function presetKeys(pattern: string): string[];
