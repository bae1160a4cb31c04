import type { ApiDependencies } from '../../api/app.js';
import { loadCatalog } from '../../platform/catalog-files.js';
import { NO_CONTEXT } from '../../rules/audience.js';

const unused = (what: string) => () => Promise.reject(new Error(`${what} is not used by this test`));

/** The HS256 key of API tests' tokens. */
export const TEST_JWT_SECRET = 'test-only-jwt-secret-of-at-least-32-characters';

/** API dependencies whose every part fails loudly unless the test gives its own. */
export function apiDependencies(overrides: Partial<ApiDependencies> = {}): ApiDependencies {
  const catalog = loadCatalog();
  return {
    checkHealth: unused('checkHealth'),
    partnerCallbacks: { partners: new Map(), findReward: unused('findReward'), deliver: unused('deliver') },
    auth: { secret: TEST_JWT_SECRET, maxLifetimeS: 300 },
    me: {
      catalogs: () => ({ live: catalog, everLive: catalog }),
      zone: 'Europe/Kyiv',
      reads: {
        achievementsOf: unused('achievementsOf'),
        loyaltyOf: unused('loyaltyOf'),
      },
    },
    admin: {
      statsOf: unused('statsOf'),
      overview: unused('overview'),
      audit: unused('audit'),
      auditLog: unused('auditLog'),
    },
    explain: {
      progressOf: unused('progressOf'),
      historyOf: unused('historyOf'),
      contextOf: () => Promise.resolve(NO_CONTEXT),
      zone: 'Europe/Kyiv',
    },
    privacy: {
      db: undefined as never,
      erasure: { erase: unused('privacy.erase') },
      audit: unused('privacy.audit'),
      catalog: () => catalog,
      zone: 'Europe/Kyiv',
    },
    replays: {
      starter: {
        topics: { transactions: 'unused', clientEvents: 'unused' },
        groupId: 'unused',
        historyGap: unused('replays.historyGap'),
        start: unused('replays.start'),
        isRunning: unused('replays.isRunning'),
      },
      store: {
        createDryRun: unused('replays.createDryRun'),
        dryRun: unused('replays.dryRun'),
        backfill: unused('replays.backfill'),
        markFailed: unused('replays.markFailed'),
        closeEnded: unused('replays.closeEnded'),
      },
    },
    approvals: { mode: 'single', proposalTtlMs: 3_600_000 },
    proposals: {
      create: unused('proposals.create'),
      attachDryRun: unused('proposals.attachDryRun'),
      list: unused('proposals.list'),
      one: unused('proposals.one'),
      decide: unused('proposals.decide'),
      recordResult: unused('proposals.recordResult'),
      claimUnanswered: unused('proposals.claimUnanswered'),
    },
    deadLetters: {
      overview: unused('deadLetters.overview'),
      one: unused('deadLetters.one'),
      redrive: unused('deadLetters.redrive'),
    },
    rules: {
      list: unused('rules.list'),
      check: unused('rules.check'),
      create: unused('rules.create'),
      activate: unused('rules.activate'),
      deactivate: unused('rules.deactivate'),
      importSegment: unused('rules.importSegment'),
    },
    ...overrides,
  };
}
