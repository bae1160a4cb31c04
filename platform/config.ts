import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readPartners, type PartnerEndpoint } from './partner-config.js';
import { duration, flag, name, pem, timeZone } from './config-fields.js';
import { replayFields } from './config-replays.js';

/** The HS256 key used when JWT_SECRET is unset: for local development only, refused in production. */
export const DEV_JWT_SECRET = 'dev-only-achievements-secret-do-not-use-in-production';

/** The key that derives each partner's pseudonym of a client when PARTNER_PSEUDONYM_KEY is unset (dev only). */
export const DEV_PSEUDONYM_KEY = 'dev-only-pseudonym-key-do-not-use-in-production';

/** The local stack's Keycloak realm, the staff identity provider when OIDC_ISSUER is unset (never in production). */
export const LOCAL_OIDC_ISSUER = 'http://127.0.0.1:8180/realms/achievements';

/** Where the local stack's PostgreSQL listens; used when DATABASE_URL is unset. */
export const LOCAL_DATABASE_URL = 'postgres://achievements@127.0.0.1:55432/achievements';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid environment variable ${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((list) => list.split(',').map((broker) => broker.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port[,host:port…]')).min(1)),
  /** Kafka over TLS; KAFKA_SSL_CA (PEM) is the CA to trust instead of the system's, KAFKA_SSL_CERT/_KEY mTLS. */
  KAFKA_SSL: flag.default(false),
  KAFKA_SSL_CA: pem.optional(),
  KAFKA_SSL_CERT: pem.optional(),
  KAFKA_SSL_KEY: pem.optional(),
  /** SASL on the Kafka connection (SCRAM-SHA-512 as a bank's brokers usually ask), with its user. */
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default(LOCAL_DATABASE_URL),
  /**
   * The PostgreSQL schema holding the engine's tables (another engine may share the database in its own);
   * unset, the connection's search path (`public` unless the URL's `options` say otherwise).
   */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a letter or "_", then letters, digits or "_"')
    .optional(),
  /** Put before every topic name of CONTRACT §2, for a cluster shared between environments (`uat.`). */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"')
    .default(''),
  /** The consumer groups' names start with it: `<prefix>-engine` (processors), `<prefix>-rewards` (worker). */
  KAFKA_GROUP_PREFIX: name.default('achievements'),
  /**
   * How long the group waits for a silent processor before giving its partitions to another (kafkajs's 30 s);
   * the broker bounds it (group.min.session.timeout.ms, 6 s by default).
   */
  KAFKA_SESSION_TIMEOUT: duration.default(30_000),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'expected host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** The task queues' names start with it: `<prefix>-rewards`, `<prefix>-replays`, `<prefix>-rewards-backfill`. */
  TEMPORAL_TASK_QUEUE_PREFIX: name.default('achievements'),
  /** Where people open the Temporal UI: the console links each backfill's workflow there. */
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8233'),
  /** TLS to Temporal; TEMPORAL_TLS_CERT/_KEY make it mTLS (a self-hosted cluster or Temporal Cloud). */
  TEMPORAL_TLS: flag.default(false),
  TEMPORAL_TLS_CA: pem.optional(),
  TEMPORAL_TLS_CERT: pem.optional(),
  TEMPORAL_TLS_KEY: pem.optional(),
  /** The name the server's certificate is checked against, when it is not the address's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** A Temporal Cloud API key, in place of a client certificate. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /** Where every role serves /metrics, /health/live and /health/ready, apart from the API's port (OpenTelemetry's 9464). */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
  BANK_TIME_ZONE: timeZone.default('Europe/Kyiv'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters for HS256').default(DEV_JWT_SECRET),
  /** The HS256 key being rotated out: tokens it signed are still accepted until it is unset. */
  JWT_PREVIOUS_SECRET: z.string().min(32, 'must be at least 32 characters for HS256').optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_MAX_LIFETIME_S: z.coerce.number().int().positive().default(300),
  /**
   * The staff identity provider (OpenID Connect): tokens whose `iss` is exactly this are staff tokens, verified
   * with its keys. Unset: the local stack's Keycloak, except in production, where staff then sign in with the
   * JWT_* tokens alone.
   */
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  /** The API's name in staff tokens' `aud`. */
  OIDC_AUDIENCE: z.string().min(1).default('achievements-api'),
  /** The console's public client at the provider (authorization code with PKCE). */
  OIDC_CLIENT_ID: z.string().min(1).default('achievements-console'),
  /**
   * Four-eyes approvals of activations, deactivations, erasures and redrives (CONTRACT §6); `single` lets one
   * admin run them alone, for local development only (refused in production).
   */
  ADMIN_APPROVALS: z.enum(['four-eyes', 'single']).default('four-eyes'),
  /** How long a proposal waits for a second admin before it expires. */
  ADMIN_PROPOSAL_TTL: duration.default(24 * 3_600_000),
  PARTNER_CALLBACK_TIMEOUT: duration.default(24 * 3_600_000),
  /** How long a partner that does not answer is asked again before its reward is `failed`. */
  PARTNER_RETRY_WINDOW: duration.default(6 * 3_600_000),
  /**
   * Clients whose achievements an API replica keeps in memory (api/client-cache.ts), and answers it keeps made
   * (api/me.ts, one per client and language); about 2 KB each of either.
   */
  API_CACHED_CLIENTS: z.coerce.number().int().min(1).default(20_000),
  /**
   * How long a processor's batch may go on failing on a dependency (PostgreSQL, Kafka) before the process ends
   * to be restarted clean; shorter outages are retried in place, the partitions kept.
   */
  DEPENDENCY_RETRY_BUDGET: duration.default(10 * 60_000),
  /** /health/live fails once the event loop was held up longer than this lately (the orchestrator restarts it). */
  LIVENESS_MAX_LOOP_DELAY: duration.default(10_000),
  /** How long a clean client actor may sit idle before it is passivated. */
  ACTOR_IDLE_TIMEOUT: duration.default(10 * 60_000),
  /**
   * How long a partition's progress may wait in its actors before it is checkpointed to PostgreSQL with the
   * offsets (README, "Checkpoints"): the app sees progress at most this late (unlocks at once), and a processor
   * taking the partition over replays at most this much.
   */
  CHECKPOINT_INTERVAL: duration.default(5_000),
  /** A partition is checkpointed sooner once this many records came since its last checkpoint. */
  CHECKPOINT_EVENTS: z.coerce.number().int().min(1).default(100_000),
  /** How long granted loyalty points stay valid. */
  POINTS_EXPIRY: duration.default(365 * 86_400_000),
  /** Points earned in the last 12 months a client needs for each tier above bronze. */
  LOYALTY_TIERS: z
    .string()
    .default('silver=1000,gold=3000')
    .transform((text, ctx) => {
      const match = /^silver=(\d+),gold=(\d+)$/.exec(text.replaceAll(' ', ''));
      if (!match || Number(match[1]) >= Number(match[2])) {
        ctx.addIssue({
          code: 'custom',
          message: `expected "silver=<points>,gold=<more points>", got "${text}"`,
        });
        return z.NEVER;
      }
      return { silver: Number(match[1]), gold: Number(match[2]) };
    }),
  /** Key of the HMAC that gives each partner its own stable pseudonym of a client (never the client id). */
  PARTNER_PSEUDONYM_KEY: z.string().min(32, 'must be at least 32 characters').default(DEV_PSEUDONYM_KEY),
  /** Origins allowed to call the API from a browser; none by default (CORS closed). */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  /** Proxies of the bank's own in front of the API; X-Forwarded-For is trusted that many hops deep. */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** The API's address as partners reach it, for the callback URL sent with each request. */
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  ...replayFields,
  /** How long `npm start`'s sandbox partners take to call back (local use only). */
  PARTNER_SANDBOX_DELAY: duration.default(3_000),
  /**
   * Threads of the API that run rule simulations, checks and examples off its event loop. One by default: an
   * API replica mostly waits on I/O, and on two cores one thread still leaves the event loop a core of its own.
   */
  RULE_EVALUATION_THREADS: z.coerce.number().int().min(1).max(32).default(1),
  /** Evaluations that may wait for a thread; one more is answered 503 with Retry-After. */
  RULE_EVALUATION_QUEUE: z.coerce.number().int().min(0).max(1_000).default(4),
  /**
   * How long one evaluation may run before its thread is stopped and the request refused: a few times the
   * longest the routes' bounds allow (about 1 s here for /check with 50 examples, on a thread just started).
   */
  RULE_EVALUATION_BUDGET: duration.default(5_000),
});

export type Config = Readonly<Omit<z.output<typeof envSchema>, 'PUBLIC_BASE_URL'>> & {
  readonly PUBLIC_BASE_URL: string;
  readonly partners: ReadonlyMap<string, PartnerEndpoint>;
};

/** A variable the engine reads (another program's `…_FILE` in the environment is none of its business). */
const isEngineVariable = (name: string) =>
  name in envSchema.shape || /^(PARTNER|BACKUP)_[A-Z0-9_]+$/.test(name);

/**
 * `NAME_FILE=/path` stands for `NAME` holding that file's content (its final newline dropped), as Kubernetes
 * Secrets and Vault agents hand secrets over: every variable of the engine's may come from a file this way.
 */
export function withFileVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const [fileVariable, path] of Object.entries(env)) {
    const name = /^(.+)_FILE$/.exec(fileVariable)?.[1];
    if (!name || path === undefined || !isEngineVariable(name)) continue;
    if (env[name] !== undefined)
      throw new ConfigError(fileVariable, `set ${name} or ${fileVariable}, not both`);
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(
        fileVariable,
        `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  return resolved;
}

/** Settings that only make sense together: a half-configured TLS or SASL must not quietly connect without. */
function checkConnectionSecurity(values: z.output<typeof envSchema>) {
  const needs = (given: keyof typeof values, needed: keyof typeof values, why: string) => {
    if (values[given] !== undefined && !values[needed]) throw new ConfigError(needed, `required ${why}`);
  };
  needs('KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'because KAFKA_SASL_MECHANISM is set');
  needs('KAFKA_SASL_MECHANISM', 'KAFKA_SASL_PASSWORD', 'because KAFKA_SASL_MECHANISM is set');
  needs('KAFKA_SSL_CERT', 'KAFKA_SSL_KEY', 'with KAFKA_SSL_CERT (the client certificate’s key)');
  needs('KAFKA_SSL_KEY', 'KAFKA_SSL_CERT', 'with KAFKA_SSL_KEY (the key’s certificate)');
  for (const name of ['KAFKA_SSL_CA', 'KAFKA_SSL_CERT'] as const)
    needs(name, 'KAFKA_SSL', `to be true when ${name} is set`);
  if (values.KAFKA_SASL_MECHANISM === 'plain')
    needs('KAFKA_SASL_MECHANISM', 'KAFKA_SSL', 'to be true for PLAIN');
  needs('TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'with TEMPORAL_TLS_CERT (the client certificate’s key)');
  needs('TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CERT', 'with TEMPORAL_TLS_KEY (the key’s certificate)');
  for (const name of ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_SERVER_NAME'] as const)
    needs(name, 'TEMPORAL_TLS', `to be true when ${name} is set`);
}

/** Reads and validates the environment; throws a ConfigError naming the first bad variable. */
export function parseConfig(given: NodeJS.ProcessEnv): Config {
  const env = withFileVariables(given);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const values = parsed.data;
  checkConnectionSecurity(values);
  if (values.NODE_ENV === 'production' && !values.JWT_JWKS_URL && values.JWT_SECRET === DEV_JWT_SECRET) {
    throw new ConfigError(
      'JWT_SECRET',
      'the dev-only secret is refused in production; set JWT_JWKS_URL or a secret',
    );
  }
  if (values.NODE_ENV === 'production' && values.OIDC_ISSUER?.startsWith('http:')) {
    throw new ConfigError('OIDC_ISSUER', 'in production the identity provider is reached over https');
  }
  if (values.NODE_ENV === 'production' && values.ADMIN_APPROVALS === 'single') {
    throw new ConfigError(
      'ADMIN_APPROVALS',
      'single-admin mode is for local development; production is four-eyes',
    );
  }
  if (values.NODE_ENV === 'production' && values.PARTNER_PSEUDONYM_KEY === DEV_PSEUDONYM_KEY) {
    throw new ConfigError('PARTNER_PSEUDONYM_KEY', 'the dev-only key is refused in production');
  }
  if (values.METRICS_PORT === values.PORT)
    throw new ConfigError(
      'METRICS_PORT',
      'must differ from PORT: metrics are not served on the public API port',
    );
  const publicBaseUrl = values.PUBLIC_BASE_URL ?? `http://127.0.0.1:${values.PORT}`;
  return Object.freeze({
    ...values,
    OIDC_ISSUER: values.OIDC_ISSUER ?? (values.NODE_ENV === 'production' ? undefined : LOCAL_OIDC_ISSUER),
    PUBLIC_BASE_URL: publicBaseUrl.replace(/\/+$/, ''),
    partners: readPartners(env),
  });
}

let loaded: Config | undefined;

/** The process's configuration, read once at start-up. */
export function config(): Config {
  loaded ??= parseConfig(process.env);
  return loaded;
}

/** Reads the environment again, once `npm start` has put its sandbox partners into it. */
export function reloadConfig(): Config {
  loaded = parseConfig(process.env);
  return loaded;
}
