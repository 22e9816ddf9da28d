import type { ReplayProgress } from '../infra/mongo/replayReadModels.js';
import type { Output } from './output.js';

const BAR_WIDTH = 30;

const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s % 60).padStart(2, '0')}`;
};

const count = (n: number): string => n.toLocaleString('en-US');

/** One progress report as text: the phase, events read of the total, rate and time left. */
export const describeProgress = (p: ReplayProgress, elapsedMs: number): string => {
  if (p.phase === 'swap') return 'swap: renaming the rebuilt read models into place';
  const ratio = p.total === 0 ? 1 : Math.min(1, p.read / p.total);
  const rate = elapsedMs > 0 ? (p.read * 1000) / elapsedMs : 0;
  const left = rate > 0 ? duration((p.total - Math.min(p.read, p.total)) / rate) : '?';
  const label = p.phase === 'rebuild' ? 'rebuild' : `${p.phase} ${p.pass}`;
  const fresh = p.phase === 'rebuild' ? '' : `, ${count(p.projected)} new`;
  const filled = Math.round(ratio * BAR_WIDTH);
  return `${label} [${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${count(Math.min(p.read, p.total))}/${count(p.total)} events${fresh}, ${count(Math.round(rate))} events/s, ${left} left`;
};

/**
 * Shows replay progress on stderr: on a terminal one line redrawn in place (a new line per phase);
 * otherwise a plain line at the start of each phase and every 10 %; with `--json` a JSON object a
 * line (`{"progress": …}`) at the same moments, for scripts.
 */
export const replayProgressView = (out: Output, now: () => number = Date.now) => {
  let phaseKey = '';
  let started = now();
  let lastDecile = -1;
  let lastDraw = 0;
  return (p: ReplayProgress): void => {
    const key = `${p.phase}/${p.pass}`;
    const newPhase = key !== phaseKey;
    if (newPhase) {
      if (phaseKey !== '' && out.terminal && !out.json) out.note('\n');
      phaseKey = key;
      started = now();
      lastDecile = -1;
    }
    const decile = p.total === 0 ? 10 : Math.floor((Math.min(p.read, p.total) / p.total) * 10);
    if (out.terminal && !out.json) {
      if (newPhase || now() - lastDraw >= 100 || p.read >= p.total) {
        lastDraw = now();
        out.note(`\r\x1b[K${describeProgress(p, now() - started)}`);
      }
      return;
    }
    if (!newPhase && decile <= lastDecile) return;
    lastDecile = decile;
    out.note(`${out.json ? JSON.stringify({ progress: p }) : describeProgress(p, now() - started)}\n`);
  };
};

/** Ends a redrawn progress line before anything else is printed. */
export const endProgress = (out: Output): void => {
  if (out.terminal && !out.json) out.note('\n');
};
