/**
 * Broken client-data messages, as data: each kind has a name, the exact bytes sent as the Kafka
 * value (null = a tombstone), a fragment the dead letter's `x-error-reason` must contain, and the
 * JSON paths `x-error-details` must name. Scenario 7 sends every kind; the other scenarios mix a
 * few cheap ones into their traffic.
 *
 * Every kind carries MARKER somewhere in its content when it can, so the checker can verify that
 * reasons never quote the message's content (README: "Reasons never quote the message's content").
 */

export const MARKER = 'Pii-Marker-7f3a';

export interface BadInput {
  readonly name: string;
  readonly value: Buffer | null;
  /** Must appear in x-error-reason. */
  readonly reason: string;
  /** Must all appear among x-error-details[].path. */
  readonly paths: readonly string[];
  /** Too big to mix into ordinary traffic (scenario 7 only). */
  readonly heavy?: boolean;
}

const INVALID = 'invalid client data message: ';
/** Deeper than MAX_JSON_DEPTH (default 32): refused by a scan of the text before parsing. */
const DEEP = 'the message value nests deeper than 32 levels';
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const text = (s: string): Buffer => Buffer.from(s, 'utf8');

const kyc = (clientId: string): Record<string, unknown> => ({
  client_id: clientId,
  version: '1.0',
  type: 'INDIVIDUAL_STANDARD_BAD',
  traitement_type: 'KYC',
  persons: [{ firstname: MARKER, lastname: 'Doe', birthdate: '1990-01-15' }],
});

const kyb = (clientId: string): Record<string, unknown> => ({
  client_id: clientId,
  version: '1.0',
  type: 'COMPANY_STANDARD_BAD',
  traitement_type: 'KYB',
  company_profile: {
    registered_name: `${MARKER} Ltd`,
    registration_number: 'C1',
    country_of_incorporation: 'GB',
    registered_address: { street: '1 Road', city: 'London', country: 'GB', postal_code: 'E1' },
  },
  persons: [{ firstname: 'Jane', lastname: MARKER, role_in_company: 'Director' }],
  beneficial_owners: [
    {
      person_details: { firstname: 'Ulla', lastname: 'Owner' },
      ownership_percentage: 60,
      types_of_control: ['SHAREHOLDING_OVER_25'],
      is_ubo: true,
    },
  ],
});

const without = (o: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...o };
  delete copy[key];
  return copy;
};
const set = (o: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> => ({ ...o, ...patch });
const company = (o: Record<string, unknown>) => o.company_profile as Record<string, unknown>;
const firstOwner = (o: Record<string, unknown>) => (o.beneficial_owners as Record<string, unknown>[])[0]!;
const withOwner = (o: Record<string, unknown>, patch: Record<string, unknown>) =>
  set(o, { beneficial_owners: [{ ...firstOwner(o), ...patch }] });
const withoutOwnerField = (o: Record<string, unknown>, key: string) => set(o, { beneficial_owners: [without(firstOwner(o), key)] });

/** `{"x":{"x":…}}` nested `depth` levels deep, built as text (no recursion, any depth). */
const nestedObjectText = (depth: number, leaf = '1'): string => '{"x":'.repeat(depth) + leaf + '}'.repeat(depth);
const nestedArrayText = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** The largest value the broker accepts is ~1 MiB (message.max.bytes 1048588 with the record overhead). */
export const LARGE_VALUE_BYTES = 900 * 1024;
export const MULTI_MEGABYTE_BYTES = 3 * 1024 * 1024;

/** A JSON object of about `bytes` bytes whose only fault is a wrong version (the bulk is an unknown field). */
export const paddedWrongVersion = (clientId: string, bytes: number): Buffer => {
  const base = set(kyc(clientId), { version: '0.9', notes: '' });
  const overhead = Buffer.byteLength(JSON.stringify(base));
  return json(
    set(base, { notes: `${MARKER} ${'lorem ipsum '.repeat(Math.ceil((bytes - overhead) / 12))}`.slice(0, Math.max(0, bytes - overhead)) }),
  );
};

/** Every kind of broken message, for one scenario run (`id` makes client ids unique). */
export const badInputs = (id: string): BadInput[] => {
  const c = (name: string) => `${id}-bad-${name}`;
  const list: BadInput[] = [
    // ---- not a JSON object at all
    {
      name: 'not-json-text',
      value: text(`hello ${MARKER}, this is not JSON`),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'truncated-json',
      value: text(JSON.stringify(kyc(c('truncated'))).slice(0, 60)),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'json-trailing-garbage',
      value: text(`${JSON.stringify(kyc(c('trailing')))} ${MARKER}`),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'json-single-quotes',
      value: text(`{'client_id': '${MARKER}', 'version': '1.0'}`),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'json-with-comment',
      value: text(`{"client_id": "x" /* ${MARKER} */}`),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'json-nan-literal',
      value: text(`{"client_id": "${MARKER}", "score": NaN}`),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'control-bytes',
      value: Buffer.from([0x00, 0x01, 0x02, 0x1b, 0x7f, 0x0a]),
      reason: 'the message value is not valid JSON',
      paths: ['$'],
    },
    {
      name: 'invalid-utf8-ff',
      value: Buffer.concat([text(`{"client_id":"${MARKER}`), Buffer.from([0xff, 0xfe]), text('"}')]),
      reason: 'the message value is not valid UTF-8',
      paths: ['$'],
    },
    {
      name: 'invalid-utf8-overlong',
      value: Buffer.concat([text('{"a":"'), Buffer.from([0xc0, 0xaf]), text('"}')]),
      reason: 'the message value is not valid UTF-8',
      paths: ['$'],
    },
    {
      name: 'invalid-utf8-surrogate',
      value: Buffer.concat([text('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), text('"}')]),
      reason: 'the message value is not valid UTF-8',
      paths: ['$'],
    },
    {
      name: 'invalid-utf8-truncated-sequence',
      value: Buffer.concat([text(`{"client_id":"${MARKER}`), Buffer.from([0xe2, 0x82])]),
      reason: 'the message value is not valid UTF-8',
      paths: ['$'],
    },
    {
      name: 'latin1-encoded',
      value: Buffer.from(JSON.stringify(set(kyc(c('latin1')), { type: 'CAFÉ_Ö' })), 'latin1'),
      reason: 'the message value is not valid UTF-8',
      paths: ['$'],
    },
    { name: 'null-value', value: null, reason: 'the message has no value', paths: ['$'] },
    { name: 'empty-value', value: Buffer.alloc(0), reason: 'the message has no value', paths: ['$'] },
    { name: 'json-array', value: text('[1, 2, 3]'), reason: 'the message value must be a JSON object, got an array', paths: ['$'] },
    {
      name: 'json-array-of-message',
      value: json([kyc(c('array'))]),
      reason: 'the message value must be a JSON object, got an array',
      paths: ['$'],
    },
    { name: 'json-string', value: json(`${MARKER}`), reason: 'the message value must be a JSON object, got string', paths: ['$'] },
    { name: 'json-number', value: text('42'), reason: 'the message value must be a JSON object, got number', paths: ['$'] },
    { name: 'json-null', value: text('null'), reason: 'the message value must be a JSON object, got null', paths: ['$'] },
    { name: 'json-boolean', value: text('true'), reason: 'the message value must be a JSON object, got boolean', paths: ['$'] },
    { name: 'whitespace-only', value: text('   \n\t '), reason: 'the message value is not valid JSON', paths: ['$'] },
    // ---- missing fields
    {
      name: 'empty-object',
      value: text('{}'),
      reason: `${INVALID}$.client_id is required`,
      paths: ['$.client_id', '$.version', '$.type', '$.traitement_type', '$.persons'],
    },
    {
      name: 'missing-client-id',
      value: json(without(kyc(c('x')), 'client_id')),
      reason: `${INVALID}$.client_id is required`,
      paths: ['$.client_id'],
    },
    {
      name: 'missing-version',
      value: json(without(kyc(c('no-version')), 'version')),
      reason: `${INVALID}$.version is required`,
      paths: ['$.version'],
    },
    { name: 'missing-type', value: json(without(kyc(c('no-type')), 'type')), reason: `${INVALID}$.type is required`, paths: ['$.type'] },
    {
      name: 'missing-traitement-type',
      value: json(without(kyc(c('no-tt')), 'traitement_type')),
      reason: `${INVALID}$.traitement_type is required`,
      paths: ['$.traitement_type'],
    },
    {
      name: 'missing-persons',
      value: json(without(kyc(c('no-persons')), 'persons')),
      reason: `${INVALID}$.persons is required`,
      paths: ['$.persons'],
    },
    {
      name: 'person-missing-lastname',
      value: json(set(kyc(c('no-lastname')), { persons: [{ firstname: MARKER }] })),
      reason: `${INVALID}$.persons[0].lastname is required`,
      paths: ['$.persons[0].lastname'],
    },
    {
      name: 'person-missing-firstname-second',
      value: json(set(kyc(c('no-firstname')), { persons: [{ firstname: 'A', lastname: 'B' }, { lastname: MARKER }] })),
      reason: `${INVALID}$.persons[1].firstname is required`,
      paths: ['$.persons[1].firstname'],
    },
    // ---- wrong types
    {
      name: 'client-id-number',
      value: json(set(kyc(c('x')), { client_id: 12345 })),
      reason: `${INVALID}$.client_id must be a string`,
      paths: ['$.client_id'],
    },
    {
      name: 'client-id-null',
      value: json(set(kyc(c('x')), { client_id: null })),
      reason: `${INVALID}$.client_id must be a string`,
      paths: ['$.client_id'],
    },
    {
      name: 'type-object',
      value: json(set(kyc(c('type-object')), { type: { name: MARKER } })),
      reason: `${INVALID}$.type must be a string`,
      paths: ['$.type'],
    },
    {
      name: 'traitement-type-unknown',
      value: json(set(kyc(c('kyx')), { traitement_type: 'KYX' })),
      reason: `${INVALID}$.traitement_type must be KYC or KYB`,
      paths: ['$.traitement_type'],
    },
    {
      name: 'traitement-type-number',
      value: json(set(kyc(c('tt-number')), { traitement_type: 1 })),
      reason: `${INVALID}$.traitement_type must be KYC or KYB`,
      paths: ['$.traitement_type'],
    },
    {
      name: 'persons-object',
      value: json(set(kyc(c('persons-object')), { persons: { firstname: MARKER, lastname: 'X' } })),
      reason: `${INVALID}$.persons must be an array`,
      paths: ['$.persons'],
    },
    {
      name: 'persons-null',
      value: json(set(kyc(c('persons-null')), { persons: null })),
      reason: `${INVALID}$.persons must be an array`,
      paths: ['$.persons'],
    },
    {
      name: 'person-string',
      value: json(set(kyc(c('person-string')), { persons: [MARKER] })),
      reason: `${INVALID}$.persons[0] must be an object`,
      paths: ['$.persons[0]'],
    },
    {
      name: 'person-null',
      value: json(set(kyc(c('person-null')), { persons: [null] })),
      reason: `${INVALID}$.persons[0] must be an object`,
      paths: ['$.persons[0]'],
    },
    {
      name: 'person-firstname-number',
      value: json(set(kyc(c('fn-number')), { persons: [{ firstname: 7, lastname: MARKER }] })),
      reason: `${INVALID}$.persons[0].firstname must be a string`,
      paths: ['$.persons[0].firstname'],
    },
    {
      name: 'person-birthdate-number',
      value: json(set(kyc(c('bd-number')), { persons: [{ firstname: MARKER, lastname: 'X', birthdate: 19900115 }] })),
      reason: `${INVALID}$.persons[0].birthdate must be a string`,
      paths: ['$.persons[0].birthdate'],
    },
    {
      name: 'person-role-boolean',
      value: json(set(kyb(c('role-bool')), { persons: [{ firstname: MARKER, lastname: 'X', role_in_company: true }] })),
      reason: `${INVALID}$.persons[0].role_in_company must be a string`,
      paths: ['$.persons[0].role_in_company'],
    },
    {
      name: 'persons-nested-array',
      value: json(set(kyc(c('nested-persons')), { persons: [[MARKER, 'Doe']] })),
      reason: `${INVALID}$.persons[0] must be an object`,
      paths: ['$.persons[0]'],
    },
    // ---- wrong version
    {
      name: 'version-2.0',
      value: json(set(kyc(c('v2')), { version: '2.0' })),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'version-number',
      value: json(set(kyc(c('v-number')), { version: 1.0 })),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'version-padded',
      value: json(set(kyc(c('v-padded')), { version: ' 1.0 ' })),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'version-duplicate-key-last-wins',
      value: text(JSON.stringify(kyc(c('v-dup'))).replace(/}$/, ',"version":"1.1"}')),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    // ---- KYB / KYC cross-field rules
    {
      name: 'kyb-without-company',
      value: json(without(kyb(c('kyb-no-company')), 'company_profile')),
      reason: `${INVALID}$.company_profile is required when traitement_type is KYB`,
      paths: ['$.company_profile'],
    },
    {
      name: 'kyb-company-null',
      value: json(set(kyb(c('kyb-company-null')), { company_profile: null, traitement_type: 'kyb' })),
      reason: `${INVALID}$.company_profile is required when traitement_type is KYB`,
      paths: ['$.company_profile'],
    },
    {
      name: 'kyb-company-array',
      value: json(set(kyb(c('kyb-company-array')), { company_profile: [MARKER] })),
      reason: `${INVALID}$.company_profile must be an object`,
      paths: ['$.company_profile'],
    },
    {
      name: 'kyb-company-string',
      value: json(set(kyb(c('kyb-company-string')), { company_profile: MARKER })),
      reason: `${INVALID}$.company_profile must be an object`,
      paths: ['$.company_profile'],
    },
    {
      name: 'kyc-with-owners',
      value: json(set(kyc(c('kyc-owners')), { beneficial_owners: [{ person_details: { firstname: MARKER, lastname: 'X' } }] })),
      reason: `${INVALID}$.beneficial_owners must be absent, null or empty when traitement_type is KYC`,
      paths: ['$.beneficial_owners'],
    },
    {
      name: 'kyb-company-missing-name',
      value: (() => {
        const m = kyb(c('no-name'));
        return json(set(m, { company_profile: without(company(m), 'registered_name') }));
      })(),
      reason: `${INVALID}$.company_profile.registered_name is required`,
      paths: ['$.company_profile.registered_name'],
    },
    {
      name: 'kyb-company-missing-address',
      value: (() => {
        const m = kyb(c('no-address'));
        return json(set(m, { company_profile: without(company(m), 'registered_address') }));
      })(),
      reason: `${INVALID}$.company_profile.registered_address is required`,
      paths: ['$.company_profile.registered_address'],
    },
    {
      name: 'kyb-address-missing-country',
      value: (() => {
        const m = kyb(c('no-country'));
        return json(set(m, { company_profile: { ...company(m), registered_address: { street: MARKER, city: 'X' } } }));
      })(),
      reason: `${INVALID}$.company_profile.registered_address.country is required`,
      paths: ['$.company_profile.registered_address.country'],
    },
    {
      name: 'kyb-registration-number-number',
      value: (() => {
        const m = kyb(c('regno'));
        return json(set(m, { company_profile: { ...company(m), registration_number: 123 } }));
      })(),
      reason: `${INVALID}$.company_profile.registration_number must be a string`,
      paths: ['$.company_profile.registration_number'],
    },
    {
      name: 'kyb-owners-object',
      value: json(set(kyb(c('owners-object')), { beneficial_owners: { person_details: { firstname: MARKER } } })),
      reason: `${INVALID}$.beneficial_owners must be an array`,
      paths: ['$.beneficial_owners'],
    },
    {
      name: 'percentage-above-100',
      value: json(withOwner(kyb(c('pct-101')), { ownership_percentage: 100.5 })),
      reason: `${INVALID}$.beneficial_owners[0].ownership_percentage must be a number from 0 to 100 inclusive`,
      paths: ['$.beneficial_owners[0].ownership_percentage'],
    },
    {
      name: 'percentage-negative',
      value: json(withOwner(kyb(c('pct-neg')), { ownership_percentage: -1 })),
      reason: `${INVALID}$.beneficial_owners[0].ownership_percentage must be a number from 0 to 100 inclusive`,
      paths: ['$.beneficial_owners[0].ownership_percentage'],
    },
    {
      name: 'percentage-string',
      value: json(withOwner(kyb(c('pct-string')), { ownership_percentage: '50' })),
      reason: `${INVALID}$.beneficial_owners[0].ownership_percentage must be a number from 0 to 100 inclusive`,
      paths: ['$.beneficial_owners[0].ownership_percentage'],
    },
    {
      name: 'percentage-overflow-1e400',
      value: text(
        JSON.stringify(withOwner(kyb(c('pct-inf')), { ownership_percentage: 0 })).replace(
          '"ownership_percentage":0',
          '"ownership_percentage":1e400',
        ),
      ),
      reason: `${INVALID}$.beneficial_owners[0].ownership_percentage must be a number from 0 to 100 inclusive`,
      paths: ['$.beneficial_owners[0].ownership_percentage'],
    },
    {
      name: 'owner-missing-person-details',
      value: json(withoutOwnerField(kyb(c('no-details')), 'person_details')),
      reason: `${INVALID}$.beneficial_owners[0].person_details is required`,
      paths: ['$.beneficial_owners[0].person_details'],
    },
    {
      name: 'owner-person-missing-firstname',
      value: json(withOwner(kyb(c('owner-no-fn')), { person_details: { lastname: MARKER } })),
      reason: `${INVALID}$.beneficial_owners[0].person_details.firstname is required`,
      paths: ['$.beneficial_owners[0].person_details.firstname'],
    },
    {
      name: 'types-of-control-string',
      value: json(withOwner(kyb(c('toc-string')), { types_of_control: 'SHAREHOLDING_OVER_25' })),
      reason: `${INVALID}$.beneficial_owners[0].types_of_control must be an array`,
      paths: ['$.beneficial_owners[0].types_of_control'],
    },
    {
      name: 'types-of-control-numbers',
      value: json(withOwner(kyb(c('toc-numbers')), { types_of_control: [25] })),
      reason: `${INVALID}$.beneficial_owners[0].types_of_control[0] must be a string`,
      paths: ['$.beneficial_owners[0].types_of_control[0]'],
    },
    {
      name: 'is-ubo-string',
      value: json(withOwner(kyb(c('ubo-string')), { is_ubo: 'yes' })),
      reason: `${INVALID}$.beneficial_owners[0].is_ubo must be a boolean`,
      paths: ['$.beneficial_owners[0].is_ubo'],
    },
    // ---- several faults at once: every path is named
    {
      name: 'many-faults-at-once',
      value: json({ client_id: 9, version: '2.0', type: 'COMPANY_STANDARD', traitement_type: 'KYB', persons: [{ firstname: MARKER }] }),
      reason: `${INVALID}$.client_id must be a string`,
      paths: ['$.client_id', '$.version', '$.persons[0].lastname', '$.company_profile'],
    },
    // ---- hostile shapes (each also has a wrong version, so it must be rejected, not crash anything)
    {
      name: 'nested-arrays-unknown-field',
      value: json(
        set(kyc(c('matrix')), {
          version: '9',
          matrix: [
            [1, 2],
            [3, [4, MARKER]],
          ],
        }),
      ),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'dollar-and-dot-keys',
      value: json(set(kyc(c('dollar')), { version: '9', $where: MARKER, 'a.b': 1, $set: { x: 1 } })),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'empty-and-nul-keys',
      value: json(set(kyc(c('nul-key')), { version: '9', '': MARKER, 'k\u0000ey': 1 })),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'proto-key',
      value: text(
        JSON.stringify(set(kyc(c('proto')), { version: '9' })).replace(
          /}$/,
          ',"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}',
        ),
      ),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'nul-and-lone-surrogate-strings',
      value: text(JSON.stringify(set(kyc(c('nul')), { version: '9', client_id: `a\u0000b${MARKER}` })).replace(/}$/, ',"odd":"\\ud800"}')),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
    },
    {
      name: 'huge-string-field',
      value: json(set(kyc(c('huge-string')), { version: '9', client_id: `${MARKER}${'x'.repeat(200_000)}` })),
      reason: `${INVALID}$.client_id must be at most 4096 characters long`,
      paths: ['$.client_id', '$.version'],
    },
    {
      name: 'many-persons-all-broken',
      value: json(set(kyc(c('many-persons')), { persons: Array.from({ length: 2000 }, () => ({ firstname: MARKER })) })),
      reason: `${INVALID}$.persons must have at most 200 items`,
      paths: ['$.persons'],
    },
    {
      name: 'deeply-nested-object-unknown-field',
      value: text(JSON.stringify(set(kyc(c('deep')), { version: '9' })).replace(/}$/, `,"deep":${nestedObjectText(5000)}}`)),
      reason: DEEP,
      paths: ['$'],
      heavy: true,
    },
    {
      name: 'deeply-nested-in-required-field',
      value: text(
        JSON.stringify(kyc(c('deep-fn'))).replace(`"firstname":"${MARKER}"`, `"firstname":${nestedObjectText(3000, `"${MARKER}"`)}`),
      ),
      reason: DEEP,
      paths: ['$'],
      heavy: true,
    },
    { name: 'deeply-nested-array', value: text(nestedArrayText(100_000)), reason: DEEP, paths: ['$'], heavy: true },
    {
      name: 'large-value-900kb',
      value: paddedWrongVersion(c('large'), LARGE_VALUE_BYTES),
      reason: `${INVALID}$.version must be exactly "1.0"`,
      paths: ['$.version'],
      heavy: true,
    },
  ];
  return list;
};

/** Cheap kinds that the fault scenarios mix into their ordinary traffic. */
export const MIXED_BAD_KINDS = [
  'not-json-text',
  'invalid-utf8-ff',
  'null-value',
  'json-array',
  'missing-client-id',
  'version-2.0',
  'kyb-without-company',
  'kyc-with-owners',
  'percentage-above-100',
  'types-of-control-numbers',
] as const;
