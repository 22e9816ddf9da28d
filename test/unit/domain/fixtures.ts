import * as E from 'fp-ts/lib/Either.js';
import { decodeClientMessage, type ClientDataMessage } from '../../../src/domain/clientMessage.js';
import { createCaseCommand, type CreateCase } from '../../../src/domain/commands.js';
import { contentHash } from '../../../src/domain/contentHash.js';
import type { FoundRule, NotificationRule, RuleSource } from '../../../src/domain/notificationRule.js';
import type { FieldError } from '../../../src/domain/rejection.js';

/** Shared builders for the domain specs: realistic inbound messages and the commands they become. */

export const T0 = new Date('2024-03-01T10:15:30.123Z');

export const rawKycMessage = (): Record<string, unknown> => ({
  client_id: 'client-42',
  version: '1.0',
  type: 'STANDARD_DUE_DILIGENCE',
  traitement_type: 'KYC',
  persons: [{ firstname: 'Ada', lastname: 'Lovelace', birthdate: '1815-12-10' }],
});

export const rawCompanyProfile = (): Record<string, unknown> => ({
  registered_name: 'Analytical Engines Ltd',
  trading_name: 'AEL',
  registration_number: 'GB-0001',
  registration_date: '1843-07-01',
  country_of_incorporation: 'GB',
  registered_address: {
    street: '1 Babbage Street',
    city: 'London',
    state_province: null,
    postal_code: 'W1 1AA',
    country: 'GB',
  },
  business_type: 'LIMITED',
  industry_sector: 'COMPUTING',
});

export const rawKybMessage = (): Record<string, unknown> => ({
  client_id: 'client-7',
  version: '1.0',
  type: 'kyb-standard',
  traitement_type: 'KYB',
  persons: [
    { firstname: 'Grace', lastname: 'Hopper', birthdate: '1906-12-09', role_in_company: 'DIRECTOR' },
    { firstname: 'Alan', lastname: 'Turing', birthdate: null, role_in_company: null },
    { firstname: 'Edsger', lastname: 'Dijkstra', role_in_company: 'SECRETARY' },
  ],
  company_profile: rawCompanyProfile(),
  beneficial_owners: [
    {
      person_details: { firstname: 'Grace', lastname: 'Hopper', birthdate: '1906-12-09', role_in_company: 'DIRECTOR' },
      ownership_percentage: 60,
      types_of_control: ['SHARES', 'VOTING_RIGHTS'],
      is_ubo: true,
    },
    { person_details: { firstname: 'Barbara', lastname: 'Liskov' }, ownership_percentage: null },
  ],
});

/** Decodes a raw message that the test expects to be valid. */
export const decodeOrThrow = (raw: unknown): ClientDataMessage => {
  const r = decodeClientMessage(raw);
  if (E.isLeft(r)) throw new Error(`fixture did not decode: ${JSON.stringify(r.left)}`);
  return r.right;
};

/** The content hash of a message whose value is `value` as JSON. */
export const contentOf = (value: unknown): string => contentHash(Buffer.from(JSON.stringify(value)));

/** The CreateCase command a raw message becomes under an idempotency key. */
export const creationCommand = (raw: unknown, key = 'key-1', timestamp: Date = T0): CreateCase =>
  createCaseCommand(decodeOrThrow(raw), { key, content_hash: contentOf(raw), timestamp });

/** An active welcome-email rule. */
export const welcomeRule: NotificationRule = {
  rule_id: 'r-1',
  is_active: true,
  notification_type: 'EMAIL_WELCOME',
  template_id: 'tpl',
  language_code: 'en',
};

/** When the Configuration Service gave the answers of `found`. */
export const FETCHED_AT = '2024-03-01T10:00:00.000Z';

/** A rule as a lookup found it: fresh from the Configuration Service unless told otherwise. */
export const found = (rule: NotificationRule, source: RuleSource = 'fresh', fetched_at = FETCHED_AT): FoundRule => ({
  rule,
  source,
  fetched_at,
});

/** The Right of an Either the test expects to succeed. */
export const rightOf = <L, A>(e: E.Either<L, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected Right, got Left: ${JSON.stringify(e.left)}`);
  return e.right;
};

/** The Left of an Either the test expects to fail. */
export const leftOf = <L, A>(e: E.Either<L, A>): L => {
  if (E.isRight(e)) throw new Error(`expected Left, got Right: ${JSON.stringify(e.right)}`);
  return e.left;
};

/** The rule reported at `path`, or undefined when that path is not named. */
export const ruleAt = (errors: readonly FieldError[], path: string): string | undefined => errors.find((e) => e.path === path)?.rule;

export const pathsOf = (errors: readonly FieldError[]): string[] => errors.map((e) => e.path);

/** A structural deep clone, so a test can tweak a fixture without touching the shared one. */
export const clone = <A>(a: A): A => JSON.parse(JSON.stringify(a)) as A;
