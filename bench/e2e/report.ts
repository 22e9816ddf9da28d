import { median, round } from '../common/stats.js';
import type { ContenderName } from './contenders.js';
import type { Mode, RunResult } from './runOnce.js';

export interface Summary {
  readonly contender: ContenderName;
  readonly mode: Mode;
  readonly runs: number;
  readonly okRuns: number;
  readonly timedOutRuns: number;
  /** Runs during which a stack server was restarted: left out of the medians. */
  readonly disturbedRuns: number;
  readonly targetRate: number | null;
  readonly throughput: number | null;
  readonly doneP50Ms: number | null;
  readonly doneP99Ms: number | null;
  /** "done" of the follow-up case commands alone: each loads its case unless its actor still holds it. */
  readonly commandDoneP50Ms: number | null;
  readonly commandDoneP99Ms: number | null;
  readonly notificationP50Ms: number | null;
  readonly notificationP99Ms: number | null;
  readonly peakRssMb: number | null;
  readonly cpuMsPerMessage: number | null;
  readonly startupMs: number | null;
}

/** The runs the medians count: those with a rate, during which no stack server was restarted. */
export const countsInMedians = (r: RunResult): boolean => r.throughput !== null && r.stackRestarted === null;

/** Medians over the rounds of every contender and mode (timed-out runs count with their partial rate). */
export const summarize = (results: readonly RunResult[]): Summary[] => {
  const keys = [...new Set(results.map((r) => `${r.contender}|${r.mode}`))];
  return keys.map((key) => {
    const [contender, mode] = key.split('|') as [ContenderName, Mode];
    const runs = results.filter((r) => r.contender === contender && r.mode === mode);
    const usable = runs.filter(countsInMedians);
    return {
      contender,
      mode,
      runs: runs.length,
      okRuns: runs.filter((r) => r.ok).length,
      timedOutRuns: runs.filter((r) => r.timedOut).length,
      disturbedRuns: runs.filter((r) => r.stackRestarted !== null).length,
      targetRate: round(median(usable.map((r) => r.targetRate)), 1),
      throughput: round(median(usable.map((r) => r.throughput)), 1),
      doneP50Ms: round(median(usable.map((r) => r.latencyMs?.done.p50)), 0),
      doneP99Ms: round(median(usable.map((r) => r.latencyMs?.done.p99)), 0),
      commandDoneP50Ms: round(median(usable.map((r) => r.latencyMs?.doneCommands.p50)), 0),
      commandDoneP99Ms: round(median(usable.map((r) => r.latencyMs?.doneCommands.p99)), 0),
      notificationP50Ms: round(median(usable.map((r) => r.latencyMs?.notification.p50)), 0),
      notificationP99Ms: round(median(usable.map((r) => r.latencyMs?.notification.p99)), 0),
      peakRssMb: round(median(usable.map((r) => r.peakRssMb)), 0),
      cpuMsPerMessage: round(
        median(usable.map((r) => (r.cpuSeconds === null || r.completed === 0 ? null : (r.cpuSeconds * 1000) / r.completed))),
        2,
      ),
      startupMs: round(median(runs.map((r) => r.startupMs)), 0),
    };
  });
};

const cell = (v: number | null | string): string => (v === null ? '-' : String(v));

/** A plain-text table: one row per contender and mode. */
export const table = (summaries: readonly Summary[]): string => {
  const header = [
    'contender',
    'mode',
    'offered/s',
    'msg/s',
    'done p50 ms',
    'done p99 ms',
    'cmd done p50 ms',
    'cmd done p99 ms',
    'notif p50 ms',
    'notif p99 ms',
    'peak RSS MB',
    'CPU ms/msg',
    'runs ok',
  ];
  const rows = summaries.map((s) => [
    s.contender,
    s.mode,
    s.mode === 'paced' ? cell(s.targetRate) : 'backlog',
    cell(s.throughput),
    cell(s.doneP50Ms),
    cell(s.doneP99Ms),
    cell(s.commandDoneP50Ms),
    cell(s.commandDoneP99Ms),
    cell(s.notificationP50Ms),
    cell(s.notificationP99Ms),
    cell(s.peakRssMb),
    cell(s.cpuMsPerMessage),
    `${s.okRuns}/${s.runs}${s.timedOutRuns > 0 ? ` (${s.timedOutRuns} timed out)` : ''}${s.disturbedRuns > 0 ? ` (${s.disturbedRuns} disturbed)` : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/** The same table in Markdown (for bench/README.md). */
export const markdownTable = (summaries: readonly Summary[]): string => {
  const header = [
    'contender',
    'mode',
    'offered msg/s',
    'msg/s',
    'done p50 / p99 ms',
    'command done p50 / p99 ms',
    'notification p50 / p99 ms',
    'peak RSS MB',
    'CPU ms/msg',
  ];
  const rows = summaries.map((s) => [
    s.contender,
    s.mode,
    s.mode === 'paced' ? cell(s.targetRate) : 'backlog',
    cell(s.throughput),
    `${cell(s.doneP50Ms)} / ${cell(s.doneP99Ms)}`,
    `${cell(s.commandDoneP50Ms)} / ${cell(s.commandDoneP99Ms)}`,
    `${cell(s.notificationP50Ms)} / ${cell(s.notificationP99Ms)}`,
    cell(s.peakRssMb),
    cell(s.cpuMsPerMessage),
  ]);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
};
