import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv } from './auth.js';
import { problem } from './problem.js';

/**
 * Four-eyes approvals (CONTRACT §6): in `four-eyes` mode an activation, a deactivation, an erasure or a redrive
 * runs only as an approved proposal, never on one admin's request; `single` (local development only, refused
 * in production by the configuration) lets one admin run them directly.
 */
export type ApprovalMode = 'four-eyes' | 'single';

export interface ApprovalSettings {
  mode: ApprovalMode;
  /** How long a proposal waits for its second admin. */
  proposalTtlMs: number;
}

/**
 * The proposal a request runs for: set only by the approval's own dispatch, never from anything sent. The
 * request is the approving admin's (auth.ts takes it as theirs), its audit entry the proposer's (operations.ts).
 */
export interface Approved {
  proposalId: string;
  proposedBy: string;
  approvedBy: string;
}

/** A symbol in the request's environment: a caller over HTTP can neither send nor forge it. */
const APPROVED = Symbol('approved proposal');

export const approvedEnvironment = (approved: Approved) => ({ [APPROVED]: approved });

export function approvalOf(c: Context): Approved | undefined {
  const env = c.env as Record<symbol, Approved | undefined> | undefined;
  return env?.[APPROVED];
}

/** In front of each action a proposal stands for: in four-eyes mode, only an approved proposal passes. */
export function requireApproval(settings: ApprovalSettings, kind: string): MiddlewareHandler<AuthEnv> {
  return async function approvedOnly(c, next) {
    if (settings.mode === 'single' || approvalOf(c) !== undefined) return next();
    return problem(c, {
      title: 'Forbidden',
      status: 403,
      detail: `Two admins decide this: propose it with POST /v1/admin/proposals { "kind": "${kind}", … }, and another admin approves it.`,
    });
  };
}
