import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { arrayOf, bool, decodeWith, jsonObject, nullable, numberBetween, objectOf, optional, str, withMaxLength } from './codecs.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decodeLimits.js';
import type { FieldError } from './rejection.js';

/** The inbound client-data message (topic KAFKA_TOPIC_NAME), as the README's schema section documents it. */

export const TraitementType = ['KYC', 'KYB'] as const;
export type TraitementType = (typeof TraitementType)[number];

/** `KYC` or `KYB` in any letter case, normalised to upper case. */
const traitementType = new t.Type<TraitementType, string, unknown>(
  'KYC or KYB',
  (u): u is TraitementType => u === 'KYC' || u === 'KYB',
  (u, c) => {
    const upper = typeof u === 'string' ? u.toUpperCase() : undefined;
    return upper === 'KYC' || upper === 'KYB' ? t.success(upper) : t.failure(u, c, 'must be KYC or KYB (any letter case)');
  },
  t.identity,
);

const schemaVersion = new t.Type<'1.0', string, unknown>(
  '"1.0"',
  (u): u is '1.0' => u === '1.0',
  (u, c) => (u === '1.0' ? t.success('1.0') : t.failure(u, c, 'must be exactly "1.0"')),
  t.identity,
);

/** The codecs of a message under the given limits: built once per limits, not once per message. */
const messageCodecs = (limits: DecodeLimits) => {
  const text = withMaxLength(str, limits.maxStringLength);
  const person = objectOf('person', {
    firstname: text,
    lastname: text,
    birthdate: nullable(text),
    role_in_company: nullable(text),
  });
  const address = objectOf('address', {
    street: nullable(text),
    city: nullable(text),
    state_province: nullable(text),
    postal_code: nullable(text),
    country: text,
  });
  const companyProfile = objectOf('company profile', {
    registered_name: text,
    trading_name: nullable(text),
    registration_number: text,
    registration_date: nullable(text),
    country_of_incorporation: text,
    registered_address: address,
    business_type: nullable(text),
    industry_sector: nullable(text),
  });
  const beneficialOwner = objectOf('beneficial owner', {
    person_details: person,
    ownership_percentage: nullable(numberBetween(0, 100)),
    types_of_control: optional(arrayOf(text, limits.maxListItems), [] as string[]),
    is_ubo: optional(bool, false),
  });
  const fields = {
    client_id: text,
    version: schemaVersion,
    type: text,
    traitement_type: traitementType,
    persons: arrayOf(person, limits.maxPersons),
    company_profile: nullable(companyProfile),
    beneficial_owners: optional(arrayOf(beneficialOwner, limits.maxBeneficialOwners), [] as t.TypeOf<typeof beneficialOwner>[]),
  };
  return {
    message: objectOf('client data message', fields),
    /** A KYC message may carry a company profile of any shape: it is ignored, so it is not checked. */
    kycMessage: objectOf('KYC client data message', { ...fields, company_profile: nullable(jsonObject) }),
  };
};

type Codecs = ReturnType<typeof messageCodecs>;
type MessageShape = t.TypeOf<Codecs['message']>;
export type PersonData = MessageShape['persons'][number];
export type CompanyProfileData = NonNullable<MessageShape['company_profile']>;
export type BeneficialOwnerData = MessageShape['beneficial_owners'][number];

export interface ClientDataMessage {
  readonly client_id: string;
  readonly version: '1.0';
  readonly type: string;
  readonly traitement_type: TraitementType;
  readonly persons: readonly PersonData[];
  /** Always null for KYC: a KYC message may carry one, and it is ignored. */
  readonly company_profile: CompanyProfileData | null;
  /** Always empty for KYC. */
  readonly beneficial_owners: readonly BeneficialOwnerData[];
}

/** The rules that tie fields together; checked on the raw input so they are reported beside field errors. */
const crossFieldErrors = (input: unknown): FieldError[] => {
  if (typeof input !== 'object' || input === null) return [];
  const raw = input as Record<string, unknown>;
  const kind = typeof raw.traitement_type === 'string' ? raw.traitement_type.toUpperCase() : undefined;
  if (kind === 'KYB' && (raw.company_profile === undefined || raw.company_profile === null)) {
    return [{ path: '$.company_profile', rule: 'is required when traitement_type is KYB' }];
  }
  if (kind === 'KYC' && Array.isArray(raw.beneficial_owners) && raw.beneficial_owners.length > 0) {
    return [{ path: '$.beneficial_owners', rule: 'must be absent, null or empty when traitement_type is KYC' }];
  }
  return [];
};

const isKyc = (input: unknown): boolean =>
  typeof input === 'object' && input !== null && String((input as Record<string, unknown>).traitement_type).toUpperCase() === 'KYC';

/** A decoder of parsed JSON values into client-data messages (or every field error) under `limits`. */
export const clientMessageDecoder = (limits: DecodeLimits) => {
  const codecs = messageCodecs(limits);
  const decodeShape = decodeWith(codecs.message);
  const decodeKycShape = decodeWith(codecs.kycMessage);
  return (input: unknown): E.Either<FieldError[], ClientDataMessage> => {
    const shape = isKyc(input) ? decodeKycShape(input) : decodeShape(input);
    const cross = crossFieldErrors(input);
    if (E.isLeft(shape)) return E.left([...shape.left, ...cross.filter((c) => !shape.left.some((s) => s.path === c.path))]);
    if (cross.length > 0) return E.left(cross);
    const m = shape.right;
    return E.right({
      ...m,
      company_profile: m.traitement_type === 'KYB' ? (m.company_profile as CompanyProfileData | null) : null,
      beneficial_owners: m.traitement_type === 'KYB' ? m.beneficial_owners : [],
    });
  };
};

/** Decodes a parsed JSON value into a client-data message under the default limits. */
export const decodeClientMessage = clientMessageDecoder(DEFAULT_DECODE_LIMITS);
