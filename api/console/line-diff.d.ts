/** The types of line-diff.js, a plain module the browser runs as it is, for its tests. */
export function lineDiff(before: string, after: string): { op: ' ' | '+' | '-'; line: string }[];
