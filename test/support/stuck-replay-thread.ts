import { parentPort } from 'node:worker_threads';

/** A replay thread that never ticks and, once given work, never comes back from it: a rule stuck in a loop. */
const nothingChanges = new Int32Array(new SharedArrayBuffer(4));
parentPort!.on('message', (message: { type: string }) => {
  if (message.type === 'work') Atomics.wait(nothingChanges, 0, 0);
});
