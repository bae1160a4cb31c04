/**
 * Builds an element: attributes (`on…` ones as listeners) and children (strings become text, never HTML, so
 * nothing the API returns is ever read as markup).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'value') element.value = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A labelled field: the label wraps its control, so it is named for assistive technology. */
export const field = (label, control, className) => h('label', { class: className }, label, control);

/** A table with a header row; `rows` are arrays of cells (text or nodes). */
export function table(caption, headers, rows) {
  return h(
    'table',
    {},
    h('caption', { class: 'muted' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((header) => h('th', { scope: 'col' }, header)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((cell) => h('td', {}, cell)),
        ),
      ),
    ),
  );
}

/** Runs `work` at most once per `ms`, after the last call (as a person types). */
export function debounce(work, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => work(...args), ms);
  };
}
