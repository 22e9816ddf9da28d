import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every common kernel). */
const CLK_TCK = 100;

/** Peak and current resident set size of a process in MiB (VmHWM / VmRSS), or null once it is gone. */
export const memoryOf = (pid: number): { hwmMb: number; rssMb: number } | null => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
};

/** CPU seconds (user + system) a process has used so far, or null once it is gone. */
export const cpuSecondsOf = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces: split after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
};

/** Watches a child process's memory every `everyMs` (VmHWM is a high-water mark, so sampling only guards against the process vanishing). */
export const watchMemory = (pid: number, everyMs = 500) => {
  let peakMb = 0;
  const sample = () => {
    const m = memoryOf(pid);
    if (m && Number.isFinite(m.hwmMb)) peakMb = Math.max(peakMb, m.hwmMb);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    /** Samples once more and returns the peak seen. */
    peak: (): number => {
      sample();
      return peakMb;
    },
    stop: () => clearInterval(timer),
  };
};

/** The TCP ports a process listens on (IPv4 and IPv6), from its socket inodes and /proc/net/tcp*. */
export const listeningPorts = (pid: number): number[] => {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // the descriptor closed meanwhile
      }
    }
    const ports: number[] = [];
    for (const table of ['tcp', 'tcp6']) {
      let text = '';
      try {
        text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // f[1] local address:port (hex), f[3] state (0A = LISTEN), f[9] inode
        if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
      }
    }
    return ports;
  } catch {
    return [];
  }
};
