import { h } from './dom.js';
import { t } from './i18n.js';
import { optionText, presetKeys } from './rule-builder-fields.js';
import { group, labelled } from './rule-builder-layout.js';
import { propertiesOf } from './rule-builder-objects.js';
import {
  discriminatorOf,
  emptyValue,
  enter,
  isObject,
  resolve,
  shapeOf,
  variantIndex,
  variantsOf,
} from './rule-builder-schema.js';

/** A value moved to another variant: what the two share kept, the rest the new variant's first value. */
function converted(root, value, member, pattern) {
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

/**
 * A union: a chooser of its variants (the discriminator's control, when it has one), then the chosen
 * variant's fields; choosing another converts the value.
 */
export function unionPart(form, part) {
  const { root, canonical } = form;
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
      h('option', { value: i, selected: i === index ? true : undefined }, optionText(variant.key, form.lang)),
    ),
  );
  chooser.addEventListener('change', () => {
    const member = variants[Number(chooser.value)].schema;
    form.reshape(pointer, converted(root, value, member, pattern), { control: chooserPointer });
  });
  const chooserName = discriminator ? form.label(chooserPattern) : t('builder.kindOf', { field: name });
  const chooserRow = labelled(form, chooser, chooserName, chooserPointer, chooserPattern, null);
  const chosen = variants[index].schema;
  const { schema: variant, base: variantBase } = enter(root, chosen, pattern, canonical);
  if (shapeOf(root, variant) === 'object') {
    const fields = propertiesOf(form, variant, pointer, variantBase, discriminator);
    return group(form, pointer, pattern, name, [chooserRow, ...fields], remove);
  }
  const inner = form.render(chosen, pointer, pattern, { slot, name });
  return h(
    'div',
    { class: 'builder-union', role: 'group', 'aria-label': name, 'data-part': pointer },
    chooserRow,
    shapeOf(root, variant) === 'null' ? null : inner,
    remove,
  );
}
