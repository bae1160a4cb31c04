import { h } from './dom.js';
import { t } from './i18n.js';
import { emptied } from './rule-builder-controls.js';
import { fieldBox, labelled } from './rule-builder-layout.js';

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
 * A date-time as two inputs, its wall time and its offset beside it (a datetime-local input has no offset);
 * an offset left empty becomes the browser's at that wall time.
 */
export function dateTimePart(form, part) {
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
    if (!date.value) return form.set(pointer, emptied(slot, true));
    if (!zone.value) zone.value = browserOffset(date.value);
    form.set(pointer, `${date.value.slice(0, 16)}:00${zone.value}`);
  };
  date.addEventListener('input', update);
  zone.addEventListener('input', update);
  const row = labelled(form, date, name, pointer, pattern, null);
  row.insertBefore(fieldBox(t('builder.offset', { field: name }), zone), row.children[1] ?? null);
  if (remove) row.append(remove);
  return row;
}
