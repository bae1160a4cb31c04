import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./index.ts', import.meta.url));

/** Where `npm run build:workflows` writes the prebuilt workflow bundle that production workers load. */
export const WORKFLOW_BUNDLE = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

/** Bundles the workflows once, ahead of deployment, so a production worker starts without webpack. */
export async function buildWorkflowBundle(outFile = WORKFLOW_BUNDLE): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return outFile;
}

/**
 * Production workers load the prebuilt bundle (and refuse to start without one); elsewhere the current source
 * is bundled, once for every worker of the process, so a stale bundle can never run in development.
 */
export async function workflowSource(production: boolean) {
  if (!production) return { workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH }) };
  if (!existsSync(WORKFLOW_BUNDLE))
    throw new Error(`no workflow bundle at ${WORKFLOW_BUNDLE}; run npm run build:workflows`);
  return { workflowBundle: { codePath: WORKFLOW_BUNDLE } };
}
