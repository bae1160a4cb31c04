import type pg from 'pg';
import type { RuleBook } from '../rules/rule-book.js';
import type { RuleLevel } from '../rules/rule-schema.js';
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

/** What an unlock record names of the rule it was earned under (records before rule versions name none). */
export interface UnlockedUnder {
  achievementId: string;
  ruleId?: string | undefined;
  ruleVersion?: number | undefined;
}

/**
 * The level an unlock was earned at: in the rule version the record names, or else in the rule's last live
 * version. A version this process has not seen yet (activated a moment ago, an unlock already arriving) is
 * looked for again after reading the book afresh.
 */
export async function findLevel(feed: RuleFeed, unlock: UnlockedUnder): Promise<RuleLevel | undefined> {
  const lookup = (book: RuleBook) =>
    unlock.ruleId !== undefined && unlock.ruleVersion !== undefined
      ? book
          .rule(unlock.ruleId, unlock.ruleVersion)
          ?.levels.find((l) => l.achievementId === unlock.achievementId)
      : book.everLive().achievements.get(unlock.achievementId)?.level;
  return lookup(feed.book()) ?? lookup(await feed.refresh());
}
