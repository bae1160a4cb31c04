import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { describeFailure, isRecordFault } from './failures.js';

const postgresError = (code: string, message = 'refused') => Object.assign(new Error(message), { code });
const kafkaError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ message: type, type, code: 1, retriable } as never);

/** How kafkajs's retrier hands on an error it will not retry. */
const wrapped = (cause: Error) => Object.assign(new KafkaJSNonRetriableError(cause), { cause });

describe('isRecordFault', () => {
  it.each([
    ['PostgreSQL refusing a NUL byte', postgresError('22021')],
    ['PostgreSQL refusing a value too long for its index', postgresError('54000')],
    ['a NOT NULL violation', postgresError('23502')],
    ['the broker refusing a record too large', kafkaError('MESSAGE_TOO_LARGE', false)],
    ['a too-large batch behind kafkajs’s wrapper', wrapped(kafkaError('RECORD_LIST_TOO_LARGE', false))],
  ])('is true for %s: retrying cannot help', (_case, error) => {
    expect(isRecordFault(error)).toBe(true);
  });

  it.each([
    [
      'PostgreSQL refusing connections',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['PostgreSQL shutting down', postgresError('57P01')],
    ['a missing table (a migration not applied)', postgresError('42P01')],
    ['a serialization failure', postgresError('40001')],
    ['a broker connection lost', new KafkaJSConnectionError('Connection error: ECONNREFUSED')],
    ['a leader moving', kafkaError('NOT_LEADER_OR_FOLLOWER', true)],
    ['a plain error', new Error('timeout exceeded when trying to connect')],
  ])('is false for %s: the work is kept and retried', (_case, error) => {
    expect(isRecordFault(error)).toBe(false);
  });
});

describe('describeFailure', () => {
  it('names the SQLSTATE or Kafka error type after the message', () => {
    expect(describeFailure(postgresError('22021', 'invalid byte sequence'))).toBe(
      'invalid byte sequence (22021)',
    );
    expect(describeFailure(kafkaError('MESSAGE_TOO_LARGE', false))).toBe(
      'MESSAGE_TOO_LARGE (MESSAGE_TOO_LARGE)',
    );
  });
});
