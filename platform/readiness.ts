import { checkHealth, type DependencyStatus, type HealthProbe } from './health.js';

/** Whether the process may take work, and each check that says so or names what is missing. */
export interface ReadinessReport {
  status: 'ready' | 'not-ready';
  checks: Record<string, DependencyStatus>;
}

/**
 * What the process's roles need before they can take work, gathered as each role starts: its dependencies
 * (PostgreSQL, Kafka, Temporal) and its own state (a processor's partition assignment, a worker's polling).
 * A process none of whose roles has started yet is not ready.
 */
export class Readiness {
  private readonly probes = new Map<string, HealthProbe>();

  /** Adds a role's checks; a name two roles share (`postgres`) is checked once. */
  add(probes: Record<string, HealthProbe>) {
    for (const [name, probe] of Object.entries(probes)) this.probes.set(name, probe);
  }

  async check(): Promise<ReadinessReport> {
    if (this.probes.size === 0)
      return { status: 'not-ready', checks: { roles: { status: 'down', latencyMs: 0, error: 'starting' } } };
    const report = await checkHealth(Object.fromEntries(this.probes));
    return { status: report.status === 'up' ? 'ready' : 'not-ready', checks: report.dependencies };
  }
}
