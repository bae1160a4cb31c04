import { hasKey } from './entries.js';
import { LATENESS_MS, type ClientProgress } from './progress.js';

/**
 * Refunds (CONTRACT §2): a refund takes back what it covers of its purchase, whether it arrives before or after
 * it, and the same refund id counts once. One that arrives before its purchase is remembered for as long as
 * that purchase could still count: until it is itself dated more than `LATENESS_MS` before the client's
 * newest transaction (a purchase is not dated after its refund). A forgotten refund leaves no trace: delivered
 * again after its purchase, it counts as new.
 */

const STRIDE = 4;

export interface RefundReceived {
  refundKey: number;
  purchaseKey: number;
  amount: number;
  timeMs: number;
}

/** Purchase key → the total its remembered refunds cover. */
export function refundedAmounts(flat: number[]): Map<number, number> {
  const refunded = new Map<number, number>();
  for (let i = 0; i < flat.length; i += STRIDE) {
    refunded.set(flat[i + 1]!, (refunded.get(flat[i + 1]!) ?? 0) + flat[i + 2]!);
  }
  return refunded;
}

const heldByAnyRule = (progress: ClientProgress, purchaseKey: number) =>
  Object.values(progress.rules).some((rule) => hasKey(rule.entries, purchaseKey));

/** The refunds still worth keeping: those of a purchase a rule holds, and those recent enough to wait for theirs. */
function stillUseful(progress: ClientProgress): number[] {
  const floor = progress.transactionsHorizonMs - LATENESS_MS;
  const { refunds } = progress;
  const kept: number[] = [];
  for (let i = 0; i < refunds.length; i += STRIDE) {
    if (refunds[i + 3]! >= floor || heldByAnyRule(progress, refunds[i + 1]!)) {
      kept.push(...refunds.slice(i, i + STRIDE));
    }
  }
  return kept;
}

/** The progress after a refund: remembered unless it is a repeat, or too late and its purchase unknown. */
export function withRefund(progress: ClientProgress, refund: RefundReceived): ClientProgress {
  const { refunds } = progress;
  for (let i = 0; i < refunds.length; i += STRIDE) if (refunds[i] === refund.refundKey) return progress;
  const tooLate = refund.timeMs < progress.transactionsHorizonMs - LATENESS_MS;
  const kept = stillUseful(progress);
  if (tooLate && !heldByAnyRule(progress, refund.purchaseKey)) {
    return kept.length === refunds.length ? progress : { ...progress, refunds: kept };
  }
  kept.push(refund.refundKey, refund.purchaseKey, refund.amount, refund.timeMs);
  return { ...progress, refunds: kept };
}

/** Whether the refund at `i` is of `purchaseKey` and dated before `floor`: too old to take from it. */
const isForgotten = (refunds: number[], i: number, purchaseKey: number, floor: number) =>
  refunds[i + 1] === purchaseKey && refunds[i + 3]! < floor;

/**
 * The progress as a purchase arrives: refunds that came before it but are dated too long ago are forgotten,
 * so they take nothing from it (a forgotten refund delivered again later is a new one). A purchase some rule
 * already holds is a repeat: its refunds stay as they are.
 */
export function withPurchaseArrived(progress: ClientProgress, purchaseKey: number): ClientProgress {
  const floor = progress.transactionsHorizonMs - LATENESS_MS;
  const { refunds } = progress;
  // Most purchases have no such refund: that is asked first, since whether a rule holds the purchase reads
  // every rule's entries.
  let any = false;
  for (let i = 0; i < refunds.length && !any; i += STRIDE) any = isForgotten(refunds, i, purchaseKey, floor);
  if (!any || heldByAnyRule(progress, purchaseKey)) return progress;
  const kept: number[] = [];
  for (let i = 0; i < refunds.length; i += STRIDE)
    if (!isForgotten(refunds, i, purchaseKey, floor)) kept.push(...refunds.slice(i, i + STRIDE));
  return { ...progress, refunds: kept };
}

/** Both lists' refunds, a refund both hold (the same refund key) kept once. */
export function unionRefunds(flat: number[], other: number[]): number[] {
  const known = new Set<number>();
  for (let i = 0; i < flat.length; i += STRIDE) known.add(flat[i]!);
  const union = [...flat];
  for (let i = 0; i < other.length; i += STRIDE) {
    if (!known.has(other[i]!)) union.push(...other.slice(i, i + STRIDE));
  }
  return union.length === flat.length ? flat : union;
}
