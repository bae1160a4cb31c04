import { readdirSync, readFileSync } from 'node:fs';

/** Linux counts a process's CPU time in ticks of 1/100 s (USER_HZ), whatever the kernel's own tick rate. */
const TICKS_PER_SECOND = 100;

export interface CpuSeconds {
  processor: number;
  postgres: number;
  kafka: number;
}

/** A process's fields from /proc after its command name (which may hold spaces and parentheses); none once gone. */
function statOf(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Seconds of CPU from the fields of `statOf`: its own (utime, stime), and with `reaped` its reaped children's. */
function cpuOf(fields: string[] | undefined, reaped = false): number {
  if (!fields) return 0;
  const ticks =
    Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The CPU time used so far by the processor benchmarked, by the PostgreSQL server listening on `postgresPort`
 * (its postmaster with what it reaped of the processes it forked, and those still running) and by the Kafka
 * broker, all on this machine: the difference of two readings is what a stretch of work cost each.
 */
export function cpuSeconds(processorPid: number, postgresPort: string): CpuSeconds {
  const used: CpuSeconds = { processor: cpuOf(statOf(String(processorPid))), postgres: 0, kafka: 0 };
  const pids = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid));
  const listening = (command: string) =>
    /(^|\/)postgres\0/.test(command) && command.includes(`\0-p\0${postgresPort}\0`);
  const postmaster = pids.find((pid) => listening(commandOf(pid)));
  for (const pid of pids) {
    const fields = statOf(pid);
    // The parent's pid is the second field after the name.
    if (pid === postmaster) used.postgres += cpuOf(fields, true);
    else if (postmaster !== undefined && fields?.[1] === postmaster) used.postgres += cpuOf(fields);
    else if (commandOf(pid).includes('kafka.Kafka')) used.kafka += cpuOf(fields);
  }
  return used;
}

const cpuBetween = (before: CpuSeconds, after: CpuSeconds): CpuSeconds => ({
  processor: after.processor - before.processor,
  postgres: after.postgres - before.postgres,
  kafka: after.kafka - before.kafka,
});

/** A reading of the CPU used, and the records the engine had committed when it was taken. */
export interface CpuReading {
  used: CpuSeconds;
  committed: number;
}

/** The CPU each part used per record committed between two readings, in µs, and all of them together. */
export function cpuPerEvent(from: CpuReading, to: CpuReading) {
  const spent = cpuBetween(from.used, to.used);
  const events = to.committed - from.committed;
  const us = (seconds: number) => (seconds * 1e6) / events;
  const processor = us(spent.processor);
  const postgres = us(spent.postgres);
  const kafka = us(spent.kafka);
  return { processor, postgres, kafka, total: processor + postgres + kafka };
}
