const FOCUSABLE = 'input, select, textarea, button';

/**
 * Where the focus goes after the form is drawn again: into a part, onto an add button, a chooser, a name.
 * `focus` says which, by pointer: `{ part }`, `{ add }`, `{ control }` or `{ key }`.
 */
export function refocus(element, focus) {
  if (!focus) return;
  const find = (attribute, pointer) =>
    [...element.querySelectorAll(`[${attribute}]`)].find((node) => node.getAttribute(attribute) === pointer);
  const target = focus.part
    ? [...element.querySelectorAll('[data-part]')]
        .find((node) => node.dataset.part === focus.part)
        ?.querySelector(FOCUSABLE)
    : focus.add
      ? (find('data-add', focus.add) ?? find('data-add', `${focus.add}/-`))
      : focus.control
        ? find('data-pointer', focus.control)
        : find('data-key-of', focus.key);
  target?.focus();
}

/** Moves the focus to the control a pointer names, or to the nearest part holding it. */
export function focusPointer(element, pointer) {
  let at = pointer;
  for (;;) {
    const control = [...element.querySelectorAll('[data-pointer]')].find(
      (node) => node.dataset.pointer === at,
    );
    if (control) {
      (control.matches(FOCUSABLE) ? control : control.querySelector(FOCUSABLE))?.focus();
      return;
    }
    if (at === '') return;
    at = at.slice(0, at.lastIndexOf('/'));
  }
}
