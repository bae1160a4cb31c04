import type { KafkaMessage } from 'kafkajs';
import { deadLetter, type DeadLetter } from '../platform/dead-letters.js';
import { decodeRedrive, sourceKey, type SourcePosition } from '../platform/redrive-records.js';
import { acceptedRedrives, type RedriveOutcomes } from '../platform/redrive-state.js';
import { decodeRecord, type RecordKind } from '../rules/decode.js';
import type { InputEvent } from '../rules/events.js';
import type { BatchContext, Run } from './batch.js';

/** A run's records sorted out: events for the actors, what is set aside; redrives refused again apart. */
export interface DecodedRun {
  accepted: { event: InputEvent; message: KafkaMessage; source?: SourcePosition }[];
  letters: DeadLetter[];
  /** Present for a run of redrive records. */
  redrives?: RedriveOutcomes;
}

export function decodeInputs(run: Run, kind: RecordKind): DecodedRun {
  const { topic, partition } = run;
  const decoded: DecodedRun = { accepted: [], letters: [] };
  for (const message of run.records) {
    const record = decodeRecord(kind, message.key, message.value, Number(message.timestamp));
    if (record.ok) decoded.accepted.push({ event: record.event, message });
    else decoded.letters.push(deadLetter({ topic, partition, message }, record.error));
  }
  return decoded;
}

/** A client's records are applied by the owner of their partition only: a redrive goes to the same number. */
const wrongPartition = ({ topic, partition }: SourcePosition) =>
  `a redrive of a record of ${topic} partition ${partition} goes to partition ${partition} of the redrive topic`;

/**
 * A run of redrive records: each names a dead letter's original, decoded as its input topic's records are.
 * One the engine already accepted (stored with the progress it made) is skipped, however often it comes
 * back; one refused again is noted against its dead letter, not sent to the DLQ a second time.
 */
export async function decodeRedrives(ctx: BatchContext, run: Run): Promise<DecodedRun> {
  const { topic, partition } = run;
  const decoded: DecodedRun = { accepted: [], letters: [], redrives: { accepted: [], refused: [] } };
  const candidates: DecodedRun['accepted'] = [];
  for (const message of run.records) {
    const record = decodeRedrive(message.value, ctx.recordKinds, Number(message.timestamp));
    if (!record.ok) decoded.letters.push(deadLetter({ topic, partition, message }, record.error));
    else if (record.source.partition !== partition)
      decoded.letters.push(deadLetter({ topic, partition, message }, wrongPartition(record.source)));
    else if (!record.decoded.ok)
      decoded.redrives!.refused.push({ source: record.source, error: record.decoded.error });
    else candidates.push({ event: record.decoded.event, message, source: record.source });
  }
  const seen = await acceptedRedrives(
    ctx.db,
    candidates.map(({ source }) => source!),
  );
  for (const candidate of candidates) {
    const key = sourceKey(candidate.source!);
    if (seen.has(key)) continue;
    seen.add(key);
    decoded.accepted.push(candidate);
  }
  return decoded;
}
