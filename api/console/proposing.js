import { get, post } from './api.js';

/** Whether the API wants a second admin for activations, stops, erasures and redrives (CONTRACT §6). */
export const approvalMode = async () => (await get('/v1/admin/approvals')).mode;

/**
 * Runs an action two admins decide: where the API is four-eyes, proposes it for another admin to approve on the
 * Approvals page; where it is single-admin (local development), runs it at once.
 */
export async function proposeOrRun(mode, { kind, action, reason, run }) {
  if (mode === 'single') return { ran: await run() };
  return { proposed: await post('/v1/admin/proposals', { kind, action, reason }) };
}
