// Every workflow the worker runs; the worker bundles this module (and nothing it does not import).
export { expirePointsWorkflow } from './expiry.workflow.js';
export { rewardWorkflow } from './reward.workflow.js';
export { backfillWorkflow } from './backfill.workflow.js';
export { dryRunWorkflow } from './dry-run.workflow.js';
