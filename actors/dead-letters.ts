import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) text[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return text;
}

/**
 * The `achievements.dlq.v1` record for a record the engine could not accept (CONTRACT §2): the original key,
 * value as a string and headers, the reason, and where it came from so it can be found and replayed.
 */
export function deadLetter({ topic, partition, message }: DeadLetterSource, error: string): Message {
  const value = {
    error,
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers: headersAsText(message.headers),
  };
  return { key: message.key, value: JSON.stringify(value), headers: message.headers ?? {} };
}
