import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * Runs `pass` under V8's CPU profiler and writes `<dir>/<name>.cpuprofile` (summarise it with
 * bench/tools/cpuProfileSummary.ts): the profile of one measured pass alone, without the warm-up,
 * the workload's generation or the other pass that `node --cpu-prof` would mix in.
 */
export const profiled = async <T>(dir: string | undefined, name: string, pass: () => T | Promise<T>): Promise<T> => {
  if (dir === undefined) return pass();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await pass();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
};
