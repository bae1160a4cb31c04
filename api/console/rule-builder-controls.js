import { h } from './dom.js';
import { optionText } from './rule-builder-fields.js';
import { group, labelled } from './rule-builder-layout.js';
import { resolve } from './rule-builder-schema.js';

/**
 * What an emptied control leaves: an optional field is left out; a required one, an element or a map's value
 * stays, empty (so a union's variant is still told by what it requires).
 */
export const emptied = (slot, text) => (slot === 'optional' ? undefined : text ? '' : null);

function input(form, part, type, read, attributes = {}) {
  const { pointer, pattern, name, value, remove } = part;
  const control = h('input', { type, value: value ?? '', ...attributes });
  control.addEventListener('input', () => form.set(pointer, read(control)));
  return labelled(form, control, name, pointer, pattern, remove);
}

export function numberPart(form, part) {
  const { schema, slot } = part;
  const integer = schema.type === 'integer';
  const min =
    schema.minimum ??
    (integer && schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
  return input(
    form,
    part,
    'number',
    (control) => (control.value === '' ? emptied(slot) : Number(control.value)),
    {
      step: integer ? 1 : 'any',
      min: min !== undefined && Math.abs(min) < 1e15 ? min : undefined,
      max: schema.maximum !== undefined && schema.maximum < 1e15 ? schema.maximum : undefined,
    },
  );
}

// `dir: auto`: a title in Hebrew reads right to left as the owner types it.
export const textPart = (form, part, type = 'text') =>
  input(form, part, type, (control) => (control.value === '' ? emptied(part.slot, true) : control.value), {
    spellcheck: 'false',
    autocomplete: 'off',
    dir: type === 'text' ? 'auto' : undefined,
  });

export function jsonPart(form, part) {
  const shown = part.value === undefined ? '' : JSON.stringify(part.value);
  return input(form, { ...part, value: shown }, 'text', (control) => {
    if (control.value === '') return emptied(part.slot);
    try {
      control.removeAttribute('aria-invalid');
      return JSON.parse(control.value);
    } catch {
      control.setAttribute('aria-invalid', 'true');
      return control.value;
    }
  });
}

export function enumPart(form, part) {
  const { schema, pointer, pattern, name, value, remove } = part;
  const control = h(
    'select',
    {},
    schema.enum.map((option, i) =>
      h('option', { value: i, selected: option === value ? true : undefined }, optionText(option, form.lang)),
    ),
  );
  if (!schema.enum.includes(value)) control.selectedIndex = -1;
  control.addEventListener('change', () => form.set(pointer, schema.enum[control.selectedIndex]));
  return labelled(form, control, name, pointer, pattern, remove);
}

export function constPart(form, part) {
  const { schema, pointer, pattern, name, remove } = part;
  const control = h('input', { type: 'text', readonly: true, value: optionText(schema.const, form.lang) });
  return labelled(form, control, name, pointer, pattern, remove);
}

export function booleanPart(form, part) {
  const { pointer, pattern, name, value, remove } = part;
  const control = h('input', { type: 'checkbox', checked: value === true });
  control.addEventListener('change', () => form.set(pointer, control.checked));
  return labelled(form, control, name, pointer, pattern, remove);
}

/** A list of known options (an array of an enum): a checkbox per option, the list kept in the options' order. */
export function choicesPart(form, part) {
  const { schema, pointer, pattern, name, value, remove } = part;
  const options = resolve(form.root, schema.items).enum;
  const chosen = Array.isArray(value) ? value : [];
  const boxes = options.map((option) => {
    const box = h('input', {
      type: 'checkbox',
      checked: chosen.includes(option),
      'data-value': option,
      'data-pattern': `${part.base}/*`,
    });
    box.addEventListener('change', () => {
      const now = [...box.closest('fieldset').querySelectorAll('input[data-value]')]
        .filter((other) => other.checked)
        .map((other) => other.dataset.value);
      form.set(
        pointer,
        options.filter((known) => now.includes(String(known))),
      );
    });
    return h('label', { class: 'builder-check' }, box, optionText(option, form.lang));
  });
  return group(form, pointer, pattern, name, [h('div', { class: 'builder-choices' }, boxes)], remove);
}
