import { h } from './dom.js';
import { t } from './i18n.js';
import {
  booleanPart,
  choicesPart,
  constPart,
  enumPart,
  jsonPart,
  numberPart,
  textPart,
} from './rule-builder-controls.js';
import { listPart, recordPart } from './rule-builder-lists.js';
import { objectPart } from './rule-builder-objects.js';
import { enter, resolve, shapeOf } from './rule-builder-schema.js';
import { dateTimePart } from './rule-builder-time.js';
import { unionPart } from './rule-builder-unions.js';

/**
 * The control of one part of the document, by the shape of its schema. Each drawing function gets the form
 * (see rule-builder-form.js) and the part: its `schema` and `base` pattern once entered, its `pointer`,
 * `pattern`, `name`, `value`, `remove` button and `slot` (required, optional, array or record). A part
 * holding others draws them through `form.render`, which comes back here.
 */
export function render(form, node, pointer, pattern, extra = {}) {
  const { root, canonical } = form;
  const { schema, base } = enter(root, node, pattern, canonical);
  const part = {
    schema,
    base,
    pointer,
    pattern,
    name: extra.name ?? form.label(pattern),
    value: form.valueAt(pointer),
    remove: extra.remove ?? null,
    slot: extra.slot ?? 'required',
  };
  switch (shapeOf(root, schema)) {
    case 'object':
      return objectPart(form, part);
    case 'record':
      return recordPart(form, part);
    case 'list':
      return listPart(form, part);
    case 'choices':
      return choicesPart(form, part);
    case 'union':
      return unionPart(form, part);
    case 'nullable':
      return render(
        form,
        (schema.anyOf ?? schema.oneOf).find((member) => resolve(root, member).type !== 'null'),
        pointer,
        pattern,
        extra,
      );
    case 'enum':
      return enumPart(form, part);
    case 'const':
      return constPart(form, part);
    case 'boolean':
      return booleanPart(form, part);
    case 'number':
      return numberPart(form, part);
    case 'string':
      return textPart(form, part);
    case 'time':
      return textPart(form, part, 'time');
    case 'date-time':
      return dateTimePart(form, part);
    case 'json':
      return jsonPart(form, part);
    case 'null':
      return h('span', {});
    default:
      return h('p', { class: 'bad' }, t('builder.unsupported', { field: part.name }));
  }
}
