import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { postgresAdminReads } from '../api/admin-reads.js';
import { postgresProposals, type Proposal } from '../api/proposal-store.js';
import { dispatchThrough, resumeUnanswered } from '../api/proposals.js';
import { postgresRuleAdmin } from '../api/rule-admin-store.js';
import { loadCatalog } from '../platform/catalog-files.js';
import { apiDependencies } from './support/api.js';
import { eventually, produceEvents, valueOf } from './support/engine.js';
import { purchase } from './support/events.js';
import { migratedSchema, uniqueName } from './support/stack.js';
import { taxiRule } from './support/taxi-rule.js';
import { requestsAs } from './support/tokens.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

type Listing = { ruleId: string; active: { version: number } | null };
/** A proposal as the API shows it: the stored one, and for a rule the versions it compares. */
type ProposalView = Proposal & { rule?: { live: { version: number } | null } };
type AuditRow = {
  actorId: string;
  action: string;
  target: string;
  reason: string | null;
  approvedBy: string | null;
  proposalId: string | null;
};

describe('four-eyes approvals on the whole system (main.ts api with ADMIN_APPROVALS=four-eyes)', () => {
  let system: WholeSystem;
  beforeAll(async () => {
    system = await startWholeSystem({ ADMIN_APPROVALS: 'four-eyes' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const as = (sub: string, role = 'admin') => {
    const send = requestsAs(system.app, { role, sub });
    return async <T = ProposalView>(method: string, path: string, body?: unknown) => {
      const response = await send(method, path, body);
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    };
  };
  const proposer = () => as('emp-1');
  const approver = () => as('emp-2');
  const support = () => as('sup-1', 'support');
  const activeVersion = async (ruleId: string) =>
    (await approver()<{ rules: Listing[] }>('GET', '/v1/admin/rules')).body.rules.find(
      (r) => r.ruleId === ruleId,
    )?.active?.version ?? null;
  const auditOf = async (action: string) =>
    (await approver()<{ entries: AuditRow[] }>('GET', `/v1/admin/audit?action=${action}`)).body.entries;

  it('runs an activation only once a second admin approves it, with both in the audit log', async () => {
    const ruleId = uniqueName('taxi');
    expect(
      (
        await proposer()('POST', '/v1/admin/rules', {
          ...taxiRule,
          id: ruleId,
          levels: [{ ...taxiRule.levels[0], achievementId: ruleId }],
          examples: [],
        })
      ).status,
    ).toBe(201);

    const direct = await proposer()<{ detail: string }>(
      'POST',
      `/v1/admin/rules/${ruleId}/versions/1/activate`,
    );
    expect(direct.status).toBe(403);
    expect(direct.body.detail).toContain('POST /v1/admin/proposals');

    const proposed = await proposer()('POST', '/v1/admin/proposals', {
      kind: 'rule.activate',
      action: { ruleId, version: 1 },
      reason: 'CHG-101 taxi campaign',
    });
    expect(proposed.status).toBe(201);
    const { proposalId } = proposed.body;
    expect(proposed.body).toMatchObject({
      state: 'open',
      proposedBy: 'emp-1',
      rule: { ruleId, live: null, proposed: { version: 1 } },
    });
    expect(await activeVersion(ruleId)).toBeNull();

    expect((await proposer()('POST', `/v1/admin/proposals/${proposalId}/approve`, {})).status).toBe(403);
    expect((await support()('POST', `/v1/admin/proposals/${proposalId}/approve`, {})).status).toBe(403);
    expect(
      (await support()<{ proposals: Proposal[] }>('GET', '/v1/admin/proposals')).body.proposals.map(
        (p) => p.proposalId,
      ),
    ).toContain(proposalId);
    expect(await activeVersion(ruleId)).toBeNull();

    // The estimate the approver reads: a dry run of the proposed version, started with the proposal.
    const estimate = await eventually(
      () =>
        approver()<{ status: string; clients: Record<string, number> }>(
          'GET',
          `/v1/admin/dry-runs/${proposed.body.dryRunId!}`,
        ),
      ({ body }) => body.status !== 'running',
      60_000,
      // Within the API's 60 requests a minute per caller, which the approval below needs too.
      2_000,
    );
    expect(estimate.body.status).toBe('done');

    const approved = await approver()('POST', `/v1/admin/proposals/${proposalId}/approve`, {
      reason: 'checked the estimate',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'done',
      decidedBy: 'emp-2',
      result: { status: 202, body: { outcome: 'activated' } },
    });
    expect(await activeVersion(ruleId)).toBe(1);
    expect((await approver()('POST', `/v1/admin/proposals/${proposalId}/approve`, {})).status).toBe(409);

    const activation = (await auditOf('rule.activate')).find((entry) => entry.target.startsWith(ruleId));
    expect(activation).toMatchObject({ actorId: 'emp-1', approvedBy: 'emp-2', proposalId });
    const decisions = (await auditOf('proposal.')).filter((entry) => entry.proposalId === proposalId);
    expect(decisions.map((entry) => [entry.action, entry.actorId])).toEqual([
      ['proposal.approve', 'emp-2'],
      ['proposal.create', 'emp-1'],
    ]);
  });

  it('never runs a rejected deactivation, says why, and lets no one reject their own', async () => {
    const proposed = await approver()('POST', '/v1/admin/proposals', {
      kind: 'rule.deactivate',
      action: { ruleId: 'coffee-lover' },
      reason: 'CHG-102 pause coffee',
    });
    expect(proposed.status).toBe(201);
    expect(proposed.body.rule?.live?.version).toBe(1);
    const unknown = { kind: 'rule.deactivate', action: { ruleId: 'no-such-rule' }, reason: 'CHG-103 typo' };
    expect((await approver()('POST', '/v1/admin/proposals', unknown)).status).toBe(404);
    expect(
      (await approver()('POST', `/v1/admin/proposals/${proposed.body.proposalId}/reject`, { reason: 'mine' }))
        .status,
    ).toBe(403);
    expect(
      (await proposer()('POST', `/v1/admin/proposals/${proposed.body.proposalId}/reject`, {})).status,
    ).toBe(400);
    const rejected = await proposer()('POST', `/v1/admin/proposals/${proposed.body.proposalId}/reject`, {
      reason: 'the campaign runs until Sunday',
    });
    expect(rejected.body).toMatchObject({
      state: 'rejected',
      decidedBy: 'emp-1',
      decisionReason: 'the campaign runs until Sunday',
      result: null,
    });
    expect(
      (await as('emp-3')('POST', `/v1/admin/proposals/${proposed.body.proposalId}/approve`, {})).status,
    ).toBe(409);
    expect(await activeVersion('coffee-lover')).toBe(1);
  });

  it('erases a client only once approved', async () => {
    const clientId = uniqueName('c');
    await produceEvents(system.kafka, system.inputs, [
      purchase({ clientId, amount: 25_000, time: new Date(Date.now() - 3_600_000).toISOString() }),
    ]);
    const unlocks = () =>
      system.db.pool
        .query('SELECT 1 FROM achievement_unlocks WHERE client_id = $1', [clientId])
        .then((result) => result.rowCount ?? 0);
    await eventually(unlocks, (n) => n > 0);

    expect((await proposer()('DELETE', `/v1/admin/clients/${clientId}?reason=ticket%20GDPR-1`)).status).toBe(
      403,
    );
    const proposed = await proposer()('POST', '/v1/admin/proposals', {
      kind: 'client.erase',
      action: { clientId },
      reason: 'GDPR-1 erasure request',
    });
    expect(proposed.status).toBe(201);
    expect(await unlocks()).toBeGreaterThan(0);

    const approved = await approver()('POST', `/v1/admin/proposals/${proposed.body.proposalId}/approve`, {});
    expect(approved.body).toMatchObject({ state: 'done', result: { status: 202, body: { clientId } } });
    expect(await unlocks()).toBe(0);
    expect((await auditOf('client.erase')).find((entry) => entry.target === clientId)).toMatchObject({
      actorId: 'emp-1',
      approvedBy: 'emp-2',
      reason: 'GDPR-1 erasure request',
    });
  });

  it('redrives dead letters only once approved', async () => {
    const now = Date.now();
    const clientId = uniqueName('c');
    const producer = system.kafka.producer();
    await producer.connect();
    // A purchase whose producer's clock ran three days behind: set aside as impossible-time, redrivable.
    await producer.send({
      topic: system.inputs.transactions,
      messages: [
        {
          key: clientId,
          value: JSON.stringify(
            valueOf(purchase({ clientId, time: new Date(now - 3_600_000).toISOString() })),
          ),
          timestamp: String(now - 72 * 3_600_000),
        },
      ],
    });
    await producer.disconnect();
    type Letters = { letters: { id: number; reason: string; redrive: unknown }[] };
    const letterOf = async () =>
      (await approver()<Letters>('GET', '/v1/admin/dead-letters?days=1')).body.letters.find(
        (l) => l.reason === 'impossible-time',
      );
    // Looked for every 2 s: within the API's 60 requests a minute per caller, which the approval below needs too
    // (polled every 100 ms, a dead letter slow to come on a loaded machine left it 429).
    const letter = await eventually(letterOf, (found) => found !== undefined, 60_000, 2_000);

    expect(
      (
        await proposer()('POST', '/v1/admin/dead-letters/redrive', {
          ids: [letter!.id],
          reason: 'clock fixed',
        })
      ).status,
    ).toBe(403);
    const proposed = await proposer()('POST', '/v1/admin/proposals', {
      kind: 'dead-letters.redrive',
      action: { ids: [letter!.id] },
      reason: 'INC-7 producer clock fixed',
    });
    expect(proposed.status).toBe(201);
    expect((await letterOf())!.redrive).toBeNull();

    const approved = await approver()('POST', `/v1/admin/proposals/${proposed.body.proposalId}/approve`, {});
    expect(approved.body).toMatchObject({
      state: 'done',
      result: { status: 202, body: { redriven: [letter!.id] } },
    });
    expect((await letterOf())!.redrive).not.toBeNull();
    expect(
      (await auditOf('dead-letter.redrive')).find((entry) => entry.target === String(letter!.id)),
    ).toMatchObject({
      actorId: 'emp-1',
      approvedBy: 'emp-2',
      reason: 'INC-7 producer clock fixed',
      proposalId: proposed.body.proposalId,
    });
  });
});

describe('proposals and time: expiry, and an approved action left unanswered', () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  beforeAll(async () => {
    db = await migratedSchema();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('expires undecided: it can no longer be approved or rejected, and nothing ran', async () => {
    let nowMs = Date.parse('2026-12-01T09:00:00Z');
    const admin = postgresAdminReads(db.pool, () => loadCatalog(), 'Europe/Kyiv');
    const app = createApp(
      apiDependencies({
        admin,
        rules: postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => [] }),
        approvals: { mode: 'four-eyes', proposalTtlMs: 3_600_000 },
        proposals: postgresProposals(db.pool, () => nowMs),
        privacy: { ...apiDependencies().privacy, audit: admin.audit },
      }),
    );
    const proposed = await requestsAs(app, { role: 'admin', sub: 'emp-1' })('POST', '/v1/admin/proposals', {
      kind: 'client.erase',
      action: { clientId: 'c-expiring' },
      reason: 'GDPR-2 erasure request',
    });
    const { proposalId, expiresAt } = (await proposed.json()) as Proposal;
    expect(expiresAt).toBe('2026-12-01T10:00:00.000Z');

    nowMs = Date.parse('2026-12-01T10:00:01Z');
    const approver = requestsAs(app, { role: 'admin', sub: 'emp-2' });
    const approved = await approver('POST', `/v1/admin/proposals/${proposalId}/approve`, {});
    expect(approved.status).toBe(409);
    expect(((await approved.json()) as { detail: string }).detail).toContain(
      'expired at 2026-12-01T10:00:00.000Z',
    );
    expect(
      (await approver('POST', `/v1/admin/proposals/${proposalId}/reject`, { reason: 'too late' })).status,
    ).toBe(409);
    const read = (await (await approver('GET', `/v1/admin/proposals/${proposalId}`)).json()) as Proposal;
    expect(read).toMatchObject({ state: 'expired', decidedBy: null, result: null });
  });

  it('sends again an approved action its API process never saw answered, once it is old enough, and only once', async () => {
    let nowMs = Date.parse('2026-12-01T09:00:00Z');
    const store = postgresProposals(db.pool, () => nowMs);
    const rules = postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => [] });
    const admin = postgresAdminReads(db.pool, () => loadCatalog(), 'Europe/Kyiv');
    const app = createApp(
      apiDependencies({
        admin,
        rules,
        approvals: { mode: 'four-eyes', proposalTtlMs: 3_600_000 },
        proposals: store,
      }),
    );
    const ruleId = uniqueName('taxi');
    const rule = {
      ...taxiRule,
      id: ruleId,
      levels: [{ ...taxiRule.levels[0], achievementId: ruleId }],
      examples: [],
    };
    const actor = { actorId: 'emp-1', actorRole: 'admin' as const };
    expect(await rules.create(rule, actor)).toMatchObject({ ok: true });
    expect(await rules.activate(ruleId, 1, actor)).toMatchObject({ outcome: 'activated' });
    // Approved, then the process died before its action answered: the decision is stored, no result.
    const { proposalId } = await store.create({
      kind: 'rule.deactivate',
      action: { ruleId },
      reason: 'CHG-104 stop the taxi campaign',
      proposedBy: 'emp-1',
      ttlMs: 3_600_000,
    });
    expect(await store.decide(proposalId, 'approved', 'emp-2', null)).toMatchObject({ state: 'running' });
    const dispatch = dispatchThrough(app);

    nowMs += 60_000;
    expect(await resumeUnanswered(store, dispatch)).toBe(0);
    nowMs += 2 * 60_000;
    expect(await resumeUnanswered(store, dispatch)).toBe(1);
    expect(await store.one(proposalId)).toMatchObject({
      state: 'done',
      result: { status: 202, body: { outcome: 'deactivated' } },
    });
    const listed = (await rules.list()).find((listing) => listing.ruleId === ruleId);
    expect(listed?.active).toBeNull();
    const [entry] = await admin.auditLog({ limit: 1, action: 'rule.deactivate' });
    expect(entry).toMatchObject({ actorId: 'emp-1', approvedBy: 'emp-2', proposalId });
    nowMs += 10 * 60_000;
    expect(await resumeUnanswered(store, dispatch)).toBe(0);
  });
});
