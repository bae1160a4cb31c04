import type { KafkaMessage } from 'kafkajs';
import { deadLetter, type DeadLetter } from '../platform/dead-letters.js';
import {
  carriesOriginal,
  decodeRedrive,
  sourceKey,
  type Original,
  type SourcePosition,
} from '../platform/redrive-records.js';
import { setAsideOriginals, type RedriveOutcomes, type SetAside } from '../platform/redrive-state.js';
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

const where = ({ topic, partition, offset }: SourcePosition) =>
  `${topic} partition ${partition} offset ${offset}`;

/**
 * Why a redrive is not one of the engine's own, if it is not: only a record the engine set aside may come back,
 * and only as it was (anyone who can write to the redrive topic could otherwise make up a record that counts).
 */
function forgery(redrive: { source: SourcePosition; original: Original }, setAside: SetAside | undefined) {
  if (!setAside)
    return `a redrive names ${where(redrive.source)}, where the engine set no record aside; only its own dead letters come back`;
  if (!carriesOriginal(redrive.original, setAside.record))
    return `a redrive's original differs from the record the engine set aside at ${where(redrive.source)}`;
  return undefined;
}

/**
 * A run of redrive records: each names a dead letter's original, decoded as its input topic's records are.
 * One that names no dead letter of the engine's, or alters its original, is set aside. One the engine already
 * accepted (stored with the progress it made) is skipped, however often it comes back; one refused again is
 * noted against its dead letter, not sent to the DLQ a second time.
 */
export async function decodeRedrives(ctx: BatchContext, run: Run): Promise<DecodedRun> {
  const { topic, partition } = run;
  const redrives: RedriveOutcomes = { accepted: [], refused: [] };
  const decoded: DecodedRun = { accepted: [], letters: [], redrives };
  const toDlq = (message: KafkaMessage, error: string) =>
    decoded.letters.push(deadLetter({ topic, partition, message }, error));
  const read = run.records.flatMap((message) => {
    const record = decodeRedrive(message.value, ctx.recordKinds, Number(message.timestamp));
    if (!record.ok) toDlq(message, record.error);
    else if (record.source.partition !== partition) toDlq(message, wrongPartition(record.source));
    else return [{ message, record }];
    return [];
  });
  const originals = await setAsideOriginals(
    ctx.db,
    read.map(({ record }) => record.source),
  );
  const counted = new Set([...originals].filter(([, original]) => original.accepted).map(([key]) => key));
  for (const { message, record } of read) {
    const key = sourceKey(record.source);
    const forged = forgery(record, originals.get(key));
    if (forged) toDlq(message, forged);
    else if (counted.has(key)) continue;
    else if (!record.decoded.ok)
      redrives.refused.push({ source: record.source, error: record.decoded.error });
    else {
      counted.add(key);
      decoded.accepted.push({ event: record.decoded.event, message, source: record.source });
    }
  }
  return decoded;
}
