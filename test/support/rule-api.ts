import type pg from 'pg';
import { postgresAdminReads } from '../../api/admin-reads.js';
import { createApp } from '../../api/app.js';
import { postgresReads } from '../../api/client-reads.js';
import { postgresRuleAdmin } from '../../api/rule-admin-store.js';
import { startRuleFeed } from '../../platform/rule-feed.js';
import { apiDependencies } from './api.js';
import { requestsAs } from './tokens.js';

/**
 * The API over a test's schema with the parts rule administration touches real: the rule store, a rule feed of
 * its own (`rules`), the app's reads and the audit log. `call` sends a request as `sub` in `role`.
 */
export async function startRuleApi(db: pg.Pool, configuredPartners: string[] = []) {
  const rules = await startRuleFeed(db);
  const base = apiDependencies();
  const everLive = () => rules.book().everLive();
  const app = createApp({
    ...base,
    me: {
      ...base.me,
      catalogs: () => ({ live: rules.book().active(), everLive: everLive() }),
      reads: postgresReads(db, everLive),
    },
    admin: postgresAdminReads(db, everLive, 'Europe/Kyiv'),
    rules: postgresRuleAdmin(db, { zone: 'Europe/Kyiv', configuredPartners: () => configuredPartners }),
  });
  const call = (method: string, path: string, body?: unknown, as = { role: 'admin', sub: 'emp-7' }) =>
    requestsAs(app, as)(method, path, body);
  return { app, call, rules, stop: () => rules.stop() };
}
