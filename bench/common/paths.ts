import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file whose package.json is casestream's (works from bench/ and from dist/bench/). */
export const REPO_ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'casestream') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the casestream repository root');
    dir = parent;
  }
})();

export const RULES_FILE = join(REPO_ROOT, 'config', 'notification-rules.json');
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** True when this code runs as TypeScript through tsx (then child scripts are .ts and need `--import tsx`). */
export const RUNNING_TS = import.meta.url.endsWith('.ts');

/** A bench script next to the running one, as the node arguments that start it. */
export const benchScript = (relativeFromBenchRoot: string): string[] => {
  const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const file = join(benchRoot, relativeFromBenchRoot.replace(/\.ts$/, RUNNING_TS ? '.ts' : '.js'));
  return RUNNING_TS ? ['--import', 'tsx', file] : [file];
};

/** Everything on the local stack is on the loopback interface. */
export const STACK = {
  brokers: ['127.0.0.1:9092'],
  mongoUrl: 'mongodb://127.0.0.1:27017',
  /** A Redis database of the bench's own (tests use 14), so cached rules never leak into `npm run dev` or tests. */
  redisUrl: 'redis://127.0.0.1:6379/13',
} as const;
