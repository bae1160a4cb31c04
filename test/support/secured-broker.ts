import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { ALONE, ensureKafkaInstalled, kafkaJava, LOG4J2 } from '../../scripts/stack/kafka.js';
import { spawnDetached, stopProcess, waitUntilReady } from '../../scripts/stack/processes.js';
import { issueServerCertificate } from './certificates.js';
import { createServedTopics } from '../../platform/topic-creation.js';

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A broker just started answers metadata before it can serve a new topic (kafkajs then fails with "This server
 * does not host this topic-partition"): ready means a topic made now has a leader.
 */
async function createsTopics(kafka: Kafka): Promise<boolean> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await createServedTopics(admin, [{ topic: 'ready-probe' }]);
    return true;
  } finally {
    await admin.disconnect();
  }
}

/** The SCRAM user the engine connects as; the broker's own user only talks to itself. */
export const ENGINE_USER = { username: 'achievements', password: 'engine-scram-password-for-tests' };
const BROKER_USER = { username: 'broker', password: 'broker-scram-password-for-tests' };

function serverProperties(
  home: string,
  port: number,
  controllerPort: number,
  stores: ReturnType<typeof issueServerCertificate>,
) {
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_USER.username}" password="${BROKER_USER.password}";`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://localhost:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'inter.broker.listener.name=SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${stores.keystore}`,
    `ssl.keystore.password=${stores.password}`,
    `ssl.key.password=${stores.password}`,
    'ssl.truststore.type=PKCS12',
    `ssl.truststore.location=${stores.truststore}`,
    `ssl.truststore.password=${stores.password}`,
    `log.dirs=${join(home, 'data')}`,
    ...ALONE,
    '',
  ].join('\n');
}

/**
 * A second Kafka broker, as a bank runs one: its only client listener is SASL_SSL (TLS with a certificate
 * issued at test time, SCRAM-SHA-512 users created when its storage is formatted). `stop` removes it all.
 */
export async function startSecuredBroker() {
  await ensureKafkaInstalled();
  const home = mkdtempSync(join(tmpdir(), 'secured-kafka-'));
  const stores = issueServerCertificate(home);
  const [port, controllerPort] = [await freePort(), await freePort()];
  writeFileSync(join(home, 'server.properties'), serverProperties(home, port, controllerPort, stores));
  writeFileSync(join(home, 'log4j2.yaml'), LOG4J2);
  writeFileSync(join(home, 'engine-password'), `${ENGINE_USER.password}\n`);
  const java = (args: string[]) => kafkaJava(home, args, '512m');
  const scram = (user: { username: string; password: string }) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${user.username},password=${user.password}]`,
  ];
  // `=`: a random id may begin with '-', which the tool would take for an option (it failed CI once).
  const clusterId = `--cluster-id=${randomBytes(16).toString('base64url')}`;
  execFileSync(
    'java',
    java([
      ...['kafka.tools.StorageTool', 'format', '--standalone', clusterId],
      ...['-c', join(home, 'server.properties'), ...scram(BROKER_USER), ...scram(ENGINE_USER)],
    ]),
  );
  const pidFile = join(home, 'kafka.pid');
  const logFile = join(home, 'kafka.log');
  spawnDetached({
    command: 'java',
    args: java(['kafka.Kafka', join(home, 'server.properties')]),
    logFile,
    pidFile,
  });
  const address = `localhost:${port}`;
  /**
   * What the engine's variables give kafkajs, made afresh for each client: kafkajs keeps the authenticator it
   * builds on the `sasl` object it was given, so a copy of a used one would log in with the old password.
   */
  const security = () => ({
    ssl: { ca: [stores.caPem] },
    sasl: { mechanism: 'scram-sha-512' as const, ...ENGINE_USER },
  });
  /** A client with `config` in place of the engine's security, to show what the broker refuses. */
  const client = (config: Partial<KafkaConfig>) =>
    new Kafka({
      brokers: [address],
      clientId: 'secured-test',
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      ...config,
    });
  await waitUntilReady({
    service: 'secured kafka',
    probe: () => createsTopics(client(security())),
    logFile,
    pidFile,
  });
  return {
    address,
    caFile: stores.caFile,
    passwordFile: join(home, 'engine-password'),
    client,
    security,
    stop: async () => {
      await stopProcess(pidFile);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
