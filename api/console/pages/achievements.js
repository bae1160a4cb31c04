import { get } from '../api.js';
import { barChart } from '../charts.js';
import { h, table } from '../dom.js';
import { t } from '../i18n.js';

const dayPoints = (perDay) => perDay.map(({ day, unlocks }) => ({ label: day.slice(5), value: unlocks }));

/** One achievement: unlocks per day, and how far along those who do not hold it yet are. */
async function details(id, into) {
  const stats = await get(`/v1/admin/achievements/${encodeURIComponent(id)}/stats`);
  into.replaceChildren(
    h('h2', { tabindex: -1 }, id),
    h('p', {}, `${t('ach.holders')}: ${stats.unlocked}`),
    barChart(t('ach.perDay', { id }), dayPoints(stats.unlocksPerDay)),
    barChart(
      t('ach.histogram', { id }),
      stats.progress.map(({ from, to, clients }) => ({
        label: `${Math.round(from * 100)}–${Math.round(to * 100)}%`,
        value: clients,
      })),
    ),
  );
  into.querySelector('h2').focus();
}

/** The catalog with, per achievement, its holders and a small chart of unlocks per day. */
export async function achievementsPage({ report }) {
  const [{ achievements }, catalog] = await Promise.all([get('/v1/admin/achievements'), get('/v1/catalog')]);
  const texts = new Map(catalog.achievements.map((achievement) => [achievement.id, achievement]));
  const detail = h('section', { 'aria-live': 'polite', id: 'achievement-details' });
  const rows = achievements.map(({ achievementId, unlocked, unlocksPerDay }) => [
    h('span', {}, texts.get(achievementId)?.title ?? achievementId, h('br'), h('code', {}, achievementId)),
    String(texts.get(achievementId)?.points ?? ''),
    h('strong', { 'data-holders': achievementId }, String(unlocked)),
    barChart(`${t('ach.last30')}: ${achievementId}`, dayPoints(unlocksPerDay), { width: 300, height: 60 }),
    h(
      'button',
      { class: 'plain', onclick: () => details(achievementId, detail).catch(report) },
      `${t('ach.open')}: ${achievementId}`,
    ),
  ]);
  return h(
    'div',
    {},
    h('h1', {}, t('ach.title')),
    h(
      'section',
      {},
      table(t('ach.title'), [t('ach.id'), t('ach.points'), t('ach.holders'), t('ach.last30'), ''], rows),
    ),
    detail,
  );
}
