import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : String(child));
  return element;
}

/**
 * A bar chart of `points` ({ label, value }), drawn as SVG with no library. It is an image named by `title`
 * for assistive technology, with the numbers in a table beside it for those who cannot see it.
 */
export function barChart(title, points, { width = 640, height = 160 } = {}) {
  const top = Math.max(1, ...points.map((point) => point.value));
  const bottom = 24;
  // A few bars stay bars, not slabs.
  const slot = Math.min(48, width / Math.max(1, points.length));
  const bars = points.map((point, i) => {
    const barHeight = ((height - bottom - 12) * point.value) / top;
    return s(
      'g',
      {},
      s('rect', {
        class: 'bar',
        x: i * slot + 1,
        y: height - bottom - barHeight,
        width: Math.max(1, slot - 2),
        height: barHeight,
      }),
      s('title', {}, `${point.label}: ${point.value}`),
    );
  });
  // Every n-th label, so that none runs into the next (about 6 units a character at this size).
  const widest = Math.max(1, ...points.map((point) => String(point.label).length)) * 6 + 6;
  const every = Math.max(1, Math.ceil(widest / slot));
  const labels = points
    .map((point, i) => [point, i])
    .filter(([, i]) => i % every === 0)
    .map(([point, i]) => s('text', { x: i * slot + 2, y: height - 8 }, point.label));
  const chart = s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    s('text', { x: 2, y: 10 }, String(top)),
    ...bars,
    ...labels,
  );
  return h(
    'figure',
    {},
    chart,
    h(
      'details',
      {},
      h('summary', {}, title),
      h(
        'table',
        {},
        h(
          'tbody',
          {},
          points.map((point) =>
            h('tr', {}, h('th', { scope: 'row' }, point.label), h('td', {}, String(point.value))),
          ),
        ),
      ),
    ),
  );
}
