import type { Context } from 'hono';
import type { RuleProblem } from '../rules/rule-validation.js';
import { approvalOf } from './approvals.js';
import { requireRole, type AuthEnv } from './auth.js';
import { GUARDED_RESPONSES, problem, problemResponse } from './problem.js';
import type { Actor } from './audit-log.js';

/** What the rule and segment routes share: their security, roles, refusals, and who is asking. */
export const security = [{ bearer: [] }];
export const forAdmins = requireRole('admin');
export const forOperations = requireRole('support', 'admin');
export const refusals = {
  ...GUARDED_RESPONSES,
  400: problemResponse('The request is not valid; `errors` names each field by JSON pointer and what to fix'),
  403: problemResponse('The token’s role may not do this'),
};

/**
 * The employee behind a request, as the audit log records them: for an approved proposal, the admin who
 * proposed it, approved by the one whose request runs it.
 */
export function actorOf(c: Context<AuthEnv>): Actor {
  const { sub, role } = c.get('principal');
  const approved = approvalOf(c);
  if (approved)
    return {
      actorId: approved.proposedBy,
      actorRole: 'admin',
      approvedBy: approved.approvedBy,
      proposalId: approved.proposalId,
    };
  return { actorId: sub, actorRole: role };
}

/** A 400 naming every field to fix by JSON pointer. */
export function invalid(c: Context, problems: RuleProblem[]) {
  return problem(c, {
    title: 'Bad Request',
    status: 400,
    detail: `${problems[0]!.pointer || '/'}: ${problems[0]!.detail}`,
    errors: problems,
  });
}
