import { outboxCollection } from '../../../src/infra/mongo/eventStore.js';
import type { ServiceHarness } from '../../support/serviceHarness.js';
import { waitFor } from '../../support/stack.js';

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

/** The first notification published for a case after the `from`th one the harness saw, waited for. */
export const nextPublished = async (
  svc: ServiceHarness,
  case_id: string,
  from: number,
  description: string,
  timeoutMs = 20_000,
): Promise<Json> => {
  const [first] = await waitFor(
    () => (publishedFor(svc, case_id, from).length > 0 ? publishedFor(svc, case_id, from) : undefined),
    timeoutMs,
    {
      description,
    },
  );
  return first!;
};

/** Waits until the outbox holds no entry for a notification (Kafka acknowledged it). */
export const outboxEntryGone = (svc: ServiceHarness, event_id: string, description = `the outbox entry of ${event_id} removed`) =>
  waitFor(async () => ((await outboxCollection(svc.db).countDocuments({ _id: event_id })) === 0 ? true : undefined), 20_000, {
    description,
  });
