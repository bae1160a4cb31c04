import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, type Catalog } from '../../rules/catalog.js';
import type { ReplayStatus } from '../../workflows/replay-contract.js';
import { killGroup } from '../../scripts/children.js';
import { downStack, upStack, type Service } from '../../scripts/stack/stack.js';
import { catalog, eventually, nextWrittenAt, processedToEnds, produceEvents } from '../support/engine.js';
import { purchase } from '../support/events.js';
import {
  differences,
  engineOutcome,
  outcomeOf,
  type RulesSince,
  publishedUnlocks,
  rewardsSettled,
  unlockIdsOf,
  unlocksInHistory,
} from '../support/exact-outcome.js';
import { startWholeSystem, type WholeSystem } from '../support/whole-system.js';
import { startSteadyLoad, type SteadyLoad } from '../support/steady-load.js';
import { coffeeFanRule } from '../support/coffee-fan-rule.js';
import { uniqueName } from '../support/stack.js';
import { requestsAs } from '../support/tokens.js';
import { budgetCandidates, budgetDecisions, budgetedBadgeRule } from '../support/budget-outcome.js';

/** Purchases per second the producer keeps writing through every fault. */
const RATE = 40;
/** Unlocks each fault's budgeted rule grants: used up a second after the fault strikes. */
const BUDGET = RATE * 4;
/**
 * How long the partner stays down: 30 s within `npm test` (CI's time budget), minutes in `npm run test:faults`,
 * which sets FAULT_PARTNER_DOWN_S.
 */
const PARTNER_DOWN_MS = Number(process.env.FAULT_PARTNER_DOWN_S ?? 30) * 1_000;
const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

describe('faults under steady load: nothing lost, nothing twice', () => {
  let system: WholeSystem;

  beforeAll(async () => {
    // Backfills replay in chunks of 2,000 records (one activity each), not a partition's whole history at once:
    // the worker killed mid-backfill then finds one running. Replayed whole, a partition of that test's history
    // took a fraction of a second, and the kill once landed after it (no activity ran again).
    system = await startWholeSystem({ BACKFILL_CHUNK_RECORDS: '2000' });
  });

  afterAll(async () => {
    await system?.stop();
  });

  const pids = () => system.processors().map((child) => child.process.pid);

  /** Waits until /health reports `service` as `status`, and answers how the whole report read then. */
  const healthSays = (service: Service, status: 'up' | 'down') =>
    eventually(
      () => system.health(),
      (report) => report.dependencies[service]?.status === status,
      120_000,
    );

  const admin = (method: string, path: string, body?: unknown) =>
    requestsAs(system.app, { role: 'admin', sub: 'emp-3' })(method, path, body);

  /** The budgeted rules opened so far, whose granted unlocks the engine holds beside the default rules' ones. */
  const budgets: { ruleId: string; catalog: Catalog }[] = [];

  /**
   * Activates a budgeted rule of the load's own, counting every purchase of it, so that its budget is being
   * spent when the fault strikes: the first BUDGET unlocks granted, every later one refused.
   */
  async function openBudget(merchantId: string) {
    const rule = budgetedBadgeRule(merchantId, BUDGET);
    expect((await admin('POST', '/v1/admin/rules', rule)).status).toBe(201);
    expect((await admin('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`)).status).toBe(202);
    const budget = {
      ruleId: rule.id,
      catalog: buildCatalog([{ source: rule.id, document: { version: 1, ...rule } }]),
    };
    budgets.push(budget);
    return budget;
  }

  /** The unlocks every budget so far granted: lines "client achievement" and their ids. */
  async function budgetsGranted() {
    const decisions = await Promise.all(budgets.map(({ ruleId }) => budgetDecisions(system.db.pool, ruleId)));
    return {
      lines: decisions.flatMap((decided) => decided.grantedLines),
      ids: decisions.flatMap((decided) => decided.grantedIds),
    };
  }

  /**
   * Runs `fault` while the producer writes, lets the load go on a few seconds after it, then compares the
   * engine's unlocks, ledger grants, rewards and published unlock records with what `decide` makes of the
   * whole input topic: exactly equal, so nothing was lost and nothing counted or granted twice. The load's
   * budgeted rule must have decided each of its unlocks once, granting exactly the first BUDGET.
   */
  async function underLoad(
    name: string,
    fault: (load: SteadyLoad) => Promise<void>,
    ruleSets: RulesSince[] = [{ catalog, sinceMs: 0 }],
  ) {
    const started = Date.now();
    const merchantId = uniqueName('m-budget');
    const budget = await openBudget(merchantId);
    const load = await startSteadyLoad(system.kafka, system.inputs.transactions, RATE, merchantId);
    await load.reached(RATE * 3);
    await fault(load);
    // Past the fault, and past twice the budget in all: more candidates than the budget grants, however many
    // records came before the rule was live on their partition or while the fault held the producer back.
    await load.reached(Math.max(load.written() + RATE * 3, BUDGET * 2));
    await load.stop();

    await processedToEnds(system.db.pool, system.kafka, system.inputs, 240_000);
    const candidates = await budgetCandidates(
      system.db.pool,
      system.kafka,
      system.inputs.transactions,
      budget.ruleId,
      budget.catalog,
    );
    const budgeted = await budgetDecisions(system.db.pool, budget.ruleId);
    expect(candidates.length).toBeGreaterThan(BUDGET);
    expect(differences(budgeted.decided, candidates)).toEqual({ unexpected: [], missing: [] });
    expect(budgeted.grantedIds).toHaveLength(BUDGET);
    expect(budgeted).toMatchObject({ spent: BUDGET, closed: true });

    const history = await unlocksInHistory(system.kafka, system.inputs.transactions, ruleSets);
    const granted = await budgetsGranted();
    const catalogs = [...ruleSets.map((rules) => rules.catalog), ...budgets.map((opened) => opened.catalog)];
    const expected = outcomeOf([...history.unlocks, ...granted.lines], catalogs, 'FAULT-VOUCHER');
    // Unlocks are committed with the offsets just waited for; the rewards follow them through Temporal.
    const unlocked = await engineOutcome(system.db.pool);
    expect(differences(unlocked.unlocks, expected.unlocks)).toEqual({ unexpected: [], missing: [] });
    await rewardsSettled(system.db.pool, expected.rewards.length);
    const actual = await engineOutcome(system.db.pool);
    expect(actual.unlocks).toEqual(expected.unlocks);
    expect(actual.grants).toEqual(expected.grants);
    expect(actual.rewards).toEqual(expected.rewards);
    const published = await publishedUnlocks(system.kafka, system.outputs.unlocked);
    expect(published.ids).toEqual([...unlockIdsOf(history.unlocks), ...granted.ids].sort());
    expect(system.exitedByThemselves()).toBe(0);
    console.log(
      `fault "${name}": ${load.written()} records written under load (${load.failedSends()} sends retried); ` +
        `all told ${history.records} records, ` +
        `${history.clients} clients, ${expected.unlocks.length} unlocks, ${expected.grants.length} grants, ` +
        `${expected.rewards.length} rewards settled, ${published.repeats} unlock records published again; ` +
        `budget: ${BUDGET} of ${candidates.length} unlocks granted; ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }

  it('kill -9 of every processor mid-load, then a fresh start', async () => {
    await underLoad('kill -9 the processors', async () => {
      for (const child of system.processors()) killGroup(child);
      await sleep(1_000);
      await Promise.all([system.startProcessor(), system.startProcessor()]);
    });
  });

  it('one of two processors killed: the other takes over its partitions', async () => {
    await underLoad('kill one of two processors', async (load) => {
      killGroup(system.processors()[0]!);
      // Past the group's session timeout, so the survivor has been handed the partitions and worked on them.
      await load.reached(load.written() + RATE * 10);
    });
    await system.startProcessor();
  });

  it('each of the four processes killed in turn: both processors, the worker, the API', async () => {
    await underLoad('kill each of the four processes in turn', async (load) => {
      const roles = [
        { kill: () => system.processors()[0]!, start: system.startProcessor },
        { kill: () => system.processors()[0]!, start: system.startProcessor },
        { kill: () => system.workers()[0]!, start: system.startWorker },
        { kill: () => system.apis()[0]!, start: system.startApi },
      ];
      for (const role of roles) {
        killGroup(role.kill());
        await role.start();
        await load.reached(load.written() + RATE * 3);
      }
    });
    expect([system.processors(), system.workers(), system.apis()].map((running) => running.length)).toEqual([
      2, 1, 1,
    ]);
  });

  /**
   * Stops `service` under load for `downMs`, with /health naming it down meanwhile and every other dependency
   * up, then starts it again: the processors ride it out in the same processes (no crash, no restart).
   */
  async function outage(name: string, service: Service, downMs: number) {
    const before = pids();
    await underLoad(name, async () => {
      await downStack([service]);
      const stoppedAt = Date.now();
      const report = await healthSays(service, 'down');
      for (const [other, { status }] of Object.entries(report.dependencies))
        if (other !== service) expect({ [other]: status }).toEqual({ [other]: 'up' });
      await sleep(Math.max(0, downMs - (Date.now() - stoppedAt)));
      await upStack([service]);
      await healthSays(service, 'up');
    });
    expect(pids()).toEqual(before);
  }

  it('the Kafka broker restarted: the processors pause and resume by themselves', async () => {
    await outage('restart the Kafka broker', 'kafka', 5_000);
  });

  it('PostgreSQL stopped for 30 s: the processors pause and resume by themselves', async () => {
    await outage('stop PostgreSQL for 30 s', 'postgres', 30_000);
  });

  it('the Temporal server restarted: rewards started before and during it all settle', async () => {
    await outage('restart the Temporal server', 'temporal', 5_000);
  });

  it('the partner down for minutes: its rewards wait in `requested`, then are fulfilled once', async () => {
    await underLoad(`the partner down for ${PARTNER_DOWN_MS / 1000} s`, async () => {
      await system.partner.close();
      const waiting = await eventually(
        async () =>
          (
            await system.db.pool.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM rewards WHERE status = 'requested'",
            )
          ).rows[0]!.n,
        (n) => n > 0,
        60_000,
      );
      expect(waiting).toBeGreaterThan(0);
      await sleep(PARTNER_DOWN_MS);
      await system.partner.reopen();
    });
  });

  it('the worker killed mid-backfill: the replay goes on from its checkpoints, each unlock found once', async () => {
    const rule = { ...coffeeFanRule, id: uniqueName('coffee-fan') };
    const fan = buildCatalog([{ source: rule.id, document: { version: 1, ...rule } }]);
    const from = await nextWrittenAt();
    // A history of its own for the backfill to replay, long enough to be killed in the middle of: with 3,000
    // records a replay chunk could end between seeing it started and the kill.
    const burst = uniqueName('burst');
    const history = Array.from({ length: 30_000 }, (_, n) =>
      purchase({
        clientId: `${burst}-c${n % 300}`,
        categoryId: 5814,
        amount: 1_000,
        time: `2026-10-${String(1 + (Math.floor(n / 30) % 28)).padStart(2, '0')}T08:00:00+03:00`,
      }),
    );
    await produceEvents(system.kafka, system.inputs, history);
    let workflowId = '';
    await underLoad(
      'kill the worker mid-backfill',
      async () => {
        expect((await admin('POST', '/v1/admin/rules', rule)).status).toBe(201);
        const activated = await admin('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {
          backfillFrom: from.toISOString(),
        });
        expect(activated.status).toBe(202);
        workflowId = ((await activated.json()) as { backfill: { workflowId: string } }).backfill.workflowId;
        const handle = system.temporal.workflow.getHandle(workflowId);
        await eventually(
          async () => (await handle.describe()).raw.pendingActivities ?? [],
          (pending) => pending.some((a) => a.activityType?.name === 'replayChunk' && a.state === STARTED),
          120_000,
        );
        for (const worker of system.workers()) killGroup(worker);
        await system.startWorker();
        // Read from the replay's row, not by a query: right after the kill Temporal refuses queries until the
        // new worker has run the workflow task the killed one held.
        await eventually(
          async () =>
            (
              await system.db.pool.query<{ phase: string }>(
                'SELECT phase FROM replays WHERE workflow_id = $1 ORDER BY requested_at DESC LIMIT 1',
                [workflowId],
              )
            ).rows[0]?.phase,
          (phase) => phase === 'awarding' || phase === 'done',
          240_000,
        );
      },
      [
        { catalog, sinceMs: 0 },
        { catalog: fan, sinceMs: from.getTime() },
      ],
    );
    const handle = system.temporal.workflow.getHandle(workflowId);
    const status = (await handle.result()) as ReplayStatus;
    expect(status).toMatchObject({ phase: 'done', cancelReason: null });
    expect(status.unlocksFound).toBeGreaterThan(0);
    // The kill landed in a running replay activity: Temporal ran it again, from its last checkpoint.
    const { events } = await handle.fetchHistory();
    expect(events!.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toBe(true);
  });
});
