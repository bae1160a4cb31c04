import { h } from './dom.js';
import { nextId } from './rule-builder-layout.js';

/** Takes the problems shown before off the form: their messages, and their marks on the controls. */
function unmark(element) {
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
}

/**
 * Each problem (`{ pointer, detail }`) beside the control its pointer names (or the nearest part holding it),
 * announced with it; one no control holds, at the top of the form. Those shown before are taken off first.
 */
export function markProblems(element, problems) {
  unmark(element);
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
