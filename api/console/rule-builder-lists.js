import { h } from './dom.js';
import { t } from './i18n.js';
import { keyText, presetKeys } from './rule-builder-fields.js';
import { button, fieldBox, group } from './rule-builder-layout.js';
import { emptyValue, escape, isObject, shapeOf } from './rule-builder-schema.js';

/** An array: each element numbered with its remove button, then a button adding one more. */
export function listPart(form, part) {
  const { root, opened } = form;
  const { schema, base, pointer, pattern, name, value, remove } = part;
  const items = Array.isArray(value) ? value : [];
  const itemPattern = `${base}/*`;
  const itemName = form.label(itemPattern);
  const itemShape = shapeOf(root, schema.items);
  const rows = items.map((_, i) => {
    const itemPointer = `${pointer}/${i}`;
    const numbered = t('builder.item', { field: itemName, n: i + 1 });
    const drop = button(t('builder.remove', { field: numbered }), () => {
      for (const open of [...opened]) if (open.startsWith(`${pointer}/`)) opened.delete(open);
      const next = i < items.length - 1 ? { part: itemPointer } : { add: pointer };
      form.reshape(itemPointer, undefined, next);
    });
    return form.render(schema.items, itemPointer, itemPattern, {
      slot: 'array',
      name: numbered,
      remove: drop,
    });
  });
  const add = button(
    t('builder.add', { field: itemName }),
    () => {
      const blank = emptyValue(root, schema.items, itemPattern, presetKeys);
      const text = ['string', 'date-time', 'time'].includes(itemShape);
      form.reshape(`${pointer}/${items.length}`, blank ?? (text ? '' : null), {
        part: `${pointer}/${items.length}`,
      });
    },
    { 'data-add': `${pointer}/-`, 'data-pattern': itemPattern },
  );
  return group(form, pointer, pattern, name, [...rows, add], remove);
}

/** A map (a title per language, attributes): each entry its name and its value, added and removed. */
export function recordPart(form, part) {
  const { schema, base, pointer, pattern, name, value, remove } = part;
  const entries = Object.entries(isObject(value) ? value : {});
  const valuePattern = `${base}/*`;
  const keyName = keyText(pattern, form.lang);
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
      form.reshape(pointer, next, { key: `${pointer}/${escape(renamed)}` });
    });
    const entryName = t('builder.valueOf', { field: form.label(valuePattern), key });
    const drop = button(t('builder.remove', { field: entryName }), () =>
      form.reshape(entryPointer, undefined, { add: pointer }),
    );
    return h(
      'div',
      { class: 'builder-entry' },
      fieldBox(t('builder.item', { field: keyName, n: i + 1 }), keyInput),
      form.render(schema.additionalProperties, entryPointer, valuePattern, {
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
      const blank = emptyValue(form.root, schema.additionalProperties, valuePattern, presetKeys);
      form.reshape(`${pointer}/${escape(key)}`, blank ?? '', { key: `${pointer}/${escape(key)}` });
    },
    { 'data-add': `${pointer}/-`, 'data-pattern': valuePattern },
  );
  return group(form, pointer, pattern, name, [...rows, add], remove);
}
