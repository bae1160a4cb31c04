/**
 * How a replay workflow shows itself in the Temporal UI: its current details (markdown on the workflow's page)
 * and search attributes (columns of the workflow list). Workflow code: pure, deterministic.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { REPLAY_SEARCH_ATTRIBUTES, type ReplayStatus } from './replay-contract.js';

export function totalsOf(status: ReplayStatus) {
  let eventsReplayed = 0;
  let eventsTotal = 0;
  let clientsTouched = 0;
  for (const p of status.partitions) {
    eventsReplayed += p.eventsReplayed;
    eventsTotal += Math.max(p.eventsTotal, p.eventsReplayed);
    clientsTouched += p.clientsTouched;
  }
  const shareDone = eventsTotal === 0 ? (status.partitions.length > 0 ? 1 : 0) : eventsReplayed / eventsTotal;
  return { eventsReplayed, eventsTotal, clientsTouched, shareDone };
}

const count = (n: number) => n.toLocaleString('en');
const percent = (share: number) => `${Math.floor(share * 100)} %`;

const PARTITION_MARK = { replaying: '…', 'caught-up': 'caught up', merged: 'merged' } as const;

/** The markdown the Temporal UI shows as the workflow's current details. */
export function detailsOf(title: string, status: ReplayStatus, signals: string): string {
  const totals = totalsOf(status);
  const lines = [
    `**${title}** — ${status.phase}${status.paused ? ' (paused)' : ''}`,
    '',
    `- events replayed: ${count(totals.eventsReplayed)} of ${count(totals.eventsTotal)} (${percent(totals.shareDone)})`,
    `- clients touched: ${count(totals.clientsTouched)}`,
  ];
  if (status.unlocksFound + status.awarded > 0)
    lines.push(
      `- unlocks found: ${count(status.unlocksFound)} (times corrected: ${count(status.unlocksCorrected)}); awarded: ${count(status.awarded)}, ${count(status.pointsGranted)} points`,
    );
  if (status.cancelReason !== null) lines.push(`- cancelled: ${status.cancelReason}`);
  lines.push(
    `- partitions: ${status.partitions
      .map(
        (p) =>
          `${p.partition} ${p.status === 'replaying' ? percent(p.eventsTotal === 0 ? 1 : p.eventsReplayed / p.eventsTotal) : PARTITION_MARK[p.status]}`,
      )
      .join(' · ')}`,
    '',
    signals,
  );
  return lines.join('\n');
}

/** The search attributes a replay keeps current: its phase, share done, events replayed and clients touched. */
export function searchAttributesOf(status: ReplayStatus): SearchAttributeUpdatePair[] {
  const totals = totalsOf(status);
  return [
    { key: REPLAY_SEARCH_ATTRIBUTES.phase, value: status.paused ? `${status.phase} (paused)` : status.phase },
    { key: REPLAY_SEARCH_ATTRIBUTES.shareDone, value: totals.shareDone },
    { key: REPLAY_SEARCH_ATTRIBUTES.eventsReplayed, value: totals.eventsReplayed },
    { key: REPLAY_SEARCH_ATTRIBUTES.clientsTouched, value: totals.clientsTouched },
  ];
}
