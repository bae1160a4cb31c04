import type pg from 'pg';
import type { Achievement } from '../rules/catalog.js';
import type { RuleBook } from '../rules/rule-book.js';
import { readRuleFiles } from './catalog-files.js';
import { logger } from './logger.js';
import { loadRuleBook, ruleBookStamp, seedDefaultRules } from './rule-store.js';

/** The rule book a role runs on, kept current from PostgreSQL. */
export interface RuleFeed {
  /** The newest book read. */
  book(): RuleBook;
  /** Reads the book again now (when a partition names a change this process has not seen yet). */
  refresh(): Promise<RuleBook>;
  stop(): void;
}

/**
 * Reads the rule book, then looks every `intervalMs` whether it changed (one small query) and reads it again
 * when it did: a rule activated through the API is live in every role within about that long, no restart.
 */
export async function startRuleFeed(db: pg.Pool, intervalMs = 1_000): Promise<RuleFeed> {
  const log = logger('rule-feed');
  let stamp = await ruleBookStamp(db);
  let current = await loadRuleBook(db);
  const refresh = async () => {
    const next = await ruleBookStamp(db);
    if (next !== stamp) {
      current = await loadRuleBook(db);
      stamp = next;
      log.info({ latestSeq: current.latestSeq }, 'rule book changed');
    }
    return current;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => log.warn({ err: error }, 'rule book not read; trying again'));
  }, intervalMs);
  timer.unref();
  return { book: () => current, refresh, stop: () => clearInterval(timer) };
}

/** Seeds the repository's catalog as the default rules (once per database) and starts a feed. */
export async function startDefaultRuleFeed(db: pg.Pool, intervalMs?: number): Promise<RuleFeed> {
  await seedDefaultRules(db, readRuleFiles());
  return startRuleFeed(db, intervalMs);
}

/**
 * An achievement of any rule ever live, by id. One this process has not seen yet (activated a moment ago, an
 * unlock already arriving) is looked for again after reading the book afresh.
 */
export async function findAchievement(
  feed: RuleFeed,
  achievementId: string,
): Promise<Achievement | undefined> {
  return (
    feed.book().everLive().achievements.get(achievementId) ??
    (await feed.refresh()).everLive().achievements.get(achievementId)
  );
}
