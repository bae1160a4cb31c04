import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { TOPIC_CONFIG } from '../../platform/kafka.js';
import { configuredTopics } from '../../platform/topics.js';
import { CACHE_DIR, DATA_DIR, REPO_ROOT } from './paths.js';
import { runQuietly, runningPid, spawnDetached, stopProcess, waitUntilReady } from './processes.js';
import { createServedTopics } from '../../platform/topic-creation.js';

const KAFKA_VERSION = '4.1.1';
const LIBS = join(CACHE_DIR, `kafka-${KAFKA_VERSION}`, 'libs');
const HOME = join(DATA_DIR, 'kafka');
const LOG_FILE = join(HOME, 'kafka.log');
const PID_FILE = join(HOME, 'kafka.pid');
export const LOCAL_BROKER = '127.0.0.1:9092';

/** Copies the broker's jars from Maven Central once; later starts reuse the cache. */
export async function ensureKafkaInstalled() {
  if (existsSync(join(LIBS, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  console.log(`kafka: fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${LIBS}`);
  const staging = `${LIBS}.partial`;
  rmSync(staging, { recursive: true, force: true });
  await runQuietly('kafka', 'mvn', [
    '-B',
    '-f',
    join(REPO_ROOT, 'scripts/stack/kafka/pom.xml'),
    'dependency:copy-dependencies',
    `-Dkafka.version=${KAFKA_VERSION}`,
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ]);
  renameSync(staging, LIBS);
}

/**
 * What a broker running alone needs: internal topics must not ask for three replicas, or groups never find a
 * coordinator; and topics exist only when created on purpose.
 */
export const ALONE = [
  'offsets.topic.replication.factor=1',
  'transaction.state.log.replication.factor=1',
  'transaction.state.log.min.isr=1',
  'share.coordinator.state.topic.replication.factor=1',
  'share.coordinator.state.topic.min.isr=1',
  'group.initial.rebalance.delay.ms=0',
  'auto.create.topics.enable=false',
];

function serverProperties(): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    'controller.quorum.bootstrap.servers=127.0.0.1:9093',
    `listeners=PLAINTEXT://${LOCAL_BROKER},CONTROLLER://127.0.0.1:9093`,
    `advertised.listeners=PLAINTEXT://${LOCAL_BROKER}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(HOME, 'data')}`,
    ...ALONE,
    '',
  ].join('\n');
}

export const LOG4J2 = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
`;

/** The `java` arguments that run one of Kafka's main classes with the broker's jars and `home`'s logging. */
export function kafkaJava(home: string, args: string[], heap = '1g'): string[] {
  return [
    '-Xms256m',
    `-Xmx${heap}`,
    `-Dlog4j2.configurationFile=${join(home, 'log4j2.yaml')}`,
    '-cp',
    `${LIBS}/*`,
    ...args,
  ];
}

const java = (args: string[]) => kafkaJava(HOME, args);

/** Formats the KRaft storage once; a restart keeps the formatted log directory and its data. */
function ensureFormatted() {
  mkdirSync(HOME, { recursive: true });
  writeFileSync(join(HOME, 'server.properties'), serverProperties());
  writeFileSync(join(HOME, 'log4j2.yaml'), LOG4J2);
  if (existsSync(join(HOME, 'data', 'meta.properties'))) return;
  const clusterId = execFileSync('java', java(['kafka.tools.StorageTool', 'random-uuid']))
    .toString()
    .trim();
  execFileSync(
    'java',
    java([
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      '-t',
      clusterId,
      '-c',
      join(HOME, 'server.properties'),
    ]),
  );
}

function quietKafka(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'stack', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

/** True when a broker at `brokers` answers a metadata request. */
export async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const admin = quietKafka(brokers).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } finally {
    await admin.disconnect();
  }
}

/** The input topics keep their whole history locally, so a backfill or a dry run can reach back to the first day. */
const KEEP_HISTORY = [{ name: 'retention.ms', value: '-1' }];

/** The erasure journal keeps each client's last erasure for good (CONTRACT §7). */
const LAST_PER_KEY = [{ name: 'cleanup.policy', value: 'compact' }];

/**
 * Creates the CONTRACT's topics (after KAFKA_TOPIC_PREFIX) that do not exist yet, with `partitions` partitions each, and makes the input
 * topics keep their history (a stack made by an older checkout kept them 7 days, Kafka's default).
 */
export async function ensureTopics(brokers: string[], partitions: number) {
  const topics = configuredTopics();
  const inputs: readonly string[] = [topics.transactions, topics.clientEvents];
  const admin = quietKafka(brokers).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(topics).filter((topic) => !existing.has(topic));
    if (missing.length > 0)
      await createServedTopics(
        admin,
        missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          ...(inputs.includes(topic) ? { configEntries: KEEP_HISTORY } : {}),
          ...(topic === topics.erasures ? { configEntries: LAST_PER_KEY } : {}),
        })),
      );
    await admin.alterConfigs({
      validateOnly: false,
      resources: inputs.map((name) => ({
        type: TOPIC_CONFIG,
        name,
        configEntries: KEEP_HISTORY,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Starts the single-node KRaft broker unless it already runs, and waits until it serves metadata. */
export async function startKafka(partitions: number) {
  if (runningPid(PID_FILE) === undefined) {
    await ensureKafkaInstalled();
    ensureFormatted();
    spawnDetached({
      command: 'java',
      args: java(['kafka.Kafka', join(HOME, 'server.properties')]),
      logFile: LOG_FILE,
      pidFile: PID_FILE,
    });
  }
  await waitUntilReady({
    service: 'kafka',
    probe: () => brokerAnswers([LOCAL_BROKER]),
    logFile: LOG_FILE,
    pidFile: PID_FILE,
  });
  await ensureTopics([LOCAL_BROKER], partitions);
}

export function stopKafka() {
  return stopProcess(PID_FILE);
}

export function kafkaRunning(): boolean {
  return runningPid(PID_FILE) !== undefined;
}
