/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. the casestream child of `npm run bench --
 * --cpu-prof`): the functions with the most self time, and self time by package / source area.
 *
 *   node dist/bench/bench/tools/cpuProfileSummary.js <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../common/paths.js';

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
export interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const where = (url: string): string => {
  if (url === '') return '';
  let path = url;
  try {
    if (url.startsWith('file://')) path = fileURLToPath(url);
  } catch {
    // keep the url
  }
  return path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path;
};

/** Which package or area a frame belongs to: a node_modules package, a src/ directory, node internals, or V8's own entries. */
export const areaOf = (frame: CallFrame): string => {
  const path = where(frame.url);
  if (path === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:')) return 'node internals';
  if (/^(?:dist\/bench\/)?bench\//.test(path)) return 'bench harness';
  if (/^(?:dist\/bench\/)?tools\//.test(path)) return 'tools';
  const src = /^(?:dist\/bench\/)?(?:dist|src)\/([^/]+)(?:\/([^/]+))?/.exec(path);
  if (src) return src[2] && !src[2].endsWith('.js') ? `casestream ${src[1]}/${src[2]}` : `casestream ${src[1]}`;
  return path;
};

export const summarizeProfile = (profile: Profile, top = 25): string => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, { label: string; us: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const location = where(frame.url);
    const label = `${frame.functionName || '(anonymous)'}${location ? `  ${location}:${frame.lineNumber + 1}` : ''}`;
    const entry = functions.get(label) ?? { label, us: 0 };
    entry.us += us;
    functions.set(label, entry);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [
    `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s wall, ${(total / 1e6).toFixed(1)} s on CPU, ${(idle / 1e6).toFixed(1)} s idle`,
    '',
    `top ${top} functions by self time (share of CPU time):`,
    ...[...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => `${ms(f.us)} ${pct(f.us)}  ${f.label}`),
    '',
    'self time by area:',
    ...[...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([area, us]) => `${ms(us)} ${pct(us)}  ${area}`),
  ];
  return lines.join('\n');
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: cpuProfileSummary <file.cpuprofile> [--top N]\n');
    process.exit(2);
  }
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  process.stdout.write(`${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, top)}\n`);
}
