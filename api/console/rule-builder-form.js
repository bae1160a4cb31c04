import { h } from './dom.js';
import { language } from './i18n.js';
import { fieldText } from './rule-builder-fields.js';
import { focusPointer, refocus } from './rule-builder-focus.js';
import { propertiesOf } from './rule-builder-objects.js';
import { markProblems } from './rule-builder-problems.js';
import { render } from './rule-builder-render.js';
import { isObject, planOf, resolve, setAt, valueAt } from './rule-builder-schema.js';

/**
 * The rule form, drawn from the API's JSON Schema: a fieldset per object, a list with add and remove buttons
 * per array, a chooser per union, a select per enum, a checkbox per boolean, an input per number, text, time
 * or date. Each control carries `data-pointer` (its JSON pointer in the document) and `data-pattern` (its
 * field, see rule-builder-schema.js), so the API's problems are shown beside it. `onChange(document)` hears
 * each edit.
 */
export function ruleForm(root, onChange) {
  const { canonical } = planOf(root);
  const lang = language();
  // The form is the rule's own control: a problem of the whole document is shown at its top.
  const element = h('div', { class: 'builder-form', id: 'builder-form', 'data-pattern': '' });
  let draft = {};
  let problems = [];

  /**
   * What drawing a part needs of the form: the schema, the language, the optional fields opened though still
   * empty, the document's values, its edits and drawing a child part (see rule-builder-render.js).
   */
  const form = {
    root,
    canonical,
    lang,
    opened: new Set(),
    label: (pattern) => fieldText(pattern, lang),
    valueAt: (pointer) => valueAt(draft, pointer),
    set: (pointer, value) => {
      draft = setAt(draft, pointer, value);
      onChange(draft);
    },
    /** An edit that adds, removes or changes the form's shape: drawn again, the focus where it belongs. */
    reshape: (pointer, value, focus) => {
      form.set(pointer, value);
      draw(focus);
    },
    render: (node, pointer, pattern, extra) => render(form, node, pointer, pattern, extra),
  };

  function draw(focus) {
    element.replaceChildren(...propertiesOf(form, resolve(root, root), '', '').filter(Boolean));
    markProblems(element, problems);
    refocus(element, focus);
  }

  return {
    element,
    /** Shows another document (from a template or the JSON beside the form). */
    load(next) {
      draft = isObject(next) ? next : {};
      form.opened.clear();
      draw();
    },
    document: () => draft,
    /** The API's problems of the document, each `{ pointer, detail }`. */
    showProblems(found) {
      problems = found;
      markProblems(element, problems);
    },
    /** Moves the focus to the control a pointer names, or to the nearest part holding it. */
    focus: (pointer) => focusPointer(element, pointer),
  };
}
