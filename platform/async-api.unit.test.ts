import { readFileSync } from 'node:fs';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decide } from '../rules/decide.js';
import { decodeRecord, type RecordKind } from '../rules/decode.js';
import { initialProgress } from '../rules/progress.js';
import { progressPush, rewardFulfilledPush, unlockPush } from '../rules/push.js';
import { valueOf } from '../test/support/engine.js';
import { purchase, refund } from '../test/support/events.js';
import { loadCatalog } from './catalog-files.js';
import { deadLetter } from './dead-letters.js';
import { TOPICS } from './topics.js';
import { unlockedMessage } from './unlock-records.js';

const catalog = loadCatalog();
const DOCUMENT = readFileSync(new URL('../docs/asyncapi.yaml', import.meta.url), 'utf8');
const WRITTEN_AT = Date.parse('2026-11-24T09:00:00Z');

/** The docs/asyncapi.yaml message payloads, references resolved, as validators. */
async function payloadValidators() {
  const { document, diagnostics } = await new Parser().parse(DOCUMENT);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validators = new Map(
    (document?.components().messages().all() ?? []).map((message) => [
      message.id(),
      ajv.compile(message.payload()!.json()),
    ]),
  );
  const valid = (messageId: string, value: unknown) => {
    const validate = validators.get(messageId)!;
    return validate(value) ? true : ajv.errorsText(validate.errors);
  };
  return { document, diagnostics, valid };
}

describe('docs/asyncapi.yaml, the topics of CONTRACT §2', () => {
  let spec: Awaited<ReturnType<typeof payloadValidators>>;
  beforeAll(async () => {
    spec = await payloadValidators();
  });

  const firstExample = (messageId: string) =>
    spec.document!.components().messages().get(messageId)!.examples().all()[0]!.payload();
  /** Whether the document's first example of `messageId` is a record the engine decodes as `source`. */
  const exampleDecodes = (messageId: string, source: RecordKind) =>
    decodeRecord(
      source,
      Buffer.from('c-1042'),
      Buffer.from(JSON.stringify(firstExample(messageId))),
      WRITTEN_AT,
    ).ok;

  it('is a valid AsyncAPI 3.0 document naming every topic the engine reads or writes', () => {
    // Information and hints (such as a newer AsyncAPI version existing) are fine; errors and warnings are not.
    const serious = [DiagnosticSeverity.Error, DiagnosticSeverity.Warning];
    expect(spec.diagnostics.filter((d) => serious.includes(d.severity)).map((d) => d.message)).toEqual([]);
    expect(spec.document!.version()).toBe('3.0.0');
    const addresses = spec
      .document!.channels()
      .all()
      .map((channel) => channel.address());
    expect(addresses.sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('names the production brokers and their security as the manifests configure the engine for them', () => {
    const config = (
      parse(readFileSync(new URL('../deploy/k8s/config.yaml', import.meta.url), 'utf8')) as {
        data: Record<string, string>;
      }
    ).data;
    const production = spec.document!.servers().get('production')!;
    expect(production.protocol()).toBe('kafka-secure');
    expect(config.KAFKA_SSL).toBe('true');
    expect(config.KAFKA_BROKERS!.split(',')).toContain(production.host());
    const schemes = production.security().flatMap((requirements) => requirements.all());
    expect(schemes.map((requirement) => requirement.scheme().type())).toEqual([
      config.KAFKA_SASL_MECHANISM!.replace('scram-sha-', 'scramSha'),
    ]);
  });

  it('describes the input records the engine accepts, and refuses what it refuses', () => {
    const coffee = purchase({ clientId: 'c-1', categoryId: 5814, time: '2026-11-24T08:15:00+02:00' });
    const accepted = [
      coffee,
      refund(coffee, '2026-11-24T10:00:00+02:00', 1_000),
      purchase({ clientId: 'c-1', time: '2026-11-24T08:15:00+02:00', geo: null }),
    ];
    for (const event of accepted) expect(spec.valid('transaction', valueOf(event))).toBe(true);
    expect(exampleDecodes('transaction', 'transaction')).toBe(true);
    const refused = [
      { amount: -1 },
      { amount: 10.5 },
      { currency: 'uah' },
      { categoryId: 10_000 },
      { kind: 'cashback' },
      { geo: { lat: 91, lon: 0, country: 'UA' } },
    ];
    for (const change of refused) {
      const value = { ...(valueOf(coffee) as object), ...change };
      const bytes = Buffer.from(JSON.stringify(value));
      expect(decodeRecord('transaction', Buffer.from('c-1'), bytes, WRITTEN_AT).ok).toBe(false);
      expect(spec.valid('transaction', value)).not.toBe(true);
    }
    expect(spec.valid('clientEvent', firstExample('clientEvent'))).toBe(true);
    expect(exampleDecodes('clientEvent', 'client-event')).toBe(true);
  });

  it('describes exactly what the engine writes: unlock records, pushes and dead letters', () => {
    const coffees = Array.from({ length: 10 }, (_, i) =>
      purchase({ clientId: 'c-7', categoryId: 5814, time: `2026-11-${10 + i}T08:00:00+02:00` }),
    );
    let progress = initialProgress();
    const unlocked = coffees.flatMap((event) => {
      const decision = decide(progress, event, catalog, 'Europe/Kyiv');
      progress = decision.progress;
      return decision.unlocked;
    });
    expect(unlocked.map((u) => u.achievementId)).toContain('coffee-lover');
    for (const unlock of unlocked) {
      const message = unlockedMessage(unlock);
      expect(spec.valid('unlocked', message)).toBe(true);
      expect(spec.valid('push', unlockPush(message, catalog))).toBe(true);
    }
    const beyondBudget = unlockedMessage({
      ...unlocked[0]!,
      points: 0,
      partnerId: undefined,
      beyondBudget: true,
    });
    expect(beyondBudget).toMatchObject({ beyondBudget: true, points: 0 });
    expect(spec.valid('unlocked', beyondBudget)).toBe(true);
    const nudge = { nudgeId: 'n-1', clientId: 'c-7', achievementId: 'coffee-lover', current: 8, target: 10 };
    expect(spec.valid('push', progressPush(nudge, catalog))).toBe(true);
    const reward = { rewardId: 'r-1', clientId: 'c-7', achievementId: 'coffee-lover' };
    expect(spec.valid('push', rewardFulfilledPush(reward, catalog))).toBe(true);

    const source = (value: Buffer | null) => ({
      topic: TOPICS.transactions,
      partition: 2,
      message: {
        key: Buffer.from('c-7'),
        value,
        offset: '41',
        headers: {},
        timestamp: '0',
        attributes: 0,
      },
    });
    const letters = [
      deadLetter(source(Buffer.from('{not json')), 'the record could not be decoded'),
      deadLetter(source(Buffer.from([0xff, 0xfe, 0x00])), 'not UTF-8'),
      deadLetter(source(null), 'a tombstone'),
      deadLetter(source(Buffer.alloc(100_000, 'a')), 'too large'),
    ];
    for (const letter of letters)
      expect(spec.valid('deadLetter', JSON.parse(String(letter.message.value)))).toBe(true);
  });
});
