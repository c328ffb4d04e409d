/**
 * CPU and memory of processes, threads and the whole machine, read from Linux /proc
 * (proc(5): /proc/<pid>/stat fields 14-17 and 24, /proc/stat's first line), for the benches.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the clock ticks per second of /proc's CPU times on Linux. */
const TICKS_PER_S = 100;
/** Bytes per page of the RSS field (4 KiB on x86-64 and arm64 Linux). */
const PAGE_BYTES = 4096;

/** One process's (or, as 'self/task/<tid>', one thread's) figures. */
export interface ProcStat {
  ppid: number;
  /** utime + stime, s. */
  cpuS: number;
  /** cutime + cstime: the CPU of its children it reaped, s. */
  reapedCpuS: number;
  rssBytes: number;
}

/** The figures of `pid` (a number, 'self' or 'self/task/<tid>'); undefined when it is gone. */
export function procStat(pid: number | string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(f[1]),
      cpuS: (Number(f[11]) + Number(f[12])) / TICKS_PER_S,
      reapedCpuS: (Number(f[13]) + Number(f[14])) / TICKS_PER_S,
      rssBytes: Number(f[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined;
  }
}

/** Machine-wide CPU ticks from /proc/stat: busy (user+nice+system+irq+softirq), steal, total. */
export function machineCpu(): { busy: number; steal: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}
