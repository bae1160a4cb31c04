import { freePort, killGroup, startRole, type Child, type EngineRole } from '../../scripts/children.js';
import { startFakePartner } from './partner.js';
import { temporalClient } from './replays.js';
import { ownEngine } from './roles.js';
import { migratedSchema, testKafka } from './stack.js';

const PARTNER_SECRET = 'coffee-house-fault-suite-secret';

/**
 * The whole engine as a deployment runs it, on a test's own schema, topics, consumer groups and task queues:
 * two processors, a worker and the API, each `main.ts <role>` in a process of its own that a fault can kill,
 * configured only through their environment (`env` adds to it, as a test's own token lifetime), and the
 * coffee-house partner fulfilling every request with a voucher. `app` sends requests to the API process.
 */
export async function startWholeSystem(env: Record<string, string> = {}) {
  const kafka = testKafka();
  const db = await migratedSchema();
  const engine = await ownEngine(kafka, db.schema);
  const temporal = await temporalClient();
  const partner = await startFakePartner(PARTNER_SECRET, { kind: 'fulfil', voucherCode: 'FAULT-VOUCHER' });
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const roleEnv = {
    ...engine.env,
    PORT: String(port),
    PUBLIC_BASE_URL: apiUrl,
    PARTNER_COFFEE_HOUSE_URL: partner.url,
    PARTNER_COFFEE_HOUSE_SECRET: PARTNER_SECRET,
    ...env,
  };
  const children: Record<EngineRole, Child[]> = { processor: [], worker: [], api: [] };
  const logs: Record<string, unknown>[] = [];
  const onLine = (line: string) => {
    if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    else process.stdout.write(`${line}\n`);
  };
  const start = async (role: EngineRole) => {
    const child = await startRole(role, roleEnv, { onLine });
    children[role].push(child);
    return child;
  };
  // The first role seeds the default rules (every role's start does, once per database) before the others.
  await start('processor');
  await Promise.all([start('processor'), start('worker'), start('api')]);

  const alive = (role: EngineRole) =>
    children[role].filter((child) => child.process.exitCode === null && child.process.signalCode === null);
  const every = () => Object.values(children).flat();
  return {
    kafka,
    db,
    inputs: engine.inputs,
    outputs: engine.outputs,
    redrive: engine.topics.redrive,
    topics: engine.topics,
    /** The environment every role is started with. */
    roleEnv,
    deadLetters: engine.topics.deadLetters,
    queues: engine.queues,
    temporal: temporal.client,
    partner,
    partnerSecret: PARTNER_SECRET,
    apiUrl,
    /** Requests to the API process, as `requestsAs` sends them to an app. */
    app: { request: (path: string, init: RequestInit) => fetch(`${apiUrl}${path}`, init) },
    startProcessor: () => start('processor'),
    startWorker: () => start('worker'),
    startApi: () => start('api'),
    /** The processes of a role running now. */
    processors: () => alive('processor'),
    workers: () => alive('worker'),
    apis: () => alive('api'),
    /** Every line the roles logged (at LOG_LEVEL, fatal unless `env` sets it), parsed. */
    logs: () => logs,
    /** What every process ever started here has done: none may have exited by itself. */
    exitedByThemselves: () => every().filter((child) => child.process.exitCode !== null).length,
    health: async () =>
      (await (await fetch(`${apiUrl}/health`)).json()) as {
        status: string;
        dependencies: Record<string, { status: string }>;
      },
    stop: async () => {
      for (const child of every()) killGroup(child);
      await partner.close();
      await temporal.close();
      await db.drop();
    },
  };
}

export type WholeSystem = Awaited<ReturnType<typeof startWholeSystem>>;
