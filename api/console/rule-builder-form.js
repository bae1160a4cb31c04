import { h } from './dom.js';
import { language, t } from './i18n.js';
import { fieldHint, fieldText, keyText, optionText, presetKeys } from './rule-builder-fields.js';
import {
  discriminatorOf,
  emptyValue,
  enter,
  escape,
  isOptional,
  planOf,
  resolve,
  setAt,
  shapeOf,
  valueAt,
  variantIndex,
  variantsOf,
} from './rule-builder-schema.js';

let lastId = 0;
const nextId = (prefix) => `${prefix}-${++lastId}`;
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const FOCUSABLE = 'input, select, textarea, button';

/** The browser's UTC offset at a wall time, as an ISO time writes it (+02:00). */
function browserOffset(local) {
  const minutes = -new Date(local).getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A time of the document as two inputs show it: its wall time and its offset, as written. */
function splitTime(value) {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(
    value ?? '',
  );
  return match ? { local: match[1], offset: match[2] ?? '' } : { local: '', offset: '' };
}

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
  const opened = new Set();
  let draft = {};
  let problems = [];

  const label = (pattern) => fieldText(pattern, lang);
  const set = (pointer, value) => {
    draft = setAt(draft, pointer, value);
    onChange(draft);
  };
  /** An edit that adds, removes or changes the form's shape: drawn again, the focus where it belongs. */
  const reshape = (pointer, value, focus) => {
    set(pointer, value);
    draw(focus);
  };

  const button = (text, onclick, attributes = {}) =>
    h('button', { type: 'button', class: 'plain builder-button', onclick, ...attributes }, text);
  const hintOf = (pattern) => {
    const hint = fieldHint(pattern, lang);
    return hint ? { id: nextId('hint'), text: hint } : undefined;
  };

  /**
   * A control with its label (by `for`: a label wrapping a select would be named by its options too) and the
   * hint beside it; a checkbox after its box.
   */
  function fieldBox(name, control, hint) {
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
  function labelled(control, name, pointer, pattern, remove) {
    const hint = hintOf(pattern);
    control.dataset.pointer = pointer;
    control.dataset.pattern = pattern;
    if (hint) control.setAttribute('aria-describedby', hint.id);
    return h('div', { class: 'builder-row', 'data-part': pointer }, fieldBox(name, control, hint), remove);
  }

  function group(pointer, pattern, name, children, remove) {
    const hint = hintOf(pattern);
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

  /**
   * What an emptied control leaves: an optional field is left out; a required one, an element or a map's value
   * stays, empty (so a union's variant is still told by what it requires).
   */
  const emptied = (slot, text) => (slot === 'optional' ? undefined : text ? '' : null);

  function input(part, type, read, attributes = {}) {
    const { pointer, pattern, name, value, remove } = part;
    const control = h('input', { type, value: value ?? '', ...attributes });
    control.addEventListener('input', () => set(pointer, read(control)));
    return labelled(control, name, pointer, pattern, remove);
  }

  function numberPart(part) {
    const { schema, slot } = part;
    const integer = schema.type === 'integer';
    const min =
      schema.minimum ??
      (integer && schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
    return input(
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
  const textPart = (part, type = 'text') =>
    input(part, type, (control) => (control.value === '' ? emptied(part.slot, true) : control.value), {
      spellcheck: 'false',
      autocomplete: 'off',
      dir: type === 'text' ? 'auto' : undefined,
    });

  function jsonPart(part) {
    const shown = part.value === undefined ? '' : JSON.stringify(part.value);
    return input({ ...part, value: shown }, 'text', (control) => {
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

  function dateTimePart(part) {
    const { pointer, pattern, name, value, remove, slot } = part;
    const { local, offset } = splitTime(value);
    const date = h('input', { type: 'datetime-local', step: 60, value: local });
    const zone = h('input', {
      type: 'text',
      value: offset,
      size: 6,
      spellcheck: 'false',
      autocomplete: 'off',
      'data-offset-of': pointer,
      placeholder: '+02:00',
    });
    const update = () => {
      if (!date.value) return set(pointer, emptied(slot, true));
      if (!zone.value) zone.value = browserOffset(date.value);
      set(pointer, `${date.value.slice(0, 16)}:00${zone.value}`);
    };
    date.addEventListener('input', update);
    zone.addEventListener('input', update);
    const row = labelled(date, name, pointer, pattern, null);
    row.insertBefore(fieldBox(t('builder.offset', { field: name }), zone), row.children[1] ?? null);
    if (remove) row.append(remove);
    return row;
  }

  function enumPart(part) {
    const { schema, pointer, pattern, name, value, remove } = part;
    const control = h(
      'select',
      {},
      schema.enum.map((option, i) =>
        h('option', { value: i, selected: option === value ? true : undefined }, optionText(option, lang)),
      ),
    );
    if (!schema.enum.includes(value)) control.selectedIndex = -1;
    control.addEventListener('change', () => set(pointer, schema.enum[control.selectedIndex]));
    return labelled(control, name, pointer, pattern, remove);
  }

  function constPart(part) {
    const { schema, pointer, pattern, name, remove } = part;
    const control = h('input', { type: 'text', readonly: true, value: optionText(schema.const, lang) });
    return labelled(control, name, pointer, pattern, remove);
  }

  function booleanPart(part) {
    const { pointer, pattern, name, value, remove } = part;
    const control = h('input', { type: 'checkbox', checked: value === true });
    control.addEventListener('change', () => set(pointer, control.checked));
    return labelled(control, name, pointer, pattern, remove);
  }

  function choicesPart(part) {
    const { schema, pointer, pattern, name, value, remove } = part;
    const options = resolve(root, schema.items).enum;
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
        set(
          pointer,
          options.filter((known) => now.includes(String(known))),
        );
      });
      return h('label', { class: 'builder-check' }, box, optionText(option, lang));
    });
    return group(pointer, pattern, name, [h('div', { class: 'builder-choices' }, boxes)], remove);
  }

  /**
   * An object's properties but `skip` (a union's discriminator, which its chooser sets): those it has, then a
   * row of buttons adding each optional one it has not.
   */
  function propertiesOf(schema, pointer, base, skip) {
    const parts = Object.entries(schema.properties ?? {})
      .filter(([property]) => property !== skip)
      .map(([property, child]) => propertyPart(schema, child, property, pointer, base));
    const adds = parts.filter((part) => part.dataset.add !== undefined);
    return [
      ...parts.filter((part) => part.dataset.add === undefined),
      adds.length > 0 ? h('div', { class: 'builder-adds' }, adds) : null,
    ];
  }

  const objectPart = ({ schema, base, pointer, pattern, name, remove }) =>
    group(pointer, pattern, name, propertiesOf(schema, pointer, base), remove);

  /** A property of an object: drawn when required or present, else a button that adds it. */
  function propertyPart(parent, child, property, pointer, base) {
    const childPointer = `${pointer}/${escape(property)}`;
    const childPattern = `${base}/${escape(property)}`;
    if (!isOptional(root, parent, property))
      return render(child, childPointer, childPattern, { slot: 'required' });
    const value = valueAt(draft, childPointer);
    const name = label(childPattern);
    if ((value === undefined || value === null) && !opened.has(childPointer))
      return button(
        t('builder.add', { field: name }),
        () => {
          opened.add(childPointer);
          reshape(childPointer, emptyValue(root, child, childPattern, presetKeys), { part: childPointer });
        },
        { 'data-add': childPointer, 'data-pattern': childPattern },
      );
    const remove = button(t('builder.remove', { field: name }), () => {
      opened.delete(childPointer);
      reshape(childPointer, undefined, { add: childPointer });
    });
    return render(child, childPointer, childPattern, { slot: 'optional', remove });
  }

  function listPart(part) {
    const { schema, base, pointer, pattern, name, value, remove } = part;
    const items = Array.isArray(value) ? value : [];
    const itemPattern = `${base}/*`;
    const itemName = label(itemPattern);
    const itemShape = shapeOf(root, schema.items);
    const rows = items.map((_, i) => {
      const itemPointer = `${pointer}/${i}`;
      const numbered = t('builder.item', { field: itemName, n: i + 1 });
      const drop = button(t('builder.remove', { field: numbered }), () => {
        for (const open of [...opened]) if (open.startsWith(`${pointer}/`)) opened.delete(open);
        const next = i < items.length - 1 ? { part: itemPointer } : { add: pointer };
        reshape(itemPointer, undefined, next);
      });
      return render(schema.items, itemPointer, itemPattern, { slot: 'array', name: numbered, remove: drop });
    });
    const add = button(
      t('builder.add', { field: itemName }),
      () => {
        const blank = emptyValue(root, schema.items, itemPattern, presetKeys);
        const text = ['string', 'date-time', 'time'].includes(itemShape);
        reshape(`${pointer}/${items.length}`, blank ?? (text ? '' : null), {
          part: `${pointer}/${items.length}`,
        });
      },
      { 'data-add': `${pointer}/-`, 'data-pattern': itemPattern },
    );
    return group(pointer, pattern, name, [...rows, add], remove);
  }

  /** A map (a title per language, attributes): each entry its name and its value, added and removed. */
  function recordPart(part) {
    const { schema, base, pointer, pattern, name, value, remove } = part;
    const entries = Object.entries(isObject(value) ? value : {});
    const valuePattern = `${base}/*`;
    const keyName = keyText(pattern, lang);
    const rows = entries.map(([key], i) => {
      const entryPointer = `${pointer}/${escape(key)}`;
      const keyInput = h('input', {
        type: 'text',
        value: key,
        size: 12,
        spellcheck: 'false',
        autocomplete: 'off',
        'data-key-of': entryPointer,
      });
      keyInput.addEventListener('change', () => {
        const renamed = keyInput.value;
        // A name taken (or none) is not a rename: the entry keeps its name.
        if (renamed === key || renamed === '' || Object.hasOwn(value, renamed)) {
          keyInput.value = key;
          return;
        }
        const next = Object.fromEntries(
          Object.entries(value).map(([other, inner]) => [other === key ? renamed : other, inner]),
        );
        reshape(pointer, next, { key: `${pointer}/${escape(renamed)}` });
      });
      const entryName = t('builder.valueOf', { field: label(valuePattern), key });
      const drop = button(t('builder.remove', { field: entryName }), () =>
        reshape(entryPointer, undefined, { add: pointer }),
      );
      return h(
        'div',
        { class: 'builder-entry' },
        fieldBox(t('builder.item', { field: keyName, n: i + 1 }), keyInput),
        render(schema.additionalProperties, entryPointer, valuePattern, {
          slot: 'record',
          name: entryName,
          remove: drop,
        }),
      );
    });
    const add = button(
      t('builder.add', { field: keyName }),
      () => {
        const used = new Set(entries.map(([key]) => key));
        const preset = presetKeys(pattern).find((key) => !used.has(key));
        let key = preset;
        for (let n = entries.length + 1; key === undefined || used.has(key); n++) key = `name${n}`;
        const blank = emptyValue(root, schema.additionalProperties, valuePattern, presetKeys);
        reshape(`${pointer}/${escape(key)}`, blank ?? '', { key: `${pointer}/${escape(key)}` });
      },
      { 'data-add': `${pointer}/-`, 'data-pattern': valuePattern },
    );
    return group(pointer, pattern, name, [...rows, add], remove);
  }

  /** A value moved to another variant: what the two share kept, the rest the new variant's first value. */
  function converted(value, member, pattern) {
    const fresh = emptyValue(root, member, pattern, presetKeys);
    const variant = resolve(root, member);
    if (isObject(fresh)) {
      for (const [name, inner] of Object.entries(isObject(value) ? value : {}))
        if (name in (variant.properties ?? {}) && !(name in fresh)) fresh[name] = inner;
      // What the variant requires is there, empty, so the document says which variant it is.
      for (const name of variant.required ?? []) if (!(name in fresh)) fresh[name] = null;
      return fresh;
    }
    // A scalar keeps what it can of the value; it is never left out, which would drop a map's entry.
    const scalar = ['string', 'number', 'boolean'].includes(typeof value);
    if (variant.type === 'string') return scalar ? String(value) : '';
    if (['number', 'integer'].includes(variant.type)) {
      const number = scalar && value !== '' && typeof value !== 'boolean' ? Number(value) : NaN;
      return Number.isFinite(number) ? number : 0;
    }
    return fresh ?? null;
  }

  function unionPart(part) {
    const { schema, pointer, pattern, base, name, value, remove, slot } = part;
    const variants = variantsOf(root, schema);
    const index = variantIndex(root, schema, value);
    const discriminator = discriminatorOf(root, schema);
    const chooserPointer = discriminator ? `${pointer}/${discriminator}` : pointer;
    const chooserPattern = discriminator ? `${base}/${discriminator}` : pattern;
    const chooser = h(
      'select',
      { 'data-variant-of': pointer },
      variants.map((variant, i) =>
        h('option', { value: i, selected: i === index ? true : undefined }, optionText(variant.key, lang)),
      ),
    );
    chooser.addEventListener('change', () => {
      const member = variants[Number(chooser.value)].schema;
      reshape(pointer, converted(value, member, pattern), { control: chooserPointer });
    });
    const chooserName = discriminator ? label(chooserPattern) : t('builder.kindOf', { field: name });
    const chooserRow = labelled(chooser, chooserName, chooserPointer, chooserPattern, null);
    const chosen = variants[index].schema;
    const { schema: variant, base: variantBase } = enter(root, chosen, pattern, canonical);
    if (shapeOf(root, variant) === 'object') {
      const fields = propertiesOf(variant, pointer, variantBase, discriminator);
      return group(pointer, pattern, name, [chooserRow, ...fields], remove);
    }
    const inner = render(chosen, pointer, pattern, { slot, name });
    return h(
      'div',
      { class: 'builder-union', role: 'group', 'aria-label': name, 'data-part': pointer },
      chooserRow,
      shapeOf(root, variant) === 'null' ? null : inner,
      remove,
    );
  }

  /** The control of one part of the document, by the shape of its schema. */
  function render(node, pointer, pattern, extra = {}) {
    const { schema, base } = enter(root, node, pattern, canonical);
    const part = {
      schema,
      base,
      pointer,
      pattern,
      name: extra.name ?? label(pattern),
      value: valueAt(draft, pointer),
      remove: extra.remove ?? null,
      slot: extra.slot ?? 'required',
    };
    switch (shapeOf(root, schema)) {
      case 'object':
        return objectPart(part);
      case 'record':
        return recordPart(part);
      case 'list':
        return listPart(part);
      case 'choices':
        return choicesPart(part);
      case 'union':
        return unionPart(part);
      case 'nullable':
        return render(
          (schema.anyOf ?? schema.oneOf).find((member) => resolve(root, member).type !== 'null'),
          pointer,
          pattern,
          extra,
        );
      case 'enum':
        return enumPart(part);
      case 'const':
        return constPart(part);
      case 'boolean':
        return booleanPart(part);
      case 'number':
        return numberPart(part);
      case 'string':
        return textPart(part);
      case 'time':
        return textPart(part, 'time');
      case 'date-time':
        return dateTimePart(part);
      case 'json':
        return jsonPart(part);
      case 'null':
        return h('span', {});
      default:
        return h('p', { class: 'bad' }, t('builder.unsupported', { field: part.name }));
    }
  }

  const parts = () => [...element.querySelectorAll('[data-part]')];

  /** Where the focus goes after the form is drawn again: into a part, onto an add button, a chooser, a name. */
  function refocus(focus) {
    if (!focus) return;
    const find = (attribute, pointer) =>
      [...element.querySelectorAll(`[${attribute}]`)].find(
        (node) => node.getAttribute(attribute) === pointer,
      );
    const target = focus.part
      ? parts()
          .find((node) => node.dataset.part === focus.part)
          ?.querySelector(FOCUSABLE)
      : focus.add
        ? (find('data-add', focus.add) ?? find('data-add', `${focus.add}/-`))
        : focus.control
          ? find('data-pointer', focus.control)
          : find('data-key-of', focus.key);
    target?.focus();
  }

  function draw(focus) {
    element.replaceChildren(...propertiesOf(resolve(root, root), '', '').filter(Boolean));
    mark();
    refocus(focus);
  }

  /** Each problem beside the control its pointer names (or the nearest part holding it), announced with it. */
  function mark() {
    for (const old of element.querySelectorAll('.field-problem')) old.remove();
    for (const control of element.querySelectorAll('[data-problem-of]')) {
      control.removeAttribute('aria-invalid');
      const kept = (control.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter((id) => id && !id.startsWith('problem-'));
      if (kept.length > 0) control.setAttribute('aria-describedby', kept.join(' '));
      else control.removeAttribute('aria-describedby');
      control.removeAttribute('data-problem-of');
    }
    const controls = [...element.querySelectorAll('[data-pointer]')];
    for (const problem of problems) {
      let pointer = problem.pointer;
      let control = controls.find((node) => node.dataset.pointer === pointer);
      while (!control && pointer !== '') {
        pointer = pointer.slice(0, pointer.lastIndexOf('/'));
        control = controls.find((node) => node.dataset.pointer === pointer);
      }
      const id = nextId('problem');
      const message = h('p', { class: 'bad field-problem', id }, problem.detail);
      if (!control) {
        element.prepend(message);
        continue;
      }
      if (control.tagName === 'FIELDSET') control.querySelector('legend').after(message);
      else control.closest('.builder-row').append(message);
      if (control.tagName !== 'FIELDSET') control.setAttribute('aria-invalid', 'true');
      const described = control.getAttribute('aria-describedby');
      control.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
      control.setAttribute('data-problem-of', problem.pointer);
    }
  }

  return {
    element,
    /** Shows another document (from a template or the JSON beside the form). */
    load(next) {
      draft = isObject(next) ? next : {};
      opened.clear();
      draw();
    },
    document: () => draft,
    /** The API's problems of the document, each `{ pointer, detail }`. */
    showProblems(found) {
      problems = found;
      mark();
    },
    /** Moves the focus to the control a pointer names, or to the nearest part holding it. */
    focus(pointer) {
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
    },
  };
}
