import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { arrayOf, bool, decodeWith, jsonObject, nullable, numberBetween, objectOf, optional, str } from './codecs.js';
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

export const personCodec = objectOf('person', {
  firstname: str,
  lastname: str,
  birthdate: nullable(str),
  role_in_company: nullable(str),
});
export type PersonData = t.TypeOf<typeof personCodec>;

const addressCodec = objectOf('address', {
  street: nullable(str),
  city: nullable(str),
  state_province: nullable(str),
  postal_code: nullable(str),
  country: str,
});

export const companyProfileCodec = objectOf('company profile', {
  registered_name: str,
  trading_name: nullable(str),
  registration_number: str,
  registration_date: nullable(str),
  country_of_incorporation: str,
  registered_address: addressCodec,
  business_type: nullable(str),
  industry_sector: nullable(str),
});
export type CompanyProfileData = t.TypeOf<typeof companyProfileCodec>;

const beneficialOwnerCodec = objectOf('beneficial owner', {
  person_details: personCodec,
  ownership_percentage: nullable(numberBetween(0, 100)),
  types_of_control: optional(arrayOf(str), [] as string[]),
  is_ubo: optional(bool, false),
});
export type BeneficialOwnerData = t.TypeOf<typeof beneficialOwnerCodec>;

const messageFields = {
  client_id: str,
  version: schemaVersion,
  type: str,
  traitement_type: traitementType,
  persons: arrayOf(personCodec),
  company_profile: nullable(companyProfileCodec),
  beneficial_owners: optional(arrayOf(beneficialOwnerCodec), [] as BeneficialOwnerData[]),
};
const clientMessageShape = objectOf('client data message', messageFields);
/** A KYC message may carry a company profile of any shape: it is ignored, so it is not checked. */
const kycMessageShape = objectOf('KYC client data message', { ...messageFields, company_profile: nullable(jsonObject) });

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

const decodeShape = decodeWith(clientMessageShape);
const decodeKycShape = decodeWith(kycMessageShape);

const isKyc = (input: unknown): boolean =>
  typeof input === 'object' && input !== null && String((input as Record<string, unknown>).traitement_type).toUpperCase() === 'KYC';

/** Decodes a parsed JSON value into a client-data message, or every field error it has. */
export const decodeClientMessage = (input: unknown): E.Either<FieldError[], ClientDataMessage> => {
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
