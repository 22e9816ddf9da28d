import type { RulesByTrigger } from '../../../tools/config-service-stub/stub.js';
import { idFor } from '../../../src/domain/deterministicId.js';
import type { Prng } from './prng.js';

/**
 * The valid client-data messages a scenario drives: KYC and KYB, 1–4 persons, 0–3 beneficial
 * owners for KYB, case types of which some have an active notification rule and some none. Every
 * message has a unique `message-id` header and a unique client_id, so the invariant checker knows
 * exactly what each one must have become.
 *
 * Case types carry the scenario's tag, so their triggers (and the Redis cache keys
 * `casestream:rule:<trigger>`) belong to this scenario alone: a rule another test cached for
 * CASE_CREATED_KYC_INDIVIDUAL_STANDARD can never answer for us.
 */

export type Kind = 'KYC' | 'KYB';

export interface CaseTypeSpec {
  readonly kind: Kind;
  /** The message's `type` field as sent (may be lower case with `-`: the trigger normalises it). */
  readonly type: string;
  /** Whether an active rule matches, i.e. whether the case must get exactly one NotificationRequired. */
  readonly notifies: boolean;
  /** The rules the Configuration Service stub answers for the trigger (absent: no rule at all). */
  readonly rules?: readonly unknown[];
  readonly weight: number;
}

/** `CASE_CREATED_<KYC|KYB>_<case type>`, upper case, `-` → `_` (the README's rule). */
export const triggerOf = (kind: Kind, type: string): string => `CASE_CREATED_${kind}_${type}`.toUpperCase().replace(/-/g, '_');

const rule = (rule_id: string, is_active = true, language_code = 'en') => ({
  rule_id,
  is_active,
  notification_type: 'EMAIL',
  template_id: `${rule_id}_V1`,
  language_code,
});

/** The scenario's case types; roughly 60 % of messages have an active rule. */
export const caseTypesFor = (tag: string): CaseTypeSpec[] => [
  { kind: 'KYC', type: `INDIVIDUAL_STANDARD_${tag}`, notifies: true, rules: [rule('WELCOME_KYC')], weight: 30 },
  // first rule inactive, second active: the second one wins
  { kind: 'KYC', type: `ENHANCED_DUE_DILIGENCE_${tag}`, notifies: true, rules: [rule('EDD_OLD', false), rule('EDD_KYC')], weight: 8 },
  { kind: 'KYC', type: `LOW_RISK_${tag}`, notifies: false, weight: 12 },
  // only an inactive rule: no notification
  { kind: 'KYC', type: `PEP_REVIEW_${tag}`, notifies: false, rules: [rule('PEP_OLD', false)], weight: 6 },
  { kind: 'KYB', type: `COMPANY_STANDARD_${tag}`, notifies: true, rules: [rule('WELCOME_KYB')], weight: 20 },
  // lower case with dashes: the trigger is normalised to CASE_CREATED_KYB_MICRO_BUSINESS_<TAG>
  { kind: 'KYB', type: `micro-business-${tag.toLowerCase()}`, notifies: true, rules: [rule('MICRO_KYB', true, 'fr')], weight: 6 },
  { kind: 'KYB', type: `SOLE_TRADER_${tag}`, notifies: false, weight: 10 },
  // a malformed rule first (skipped by casestream), then a valid active one
  { kind: 'KYB', type: `HOLDING_${tag}`, notifies: true, rules: [{ rule_id: 'BROKEN', is_active: 'yes' }, rule('HOLDING_KYB')], weight: 8 },
];

/** What the Configuration Service stub serves for these case types. */
export const rulesFor = (types: readonly CaseTypeSpec[]): RulesByTrigger =>
  Object.fromEntries(types.filter((t) => t.rules !== undefined).map((t) => [triggerOf(t.kind, t.type), [...t.rules!]]));

export interface ValidMessage {
  readonly valid: true;
  readonly index: number;
  readonly messageId: string;
  readonly clientId: string;
  readonly kind: Kind;
  readonly caseType: string;
  readonly trigger: string;
  readonly notifies: boolean;
  /** The case id casestream must derive from the message-id (`idFor(key, 'case')`). */
  readonly caseId: string;
  readonly companyId: string | null;
  /** Events the case stream must hold (NotificationRequired included when `notifies`). */
  readonly caseEvents: number;
  /** Events the company stream must hold (0 for KYC). */
  readonly companyEvents: number;
  readonly key: string | null;
  readonly value: Buffer;
}

export interface InvalidMessage {
  readonly valid: false;
  readonly index: number;
  readonly messageId: string;
  /** Which kind of breakage (see badInputs.ts). */
  readonly name: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  /** A fragment the dead letter's x-error-reason must contain. */
  readonly reason: string;
  /** JSON paths x-error-details must name (when the rejection has field errors). */
  readonly paths: readonly string[];
}

export type DrivenMessage = ValidMessage | InvalidMessage;

const FIRST = [
  'Ada',
  'Bram',
  'Chloé',
  'Dmitri',
  'Eun-ji',
  'Fatima',
  'Gustav',
  'Hana',
  'Idris',
  'Józef',
  'Kwame',
  'Lucía',
  'Mei',
  'Nils',
  'Olu',
  'Priya',
];
const LAST = ['Okafor', 'Müller', 'Nakamura', "O'Brien", 'Silva', 'Novák', 'Haddad', 'Larsen', 'Kowalczyk', 'Nguyen', 'Dubois', 'Rossi'];
const ROLES = ['Director', 'Secretary', 'CFO', 'Chair', 'Shareholder'];
const CONTROLS = ['SHAREHOLDING_OVER_25', 'VOTING_RIGHTS_OVER_25', 'RIGHT_TO_APPOINT_DIRECTORS', 'SIGNIFICANT_INFLUENCE'];
const COUNTRIES = ['GB', 'FR', 'DE', 'NL', 'IE', 'ES', 'LU'];

const birthdate = (r: Prng): string | null =>
  r.chance(0.15) ? null : `${r.int(1940, 2004)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;

const person = (r: Prng, withRole: boolean): Record<string, unknown> => {
  const p: Record<string, unknown> = { firstname: r.pick(FIRST), lastname: r.pick(LAST) };
  const b = birthdate(r);
  if (b !== null || r.chance(0.5)) p.birthdate = b;
  if (withRole) p.role_in_company = r.pick(ROLES);
  else if (r.chance(0.2)) p.role_in_company = null;
  return p;
};

const companyProfile = (r: Prng, i: number): Record<string, unknown> => {
  const country = r.pick(COUNTRIES);
  return {
    registered_name: `${r.pick(LAST)} ${r.pick(['Holdings', 'Trading', 'Partners', 'Logistics'])} ${r.pick(['Ltd', 'SAS', 'GmbH', 'BV'])}`,
    ...(r.chance(0.5) ? { trading_name: `${r.pick(LAST)} & Co` } : {}),
    registration_number: `R${String(i).padStart(7, '0')}`,
    ...(r.chance(0.5) ? { registration_date: `${r.int(1990, 2024)}-0${r.int(1, 9)}-1${r.int(0, 9)}` } : {}),
    country_of_incorporation: country,
    registered_address: {
      street: `${r.int(1, 400)} ${r.pick(['High Street', 'Rue de la Paix', 'Hauptstraße', 'Main Road'])}`,
      city: r.pick(['London', 'Paris', 'Berlin', 'Amsterdam', 'Dublin']),
      ...(r.chance(0.3) ? { state_province: null } : {}),
      postal_code: r.chance(0.9) ? `${r.int(10000, 99999)}` : null,
      country,
    },
    ...(r.chance(0.6) ? { business_type: r.pick(['PRIVATE_LIMITED', 'PUBLIC_LIMITED', 'PARTNERSHIP']) } : {}),
    ...(r.chance(0.6) ? { industry_sector: r.pick(['Finance', 'Retail', 'Manufacturing', 'Software']) } : {}),
  };
};

const owner = (r: Prng): Record<string, unknown> => {
  const o: Record<string, unknown> = { person_details: person(r, false) };
  const pct = r.weighted<number | null | undefined>([
    [r.int(0, 100), 6],
    [Math.round(r.next() * 10000) / 100, 2],
    [null, 1],
    [undefined, 1],
  ]);
  if (pct !== undefined) o.ownership_percentage = pct;
  if (r.chance(0.8)) o.types_of_control = CONTROLS.filter(() => r.chance(0.4));
  if (r.chance(0.8)) o.is_ubo = r.chance(0.5);
  return o;
};

/** One valid message; `index` makes its ids unique within the scenario. */
export const validMessage = (tag: string, index: number, r: Prng, types: readonly CaseTypeSpec[]): ValidMessage => {
  const spec = r.weighted(types.map((t) => [t, t.weight] as const));
  const messageId = `${tag}-m${index}`;
  const clientId = `${tag.toLowerCase()}-client-${index}`;
  const personCount = r.int(1, 4);
  let withRoles = 0;
  const persons = Array.from({ length: personCount }, () => {
    const role = spec.kind === 'KYB' && r.chance(0.6);
    if (role) withRoles += 1;
    return person(r, role);
  });
  const owners = spec.kind === 'KYB' ? Array.from({ length: r.int(0, 3) }, () => owner(r)) : [];
  const body: Record<string, unknown> = {
    client_id: clientId,
    version: '1.0',
    type: spec.type,
    // letter case varies: casestream normalises it
    traitement_type: r.chance(0.2) ? spec.kind.toLowerCase() : spec.kind,
    persons,
  };
  if (spec.kind === 'KYB') {
    body.company_profile = companyProfile(r, index);
    if (owners.length > 0 || r.chance(0.5)) body.beneficial_owners = owners;
  } else {
    // KYC may carry a null company profile and null/empty owners; both are ignored
    if (r.chance(0.1)) body.company_profile = null;
    if (r.chance(0.1)) body.beneficial_owners = r.chance(0.5) ? null : [];
  }
  if (r.chance(0.05)) body.source_system = 'crm'; // unknown fields are ignored
  const documentEvents = spec.kind === 'KYC' ? 2 * personCount : personCount + 2;
  return {
    valid: true,
    index,
    messageId,
    clientId,
    kind: spec.kind,
    caseType: spec.type,
    trigger: triggerOf(spec.kind, spec.type),
    notifies: spec.notifies,
    caseId: idFor(messageId, 'case'),
    companyId: spec.kind === 'KYB' ? idFor(messageId, 'company') : null,
    caseEvents: 1 + personCount + documentEvents + (spec.notifies ? 1 : 0),
    companyEvents: spec.kind === 'KYB' ? 1 + withRoles + owners.length : 0,
    key: r.chance(0.85) ? clientId : null,
    value: Buffer.from(JSON.stringify(body)),
  };
};
