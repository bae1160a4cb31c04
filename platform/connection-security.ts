import type { TLSConfig } from '@temporalio/client';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config } from './config.js';

type KafkaSettings = Pick<
  Config,
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA'
  | 'KAFKA_SSL_CERT'
  | 'KAFKA_SSL_KEY'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
>;

/** kafkajs's `ssl` and `sasl` for the configured brokers: nothing for the local stack's plaintext broker. */
export function kafkaSecurity(settings: KafkaSettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = settings.KAFKA_SSL
    ? {
        // The server's name is checked against its certificate (Node's default), never switched off.
        ...(settings.KAFKA_SSL_CA ? { ca: [settings.KAFKA_SSL_CA] } : {}),
        ...(settings.KAFKA_SSL_CERT ? { cert: settings.KAFKA_SSL_CERT, key: settings.KAFKA_SSL_KEY } : {}),
      }
    : undefined;
  const mechanism = settings.KAFKA_SASL_MECHANISM;
  const sasl =
    mechanism && settings.KAFKA_SASL_USERNAME && settings.KAFKA_SASL_PASSWORD
      ? ({
          mechanism,
          username: settings.KAFKA_SASL_USERNAME,
          password: settings.KAFKA_SASL_PASSWORD,
        } as SASLOptions)
      : undefined;
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

type TemporalSettings = Pick<
  Config,
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CA'
  | 'TEMPORAL_TLS_CERT'
  | 'TEMPORAL_TLS_KEY'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/** What every connection to Temporal adds to its address: TLS or mTLS, or a Temporal Cloud API key. */
export interface TemporalSecurity {
  tls?: TLSConfig;
  apiKey?: string;
}

/** The Temporal connection's TLS (mTLS with a client certificate) and API key, as configured. */
export function temporalSecurity(settings: TemporalSettings): TemporalSecurity {
  const tls: TLSConfig | undefined = settings.TEMPORAL_TLS
    ? {
        ...(settings.TEMPORAL_TLS_CA
          ? { serverRootCACertificate: Buffer.from(settings.TEMPORAL_TLS_CA) }
          : {}),
        ...(settings.TEMPORAL_TLS_CERT && settings.TEMPORAL_TLS_KEY
          ? {
              clientCertPair: {
                crt: Buffer.from(settings.TEMPORAL_TLS_CERT),
                key: Buffer.from(settings.TEMPORAL_TLS_KEY),
              },
            }
          : {}),
        ...(settings.TEMPORAL_TLS_SERVER_NAME
          ? { serverNameOverride: settings.TEMPORAL_TLS_SERVER_NAME }
          : {}),
      }
    : undefined;
  return {
    ...(tls ? { tls } : {}),
    ...(settings.TEMPORAL_API_KEY ? { apiKey: settings.TEMPORAL_API_KEY } : {}),
  };
}
