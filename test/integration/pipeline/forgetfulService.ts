import type { ServiceHarness } from '../../support/serviceHarness.js';

type Json = Record<string, unknown>;

/**
 * Settings of a service whose actors forget a case soon after its last message (as after a crash
 * and restart, its next message loads the case), with an outbox relay that is soon due.
 */
export const FORGETFUL_SERVICE_ENV: Readonly<Record<string, string>> = {
  CASE_IDLE_MS: '200',
  CASE_STATES_KEPT: '0',
  OUTBOX_GRACE_MS: '2000',
  OUTBOX_RELAY_INTERVAL_MS: '250',
};

/** Waits until such a service's actors have released, and forgotten, the cases they just handled. */
export const forgetCases = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1_000));

/** The notifications published for a case, parsed, in the order the harness saw them (from the `from`th on). */
export const publishedFor = (svc: ServiceHarness, case_id: string, from = 0): Json[] =>
  svc.notifications
    .slice(from)
    .filter((n) => n.key === case_id)
    .map((n) => JSON.parse(n.value!) as Json);
