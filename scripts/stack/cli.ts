/**
 * `npm run stack:up|stack:down|stack:status [service…]`: the local Kafka, Temporal, PostgreSQL and Keycloak.
 * With no service named, `up` starts those whose address variable is unset and `down` stops all four.
 */
import { KEYCLOAK_URL } from './keycloak.js';
import { DATA_DIR } from './paths.js';
import { SERVICES, downStack, localServices, running, upStack, type Service } from './stack.js';
import { TEMPORAL_UI_URL } from './temporal.js';

function chosen(names: string[], fallback: readonly Service[]): Service[] {
  for (const name of names) {
    if (!(SERVICES as readonly string[]).includes(name)) {
      throw new Error(`unknown service "${name}"; expected one of ${SERVICES.join(', ')}`);
    }
  }
  return names.length > 0 ? (names as Service[]) : [...fallback];
}

async function main(command: string | undefined, names: string[]) {
  const started = Date.now();
  switch (command) {
    case 'up': {
      const services = chosen(names, localServices());
      await upStack(services);
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${services.join(', ')}`);
      console.log(`data in ${DATA_DIR}; Temporal UI at ${TEMPORAL_UI_URL}`);
      if (services.includes('keycloak')) console.log(`staff sign-in (Keycloak) at ${KEYCLOAK_URL}/admin`);
      return;
    }
    case 'down': {
      const stopped = await downStack(chosen(names, SERVICES));
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      return;
    }
    case 'status':
      for (const service of chosen(names, SERVICES)) {
        console.log(`${service}: ${running[service]() ? 'running' : 'stopped'}`);
      }
      return;
    default:
      throw new Error('usage: stack up|down|status [kafka|temporal|postgres|keycloak …]');
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  const failures = error instanceof AggregateError ? error.errors : [error];
  for (const failure of failures)
    console.error(`stack: ${failure instanceof Error ? failure.message : String(failure)}`);
  process.exit(1);
});
