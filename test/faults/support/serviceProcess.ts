import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sleep } from '../../support/stack.js';
import { resultsDir } from './results.js';

/**
 * The built service (`node dist/main.js`) as a real child process. Every child is registered so
 * that it is killed whatever happens: by the scenario's teardown, by the `exit` handler below if
 * mocha stops early, and by scripts/test-faults.sh (which kills the pids listed in
 * `<results dir>/pids/`) if this process itself dies.
 */

const live = new Set<ServiceProcess>();
let exitHookInstalled = false;

const pidDir = (): string => join(resultsDir(), 'pids');

const installExitHook = (): void => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const p of live) p.killNow();
      // nobody else listens: behave as the default handler would
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
};

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

export class ServiceProcess {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  /** Set when the test ended the process on purpose (a kill or a stop), so the exit is not a crash. */
  intended = false;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    env: Record<string, string>,
  ) {
    mkdirSync(pidDir(), { recursive: true });
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, ['dist/main.js'], { cwd: REPO_ROOT, env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`could not start ${name}`);
    writeFileSync(join(pidDir(), String(pid)), `${name}\n`);
    live.add(this);
    installExitHook();
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        live.delete(this);
        rmSync(join(pidDir(), String(pid)), { force: true });
        resolve(this.exit);
      });
    });
  }

  static start(name: string, logFile: string, env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(name, logFile, env);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** SIGKILL now, without waiting (also used from the process `exit` handler). */
  killNow(): void {
    this.intended = true;
    if (this.alive) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** SIGKILL and wait until the process is gone. */
  async kill(): Promise<Exit> {
    this.killNow();
    return this.exited;
  }

  /**
   * SIGTERM (graceful shutdown), then SIGKILL if it has not exited within `graceMs`. Resolves with
   * the exit and whether it needed the SIGKILL.
   */
  async stop(graceMs: number): Promise<{ exit: Exit; forced: boolean; tookMs: number }> {
    const t0 = Date.now();
    this.intended = true;
    if (!this.alive) return { exit: this.exit!, forced: false, tookMs: 0 };
    this.child.kill('SIGTERM');
    const result = await Promise.race([this.exited, sleep(graceMs).then(() => undefined)]);
    if (result !== undefined) return { exit: result, forced: false, tookMs: Date.now() - t0 };
    return { exit: await this.kill(), forced: true, tookMs: Date.now() - t0 };
  }
}

/** Every child still running (teardown kills them). */
export const liveServices = (): ServiceProcess[] => [...live];
