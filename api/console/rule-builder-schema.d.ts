/** The types of rule-builder-schema.js, a plain module the browser runs as it is, for its tests. */
export type JsonSchema = Record<string, unknown>;

export interface PlannedField {
  pattern: string;
  shape: string;
  values?: string[];
  variants?: string[];
}

export function isObject(value: unknown): value is Record<string, unknown>;
export function resolve(root: JsonSchema, node: JsonSchema | undefined): JsonSchema;
export function shapeOf(root: JsonSchema, node: JsonSchema | undefined): string;
export function variantsOf(root: JsonSchema, node: JsonSchema): { key: string; schema: JsonSchema }[];
export function variantIndex(root: JsonSchema, node: JsonSchema, value: unknown): number;
export function emptyValue(
  root: JsonSchema,
  node: JsonSchema,
  pattern: string,
  presetKeys?: (pattern: string) => string[],
): unknown;
export function planOf(root: JsonSchema): { fields: PlannedField[]; canonical: Record<string, string> };
export function valueAt(document: unknown, pointer: string): unknown;
export function setAt(document: unknown, pointer: string, value: unknown): unknown;
export function escape(name: string): string;
export function inSchemaOrder(root: JsonSchema, node: JsonSchema, value: unknown): unknown;
