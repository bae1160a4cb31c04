import { h } from './dom.js';
import { t } from './i18n.js';
import { presetKeys } from './rule-builder-fields.js';
import { button, group } from './rule-builder-layout.js';
import { emptyValue, escape, isOptional } from './rule-builder-schema.js';

/**
 * An object's properties but `skip` (a union's discriminator, which its chooser sets): those it has, then a
 * row of buttons adding each optional one it has not.
 */
export function propertiesOf(form, schema, pointer, base, skip) {
  const parts = Object.entries(schema.properties ?? {})
    .filter(([property]) => property !== skip)
    .map(([property, child]) => propertyPart(form, schema, child, property, pointer, base));
  const adds = parts.filter((part) => part.dataset.add !== undefined);
  return [
    ...parts.filter((part) => part.dataset.add === undefined),
    adds.length > 0 ? h('div', { class: 'builder-adds' }, adds) : null,
  ];
}

export const objectPart = (form, { schema, base, pointer, pattern, name, remove }) =>
  group(form, pointer, pattern, name, propertiesOf(form, schema, pointer, base), remove);

/** A property of an object: drawn when required or present, else a button that adds it. */
function propertyPart(form, parent, child, property, pointer, base) {
  const { root, opened } = form;
  const childPointer = `${pointer}/${escape(property)}`;
  const childPattern = `${base}/${escape(property)}`;
  if (!isOptional(root, parent, property))
    return form.render(child, childPointer, childPattern, { slot: 'required' });
  const value = form.valueAt(childPointer);
  const name = form.label(childPattern);
  if ((value === undefined || value === null) && !opened.has(childPointer))
    return button(
      t('builder.add', { field: name }),
      () => {
        opened.add(childPointer);
        form.reshape(childPointer, emptyValue(root, child, childPattern, presetKeys), { part: childPointer });
      },
      { 'data-add': childPointer, 'data-pattern': childPattern },
    );
  const remove = button(t('builder.remove', { field: name }), () => {
    opened.delete(childPointer);
    form.reshape(childPointer, undefined, { add: childPointer });
  });
  return form.render(child, childPointer, childPattern, { slot: 'optional', remove });
}
