import { readdirSync, readFileSync } from 'node:fs';

/** Linux counts a process's CPU time in ticks of 1/100 s (USER_HZ), whatever the kernel's own tick rate. */
const TICKS_PER_SECOND = 100;

export interface CpuSeconds {
  processor: number;
  postgres: number;
  kafka: number;
}

/** CPU seconds (user and system) the process has used so far, from /proc; 0 once it is gone. */
function cpuOf(pid: string): number {
  try {
    // The command name (in parentheses) may hold spaces: the fields are counted after it.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The CPU time used so far by the processor benchmarked, by PostgreSQL (every server process) and by the
 * Kafka broker, all on this machine: the difference of two readings is what a stretch of work cost each.
 */
export function cpuSeconds(processorPid: number): CpuSeconds {
  const used: CpuSeconds = { processor: cpuOf(String(processorPid)), postgres: 0, kafka: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const command = commandOf(pid);
    // The server's own process, and each it forks (which rename themselves "postgres: …").
    if (/^(\S*\/)?postgres[\0:]/.test(command)) used.postgres += cpuOf(pid);
    else if (command.includes('kafka.Kafka')) used.kafka += cpuOf(pid);
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
