import sinon from 'sinon';
import type { NotificationRule } from '../../../src/domain/notificationRule.js';
import type { ConfigServiceClient, ConfigServiceResult } from '../../../src/infra/rules/configServiceClient.js';
import type { RuleLogger } from '../../../src/infra/rules/logger.js';
import type { RuleCacheRedis } from '../../../src/infra/rules/ruleCache.js';

export const T0 = Date.parse('2026-01-15T10:00:00.000Z');

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public ms = T0) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const rule = (patch: Partial<NotificationRule> = {}): NotificationRule => ({
  rule_id: 'EMAIL_WELCOME_KYC',
  is_active: true,
  notification_type: 'EMAIL',
  template_id: 'KYC_WELCOME_EMAIL_V1',
  language_code: 'en',
  ...patch,
});

export const answered = (found: NotificationRule | null): ConfigServiceResult => ({ kind: 'answered', rule: found, skipped: [] });
export const failed = (reason = 'the service answered HTTP 503'): ConfigServiceResult => ({
  kind: 'failed',
  failure: 'status',
  status: 503,
  reason,
});

/** A Configuration Service client whose answers the test scripts with sinon. */
export const fakeClient = () => {
  const matchRule = sinon.stub<Parameters<ConfigServiceClient['matchRule']>, Promise<ConfigServiceResult>>();
  matchRule.resolves(answered(rule()));
  return { client: { matchRule } satisfies ConfigServiceClient, matchRule };
};

/** An in-memory Redis with PX expiry on the fake clock, spies on every call, and a switch to make it fail. */
export class FakeRedis implements RuleCacheRedis {
  readonly store = new Map<string, { value: string; expiresAt: number }>();
  failing = false;
  readonly get = sinon.spy(async (key: string): Promise<string | null> => {
    if (this.failing) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    const found = this.store.get(key);
    if (found === undefined) return null;
    if (this.clock.now() >= found.expiresAt) {
      this.store.delete(key);
      return null;
    }
    return found.value;
  });
  readonly set = sinon.spy(async (key: string, value: string, _px: 'PX', ms: number): Promise<'OK'> => {
    if (this.failing) throw new Error('Command timed out');
    this.store.set(key, { value, expiresAt: this.clock.now() + ms });
    return 'OK';
  });

  constructor(private readonly clock: FakeClock) {}

  /** Remaining key lifetime in ms, or undefined when absent. */
  pttl(key: string): number | undefined {
    const found = this.store.get(key);
    return found === undefined ? undefined : found.expiresAt - this.clock.now();
  }

  json(key: string): unknown {
    const found = this.store.get(key);
    return found === undefined ? undefined : JSON.parse(found.value);
  }
}

/** A logger that records every call, to assert what is (and is not) logged. */
export const recordingLogger = () => {
  const lines: { level: string; obj: object; msg: string | undefined }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: RuleLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
};

/** A promise the test resolves when it wants. */
export const deferred = <A>() => {
  let resolve!: (value: A) => void;
  const promise = new Promise<A>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};
