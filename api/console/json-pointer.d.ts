/** The types of json-pointer.js, a plain module the browser runs as it is, for its tests. */
export function locate(text: string, pointer: string): { start: number; end: number };
