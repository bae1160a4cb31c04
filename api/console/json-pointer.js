/**
 * Where the value a JSON pointer (RFC 6901) names sits in a JSON text, so the rule editor can select what a
 * problem points at. A pointer into a member or element that is not there (a required field left out) gives
 * the object or array that should hold it. The text must be valid JSON: the editor asks only once it parses.
 */

const SPACE = ' \t\n\r';

const skipSpace = (text, at) => {
  while (at < text.length && SPACE.includes(text[at])) at++;
  return at;
};

/** The end of the string whose opening quote is at `at`. */
function stringEnd(text, at) {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** The members of the object, or the elements of the array, at `at`: each name (or index) and where its value is. */
function children(text, at) {
  const object = text[at] === '{';
  const close = object ? '}' : ']';
  const found = [];
  let i = skipSpace(text, at + 1);
  while (i < text.length && text[i] !== close) {
    let name = String(found.length);
    if (object) {
      const keyEnd = stringEnd(text, i);
      name = JSON.parse(text.slice(i, keyEnd));
      i = skipSpace(text, skipSpace(text, keyEnd) + 1);
    }
    found.push({ name, start: i });
    i = skipSpace(text, valueEnd(text, i));
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return { found, end: i + 1 };
}

/** The end of the value starting at `at`. */
function valueEnd(text, at) {
  if (text[at] === '"') return stringEnd(text, at);
  if (text[at] === '{' || text[at] === '[') return children(text, at).end;
  let i = at;
  while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
  return i;
}

const tokensOf = (pointer) =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));

/** The first and past-last character of the value `pointer` names in `text`, or of its nearest container. */
export function locate(text, pointer) {
  let start = skipSpace(text, 0);
  for (const token of tokensOf(pointer)) {
    if (text[start] !== '{' && text[start] !== '[') break;
    // JSON.parse keeps the last of repeated names, and so does this.
    const child = children(text, start).found.findLast(({ name }) => name === token);
    if (!child) break;
    start = child.start;
  }
  return { start, end: valueEnd(text, start) };
}
