// Safety check: every TCP socket that the servers started by scripts/stack/up.sh
// listen on is bound to a loopback address. Requires `npm run stack:up` and
// `ss` (iproute2).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { STACK_SERVICES, stackPid } from '../../support/stack.js';
import type { StackService } from '../../support/stack.js';

/** Kafka (client + controller), MongoDB, Redis, Configuration Service stub. */
const STACK_PORTS = [9092, 9093, 27017, 6379, 8081];

interface Listener {
  address: string;
  port: number;
  pids: number[];
}

/** Parse `ss -Hltnp` lines such as
 *  LISTEN 0 50 [::ffff:127.0.0.1]:9092 *:* users:(("java",pid=21060,fd=92)) */
export function parseSsListeners(output: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    const local = fields[3] ?? '';
    const sep = local.lastIndexOf(':');
    if (sep < 0) continue;
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    listeners.push({ address: local.slice(0, sep), port: Number(local.slice(sep + 1)), pids });
  }
  return listeners;
}

export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return /^127\./.test(a) || a === '::1' || /^::ffff:127\./i.test(a);
}

/** The pid and all its descendants (children of servers must be loopback too). */
function withDescendants(root: number): Set<number> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // process exited meanwhile
    }
  }
  const result = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!result.has(pid) && result.has(ppid)) {
        result.add(pid);
        grew = true;
      }
    }
  }
  return result;
}

describe('Local stack: network exposure', () => {
  it('parses ss output and recognises loopback addresses', () => {
    const parsed = parseSsListeners(
      [
        'LISTEN 0 50 [::ffff:127.0.0.1]:9092 *:* users:(("java",pid=21060,fd=92))',
        'LISTEN 0 511 0.0.0.0:8081 0.0.0.0:* users:(("node",pid=7,fd=18),("node",pid=8,fd=18))',
      ].join('\n'),
    );
    expect(parsed).to.deep.equal([
      { address: '[::ffff:127.0.0.1]', port: 9092, pids: [21060] },
      { address: '0.0.0.0', port: 8081, pids: [7, 8] },
    ]);
    expect(['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '127.0.0.53%lo'].map(isLoopback)).to.deep.equal([true, true, true, true]);
    expect(['0.0.0.0', '*', '[::]', '10.0.0.5', '[::ffff:10.0.0.5]'].map(isLoopback)).to.deep.equal([false, false, false, false, false]);
  });

  it('has something listening on every stack port, on loopback addresses only', () => {
    const listeners = parseSsListeners(execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }));
    for (const port of STACK_PORTS) {
      const onPort = listeners.filter((l) => l.port === port);
      expect(onPort, `nothing listens on port ${port}`).not.to.be.empty;
      for (const l of onPort) {
        expect(isLoopback(l.address), `port ${port} is bound to ${l.address}`).to.equal(true);
      }
    }
  });

  it('has every server started by the stack listening on loopback addresses only', function () {
    const managed = STACK_SERVICES.map((service) => [service, stackPid(service)] as const).filter(
      (entry): entry is readonly [StackService, number] => entry[1] !== undefined,
    );
    if (managed.length === 0) {
      // The servers answering were not started by scripts/stack/up.sh with this
      // cache dir (the test above still checked their ports).
      this.skip();
    }
    const listeners = parseSsListeners(execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }));
    for (const [service, pid] of managed) {
      const pids = withDescendants(pid);
      const own = listeners.filter((l) => l.pids.some((p) => pids.has(p)));
      expect(own, `${service} (pid ${pid}) has no listening socket`).not.to.be.empty;
      for (const l of own) {
        expect(isLoopback(l.address), `${service} (pid ${pid}) listens on ${l.address}:${l.port}`).to.equal(true);
      }
    }
  });
});
