import { h } from './dom.js';
import { fieldHint } from './rule-builder-fields.js';

let lastId = 0;
/** A fresh id for a control, a hint or a problem: one counter for the page, so no id is given twice. */
export const nextId = (prefix) => `${prefix}-${++lastId}`;

/** A button of the form, adding or removing a part. */
export const button = (text, onclick, attributes = {}) =>
  h('button', { type: 'button', class: 'plain builder-button', onclick, ...attributes }, text);

const hintOf = (pattern, lang) => {
  const hint = fieldHint(pattern, lang);
  return hint ? { id: nextId('hint'), text: hint } : undefined;
};

/**
 * A control with its label (by `for`: a label wrapping a select would be named by its options too) and the
 * hint beside it; a checkbox after its box.
 */
export function fieldBox(name, control, hint) {
  control.id = nextId('field');
  const text = h('label', { for: control.id }, name);
  const checkbox = control.type === 'checkbox';
  return h(
    'div',
    { class: checkbox ? 'builder-field builder-check' : 'builder-field' },
    checkbox ? [control, text] : [text, control],
    hint ? h('span', { class: 'muted hint', id: hint.id }, hint.text) : null,
  );
}

/** A scalar's control in its label, the hint beside it and its remove button after it. */
export function labelled(form, control, name, pointer, pattern, remove) {
  const hint = hintOf(pattern, form.lang);
  control.dataset.pointer = pointer;
  control.dataset.pattern = pattern;
  if (hint) control.setAttribute('aria-describedby', hint.id);
  return h('div', { class: 'builder-row', 'data-part': pointer }, fieldBox(name, control, hint), remove);
}

/** A part holding others (an object, a list, a map, a variant's fields): a fieldset named by its legend. */
export function group(form, pointer, pattern, name, children, remove) {
  const hint = hintOf(pattern, form.lang);
  return h(
    'fieldset',
    {
      class: 'builder-group',
      'data-pointer': pointer,
      'data-pattern': pattern,
      'data-part': pointer,
      'aria-describedby': hint?.id,
    },
    h('legend', {}, name),
    hint ? h('p', { class: 'muted hint', id: hint.id }, hint.text) : null,
    ...children,
    remove ? h('div', { class: 'builder-actions' }, remove) : null,
  );
}
