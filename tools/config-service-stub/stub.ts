// Configuration Service stub (development/test tool, not part of the shipped
// service). Serves notification rules from a JSON file and can be switched at
// runtime into failure modes so tests can exercise the client's error paths.
//
// HTTP API
//   POST /rules/match         {"event_trigger": string, "context": object}
//                             -> 200 JSON array of the rules listed for that
//                                trigger (in file order, [] when none); 400 on
//                                a bad body. Behaviour depends on the mode.
//   GET  /__control           -> {mode, delay_ms, status, requests}
//   POST /__control           {"mode": Mode, "delay_ms"?: number, "status"?: number}
//   POST /__control/reset     -> back to normal mode, request counter 0
//
// Modes (apply to POST /rules/match only):
//   normal         answer normally
//   slow           answer normally after delay_ms (default 1000)
//   error          answer `status` (default 503) with a JSON error body
//   timeout        never answer; the socket is held until the client gives up
//   malformed      200 with a body that is not valid JSON
//   single-object  200 with the first matching rule as a bare object (not an
//                  array); {} when the trigger has no rules
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const STUB_MODES = ['normal', 'slow', 'error', 'timeout', 'malformed', 'single-object'] as const;
export type StubMode = (typeof STUB_MODES)[number];

export interface StubControl {
  mode: StubMode;
  /** Delay before answering in `slow` mode. */
  delay_ms: number;
  /** HTTP status used in `error` mode. */
  status: number;
}

export interface StubState extends StubControl {
  /** Number of POST /rules/match requests received since start/reset. */
  requests: number;
}

/** Rules file content: trigger -> rules in priority order. Entries are served
 * verbatim (deliberately malformed entries included). */
export type RulesByTrigger = Record<string, unknown[]>;

export interface StubOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** JSON rules file (used when `rules` is not given). */
  rulesFile?: string;
  /** Rules given directly (takes precedence over `rulesFile`). */
  rules?: RulesByTrigger;
  /** Called with one line per handled request. */
  log?: (line: string) => void;
}

export interface ConfigServiceStub {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:34567 */
  readonly url: string;
  readonly port: number;
  /** Switch the failure mode (same semantics as POST /__control). */
  setMode(mode: StubMode | ({ mode: StubMode } & Partial<Omit<StubControl, 'mode'>>)): void;
  /** Normal mode and request counter back to 0 (POST /__control/reset). */
  reset(): void;
  /** Current mode and request counter (GET /__control). */
  state(): StubState;
  /** Replace the served rules. */
  setRules(rules: RulesByTrigger): void;
  /** Stop listening and destroy open sockets (also those held by `timeout`). */
  close(): Promise<void>;
}

export const DEFAULT_DELAY_MS = 1000;
export const DEFAULT_ERROR_STATUS = 503;
const MAX_BODY_BYTES = 1024 * 1024;
const MALFORMED_BODY = '[{"rule_id": "EMAIL_WELCOME_KYC", "is_active": tru';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate the top-level shape of a rules document (object of arrays). */
export function parseRules(doc: unknown, source = 'rules'): RulesByTrigger {
  if (!isRecord(doc)) throw new Error(`${source}: expected an object keyed by event trigger`);
  const rules: RulesByTrigger = {};
  for (const [trigger, list] of Object.entries(doc)) {
    if (!Array.isArray(list)) throw new Error(`${source}: rules for ${trigger} must be an array`);
    rules[trigger] = list as unknown[];
  }
  return rules;
}

export function loadRulesFile(file: string): RulesByTrigger {
  return parseRules(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
}

/** Parse a control request body; returns an error message on bad input. */
export function parseControl(body: unknown): StubControl | string {
  if (!isRecord(body)) return 'body must be a JSON object';
  const { mode, delay_ms, status } = body;
  if (typeof mode !== 'string' || !(STUB_MODES as readonly string[]).includes(mode)) {
    return `mode must be one of ${STUB_MODES.join(', ')}`;
  }
  if (delay_ms !== undefined && (typeof delay_ms !== 'number' || !Number.isInteger(delay_ms) || delay_ms < 0)) {
    return 'delay_ms must be a non-negative integer';
  }
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)) {
    return 'status must be an integer between 400 and 599';
  }
  return {
    mode: mode as StubMode,
    delay_ms: delay_ms ?? DEFAULT_DELAY_MS,
    status: status ?? DEFAULT_ERROR_STATUS,
  };
}

type MatchRequest = { event_trigger: string; context: Record<string, unknown> };

function parseMatchRequest(body: unknown): MatchRequest | string {
  if (!isRecord(body)) return 'body must be a JSON object';
  if (typeof body.event_trigger !== 'string' || body.event_trigger.length === 0) {
    return 'event_trigger must be a non-empty string';
  }
  if (!isRecord(body.context)) return 'context must be a JSON object';
  return { event_trigger: body.event_trigger, context: body.context };
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown): void => send(res, status, JSON.stringify(value));

export async function startConfigServiceStub(options: StubOptions = {}): Promise<ConfigServiceStub> {
  let rules: RulesByTrigger =
    options.rules !== undefined ? parseRules(options.rules) : options.rulesFile !== undefined ? loadRulesFile(options.rulesFile) : {};
  const log = options.log ?? (() => undefined);
  const normal = (): StubControl => ({ mode: 'normal', delay_ms: DEFAULT_DELAY_MS, status: DEFAULT_ERROR_STATUS });
  let control = normal();
  let requests = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const state = (): StubState => ({ ...control, requests });

  const handleMatch = (res: ServerResponse, raw: string): void => {
    requests += 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw) as unknown;
    } catch {
      sendJson(res, 400, { error: 'body is not valid JSON' });
      return;
    }
    const match = parseMatchRequest(parsed);
    if (typeof match === 'string') {
      sendJson(res, 400, { error: match });
      return;
    }
    const found = rules[match.event_trigger] ?? [];
    const mode = control;
    log(`POST /rules/match trigger=${match.event_trigger} mode=${mode.mode} rules=${found.length}`);
    switch (mode.mode) {
      case 'normal':
        sendJson(res, 200, found);
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          sendJson(res, 200, found);
        }, mode.delay_ms);
        timers.add(timer);
        return;
      }
      case 'error':
        sendJson(res, mode.status, { error: 'config service stub: simulated failure', status: mode.status });
        return;
      case 'timeout':
        // Never answer: the socket stays open until the client gives up or
        // close() destroys it.
        return;
      case 'malformed':
        send(res, 200, MALFORMED_BODY);
        return;
      case 'single-object':
        sendJson(res, 200, found[0] ?? {});
        return;
    }
  };

  const handleControl = (req: IncomingMessage, res: ServerResponse, path: string, raw: string): void => {
    if (path === '/__control' && req.method === 'GET') {
      sendJson(res, 200, state());
      return;
    }
    if (path === '/__control/reset' && req.method === 'POST') {
      control = normal();
      requests = 0;
      log('POST /__control/reset');
      sendJson(res, 200, state());
      return;
    }
    if (path === '/__control' && req.method === 'POST') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw) as unknown;
      } catch {
        sendJson(res, 400, { error: 'body is not valid JSON' });
        return;
      }
      const next = parseControl(parsed);
      if (typeof next === 'string') {
        sendJson(res, 400, { error: next });
        return;
      }
      control = next;
      log(`POST /__control mode=${next.mode} delay_ms=${next.delay_ms} status=${next.status}`);
      sendJson(res, 200, state());
      return;
    }
    sendJson(res, 405, { error: `${req.method ?? '?'} not allowed on ${path}` });
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    const isMatch = path === '/rules/match';
    const isControl = path === '/__control' || path === '/__control/reset';
    if (!isMatch && !isControl) {
      sendJson(res, 404, { error: `no route for ${path}` });
      return;
    }
    if (isMatch && req.method !== 'POST') {
      sendJson(res, 405, { error: `${req.method ?? '?'} not allowed on ${path}` });
      return;
    }
    readBody(req).then(
      (raw) => (isMatch ? handleMatch(res, raw) : handleControl(req, res, path, raw)),
      (err: unknown) =>
        err instanceof BodyTooLarge
          ? sendJson(res, 413, { error: 'body too large' })
          : sendJson(res, 400, { error: 'could not read body' }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    setMode(mode) {
      const next = parseControl(typeof mode === 'string' ? { mode } : mode);
      if (typeof next === 'string') throw new Error(next);
      control = next;
    },
    reset() {
      control = normal();
      requests = 0;
    },
    state,
    setRules(next) {
      rules = parseRules(next);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
