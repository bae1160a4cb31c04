/** `npm run build:workflows`: prebuilds the workflow bundle that production workers load (dist/). */
import { buildWorkflowBundle } from '../workflows/bundle.js';

console.log(`workflow bundle written to ${await buildWorkflowBundle()}`);
