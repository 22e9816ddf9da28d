import { expect } from 'chai';
import { decodeClientMessage } from '../../../src/domain/clientMessage.js';
import type { FieldError } from '../../../src/domain/rejection.js';
import { clone, leftOf, pathsOf, rawCompanyProfile, rawKybMessage, rawKycMessage, rightOf, ruleAt } from './fixtures.js';

type Raw = Record<string, unknown>;

const errorsOf = (input: unknown): FieldError[] => leftOf(decodeClientMessage(input));
const decoded = (input: unknown) => rightOf(decodeClientMessage(input));

const kyc = (patch: Raw = {}): Raw => ({ ...rawKycMessage(), ...patch });
const kyb = (patch: Raw = {}): Raw => ({ ...rawKybMessage(), ...patch });
const kybWithCompany = (patch: Raw): Raw => kyb({ company_profile: { ...rawCompanyProfile(), ...patch } });
const kybWithAddress = (patch: Raw): Raw =>
  kybWithCompany({ registered_address: { ...(rawCompanyProfile().registered_address as Raw), ...patch } });
const kybWithOwner = (owner: Raw): Raw => kyb({ beneficial_owners: [owner] });
const owner = (patch: Raw = {}): Raw => ({ person_details: { firstname: 'Barbara', lastname: 'Liskov' }, ...patch });
const withoutField = (raw: Raw, field: string): Raw => {
  const copy = clone(raw);
  delete copy[field];
  return copy;
};

describe('decodeClientMessage', () => {
  describe('accepting valid messages', () => {
    it('accepts a valid KYC message and keeps its client, version, case type and persons', () => {
      const m = decoded(rawKycMessage());
      expect(m.client_id).to.equal('client-42');
      expect(m.version).to.equal('1.0');
      expect(m.type).to.equal('STANDARD_DUE_DILIGENCE');
      expect(m.traitement_type).to.equal('KYC');
      expect(m.persons).to.deep.equal([{ firstname: 'Ada', lastname: 'Lovelace', birthdate: '1815-12-10', role_in_company: null }]);
      expect(m.company_profile).to.equal(null);
      expect(m.beneficial_owners).to.deep.equal([]);
    });

    for (const spelling of ['kyc', 'Kyc', 'kYC', 'KYC']) {
      it(`normalises traitement_type "${spelling}" to upper-case KYC`, () => {
        expect(decoded(kyc({ traitement_type: spelling })).traitement_type).to.equal('KYC');
      });
    }

    for (const spelling of ['kyb', 'Kyb', 'kYb', 'KYB']) {
      it(`normalises traitement_type "${spelling}" to upper-case KYB`, () => {
        expect(decoded(kyb({ traitement_type: spelling })).traitement_type).to.equal('KYB');
      });
    }

    it('accepts a message with an empty persons array', () => {
      expect(decoded(kyc({ persons: [] })).persons).to.deep.equal([]);
    });

    it('decodes a person without birthdate or role as having both null', () => {
      const m = decoded(kyc({ persons: [{ firstname: 'Ada', lastname: 'Lovelace' }] }));
      expect(m.persons[0]).to.deep.equal({ firstname: 'Ada', lastname: 'Lovelace', birthdate: null, role_in_company: null });
    });

    it("accepts explicit nulls for a person's birthdate and role", () => {
      const m = decoded(kyc({ persons: [{ firstname: 'A', lastname: 'B', birthdate: null, role_in_company: null }] }));
      expect(m.persons[0]).to.include({ birthdate: null, role_in_company: null });
    });

    it('accepts a KYC message whose company profile is incomplete, since a KYC company profile is ignored', () => {
      const m = decoded(kyc({ company_profile: { x: 1 } }));
      expect(m.company_profile).to.equal(null);
    });

    it('gives every decode its own default lists, so changing one message never leaks into the next', () => {
      const first = decoded(kyc({}));
      (first.beneficial_owners as unknown[]).push('LEAK');
      expect(decoded(kyc({})).beneficial_owners).to.deep.equal([]);
    });

    it('keeps every person in the order they were sent', () => {
      const m = decoded(rawKybMessage());
      expect(m.persons.map((p) => p.firstname)).to.deep.equal(['Grace', 'Alan', 'Edsger']);
      expect(m.persons.map((p) => p.role_in_company)).to.deep.equal(['DIRECTOR', null, 'SECRETARY']);
    });

    it('ignores unknown fields at every level and does not copy them into the decoded message', () => {
      const raw = rawKybMessage();
      raw.extra_top = 1;
      (raw.persons as Raw[])[0]!.nickname = 'Amazing Grace';
      (raw.company_profile as Raw).vat_number = 'GB123';
      ((raw.company_profile as Raw).registered_address as Raw).floor = 3;
      (raw.beneficial_owners as Raw[])[0]!.note = 'x';
      const m = decoded(raw);
      expect(m).to.not.have.property('extra_top');
      expect(m.persons[0]).to.not.have.property('nickname');
      expect(m.company_profile).to.not.have.property('vat_number');
      expect(m.company_profile!.registered_address).to.not.have.property('floor');
      expect(m.beneficial_owners[0]).to.not.have.property('note');
    });

    it('decodes a KYC message carrying a company profile with the profile as null', () => {
      const m = decoded(kyc({ company_profile: rawCompanyProfile() }));
      expect(m.company_profile).to.equal(null);
    });

    it('accepts a KYC message whose company_profile is null', () => {
      expect(decoded(kyc({ company_profile: null })).company_profile).to.equal(null);
    });

    for (const [label, value] of [
      ['absent', undefined],
      ['null', null],
      ['empty', []],
    ] as const) {
      it(`accepts a KYC message whose beneficial_owners is ${label}, decoding it as empty`, () => {
        const raw = value === undefined ? kyc() : kyc({ beneficial_owners: value });
        expect(decoded(raw).beneficial_owners).to.deep.equal([]);
      });
    }

    it('decodes a full KYB company profile, registered address included', () => {
      const m = decoded(rawKybMessage());
      expect(m.company_profile).to.deep.equal(rawCompanyProfile());
    });

    it('decodes absent optional company fields as null', () => {
      const m = decoded(
        kyb({
          company_profile: {
            registered_name: 'X Ltd',
            registration_number: 'R1',
            country_of_incorporation: 'FR',
            registered_address: { country: 'FR' },
          },
        }),
      );
      expect(m.company_profile).to.deep.equal({
        registered_name: 'X Ltd',
        trading_name: null,
        registration_number: 'R1',
        registration_date: null,
        country_of_incorporation: 'FR',
        registered_address: { street: null, city: null, state_province: null, postal_code: null, country: 'FR' },
        business_type: null,
        industry_sector: null,
      });
    });

    it('decodes the beneficial owners of a KYB message with their details', () => {
      const m = decoded(rawKybMessage());
      expect(m.beneficial_owners[0]).to.deep.equal({
        person_details: { firstname: 'Grace', lastname: 'Hopper', birthdate: '1906-12-09', role_in_company: 'DIRECTOR' },
        ownership_percentage: 60,
        types_of_control: ['SHARES', 'VOTING_RIGHTS'],
        is_ubo: true,
      });
    });

    it("defaults a beneficial owner's types_of_control to [] and is_ubo to false when absent", () => {
      const bo = decoded(kybWithOwner(owner())).beneficial_owners[0]!;
      expect(bo.types_of_control).to.deep.equal([]);
      expect(bo.is_ubo).to.equal(false);
      expect(bo.ownership_percentage).to.equal(null);
    });

    it("defaults a beneficial owner's types_of_control to [] and is_ubo to false when null", () => {
      const bo = decoded(kybWithOwner(owner({ types_of_control: null, is_ubo: null, ownership_percentage: null }))).beneficial_owners[0]!;
      expect(bo).to.include({ is_ubo: false, ownership_percentage: null });
      expect(bo.types_of_control).to.deep.equal([]);
    });

    it('decodes a KYB message without beneficial owners (absent or null) as having none', () => {
      expect(decoded(withoutField(rawKybMessage(), 'beneficial_owners')).beneficial_owners).to.deep.equal([]);
      expect(decoded(kyb({ beneficial_owners: null })).beneficial_owners).to.deep.equal([]);
    });

    for (const pct of [0, 100, 25.5]) {
      it(`accepts an ownership percentage of ${pct}`, () => {
        expect(decoded(kybWithOwner(owner({ ownership_percentage: pct }))).beneficial_owners[0]!.ownership_percentage).to.equal(pct);
      });
    }
  });

  describe('rejecting inputs that are not a JSON object', () => {
    for (const [label, input] of [
      ['null', null],
      ['an array', [rawKycMessage()]],
      ['a string', JSON.stringify(rawKycMessage())],
      ['a number', 42],
      ['a boolean', true],
      ['undefined', undefined],
    ] as const) {
      it(`rejects ${label} as a whole, naming $ as "must be an object"`, () => {
        expect(errorsOf(input)).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
      });
    }
  });

  describe('rejecting missing or malformed top-level fields', () => {
    for (const field of ['client_id', 'version', 'type', 'traitement_type', 'persons']) {
      it(`rejects a message without ${field}, naming $.${field} as "is required"`, () => {
        const errors = errorsOf(withoutField(rawKycMessage(), field));
        expect(errors).to.deep.equal([{ path: `$.${field}`, rule: 'is required' }]);
      });
    }

    it('rejects an empty object naming every required field at once', () => {
      expect(errorsOf({})).to.have.deep.members([
        { path: '$.client_id', rule: 'is required' },
        { path: '$.version', rule: 'is required' },
        { path: '$.type', rule: 'is required' },
        { path: '$.traitement_type', rule: 'is required' },
        { path: '$.persons', rule: 'is required' },
      ]);
    });

    it('rejects a numeric client_id, naming $.client_id as "must be a string"', () => {
      expect(errorsOf(kyc({ client_id: 42 }))).to.deep.equal([{ path: '$.client_id', rule: 'must be a string' }]);
    });

    it('rejects a null client_id, naming $.client_id (null does not make a required field optional)', () => {
      expect(pathsOf(errorsOf(kyc({ client_id: null })))).to.deep.equal(['$.client_id']);
    });

    it('rejects a non-string case type, naming $.type', () => {
      expect(errorsOf(kyc({ type: ['STANDARD'] }))).to.deep.equal([{ path: '$.type', rule: 'must be a string' }]);
    });

    for (const version of ['1.1', '1', '2.0', '1.0 ', ' 1.0', '', 1.0, 1, null]) {
      it(`rejects schema version ${JSON.stringify(version)}, naming $.version as "must be exactly \\"1.0\\""`, () => {
        expect(errorsOf(kyc({ version }))).to.deep.equal([{ path: '$.version', rule: 'must be exactly "1.0"' }]);
      });
    }

    for (const kind of ['KYX', 'KYCB', '', ' KYC', 'AML', 1, true, null]) {
      it(`rejects traitement_type ${JSON.stringify(kind)}, naming $.traitement_type`, () => {
        const errors = errorsOf(kyc({ traitement_type: kind }));
        expect(pathsOf(errors)).to.deep.equal(['$.traitement_type']);
        expect(ruleAt(errors, '$.traitement_type')).to.match(/KYC or KYB/);
      });
    }

    for (const [label, persons] of [
      ['an object', { firstname: 'A', lastname: 'B' }],
      ['a string', 'Ada Lovelace'],
      ['null', null],
    ] as const) {
      it(`rejects persons given as ${label}, naming $.persons as "must be an array"`, () => {
        expect(errorsOf(kyc({ persons }))).to.deep.equal([{ path: '$.persons', rule: 'must be an array' }]);
      });
    }
  });

  describe('rejecting malformed persons', () => {
    it('rejects a person without a firstname, naming $.persons[0].firstname as "is required"', () => {
      expect(errorsOf(kyc({ persons: [{ lastname: 'Lovelace' }] }))).to.deep.equal([
        { path: '$.persons[0].firstname', rule: 'is required' },
      ]);
    });

    it('rejects a person without a lastname, naming $.persons[0].lastname as "is required"', () => {
      expect(errorsOf(kyc({ persons: [{ firstname: 'Ada' }] }))).to.deep.equal([{ path: '$.persons[0].lastname', rule: 'is required' }]);
    });

    it('names the index of the bad person, not the first one', () => {
      const persons = [{ firstname: 'Ada', lastname: 'Lovelace' }, { firstname: 'Charles', lastname: 'Babbage' }, { firstname: 'Mary' }];
      expect(errorsOf(kyc({ persons }))).to.deep.equal([{ path: '$.persons[2].lastname', rule: 'is required' }]);
    });

    for (const field of ['firstname', 'lastname', 'birthdate', 'role_in_company']) {
      it(`rejects a person whose ${field} is a number, naming $.persons[0].${field} as "must be a string"`, () => {
        const person = { firstname: 'Ada', lastname: 'Lovelace', [field]: 1815 };
        expect(errorsOf(kyc({ persons: [person] }))).to.deep.equal([{ path: `$.persons[0].${field}`, rule: 'must be a string' }]);
      });
    }

    it('rejects a null firstname (it is required, not optional)', () => {
      expect(pathsOf(errorsOf(kyc({ persons: [{ firstname: null, lastname: 'L' }] })))).to.deep.equal(['$.persons[0].firstname']);
    });

    for (const [label, person] of [
      ['a string', 'Ada Lovelace'],
      ['null', null],
      ['an array', ['Ada', 'Lovelace']],
    ] as const) {
      it(`rejects a person given as ${label}, naming $.persons[0] as "must be an object"`, () => {
        expect(errorsOf(kyc({ persons: [person] }))).to.deep.equal([{ path: '$.persons[0]', rule: 'must be an object' }]);
      });
    }

    it('reports both names of two different bad persons', () => {
      const errors = errorsOf(kyc({ persons: [{ lastname: 'A' }, { firstname: 'B' }] }));
      expect(errors).to.have.deep.members([
        { path: '$.persons[0].firstname', rule: 'is required' },
        { path: '$.persons[1].lastname', rule: 'is required' },
      ]);
    });
  });

  describe('rejecting a KYB message without a valid company profile', () => {
    it('rejects a KYB message without a company profile, naming $.company_profile', () => {
      const errors = errorsOf(withoutField(rawKybMessage(), 'company_profile'));
      expect(pathsOf(errors)).to.deep.equal(['$.company_profile']);
      expect(ruleAt(errors, '$.company_profile')).to.match(/required when traitement_type is KYB/);
    });

    it('rejects a KYB message whose company profile is null, naming $.company_profile', () => {
      const errors = errorsOf(kyb({ company_profile: null }));
      expect(pathsOf(errors)).to.deep.equal(['$.company_profile']);
      expect(ruleAt(errors, '$.company_profile')).to.match(/required/);
    });

    it('applies the KYB company-profile rule whatever the letter case of traitement_type', () => {
      const errors = errorsOf(withoutField(kyb({ traitement_type: 'kyb' }), 'company_profile'));
      expect(pathsOf(errors)).to.deep.equal(['$.company_profile']);
    });

    for (const [label, profile] of [
      ['a string', 'Analytical Engines Ltd'],
      ['an array', [rawCompanyProfile()]],
      ['a number', 7],
    ] as const) {
      it(`rejects a company profile given as ${label}, naming $.company_profile as "must be an object"`, () => {
        expect(errorsOf(kyb({ company_profile: profile }))).to.deep.equal([{ path: '$.company_profile', rule: 'must be an object' }]);
      });
    }

    for (const field of ['registered_name', 'registration_number', 'country_of_incorporation', 'registered_address']) {
      it(`rejects a company profile without ${field}, naming $.company_profile.${field} as "is required"`, () => {
        const profile = withoutField(rawCompanyProfile(), field);
        expect(errorsOf(kyb({ company_profile: profile }))).to.deep.equal([{ path: `$.company_profile.${field}`, rule: 'is required' }]);
      });
    }

    for (const field of ['registered_name', 'registration_number', 'country_of_incorporation']) {
      it(`rejects a non-string ${field}, naming $.company_profile.${field} as "must be a string"`, () => {
        expect(errorsOf(kybWithCompany({ [field]: 123 }))).to.deep.equal([
          { path: `$.company_profile.${field}`, rule: 'must be a string' },
        ]);
      });
    }

    for (const field of ['trading_name', 'registration_date', 'business_type', 'industry_sector']) {
      it(`accepts a null ${field} but rejects a non-string one, naming $.company_profile.${field}`, () => {
        expect(decoded(kybWithCompany({ [field]: null })).company_profile![field as 'trading_name']).to.equal(null);
        expect(errorsOf(kybWithCompany({ [field]: 5 }))).to.deep.equal([{ path: `$.company_profile.${field}`, rule: 'must be a string' }]);
      });
    }

    it('rejects a registered address that is not an object, naming $.company_profile.registered_address', () => {
      expect(errorsOf(kybWithCompany({ registered_address: '1 Babbage Street, London' }))).to.deep.equal([
        { path: '$.company_profile.registered_address', rule: 'must be an object' },
      ]);
    });

    it('rejects a registered address without a country, naming $.company_profile.registered_address.country', () => {
      expect(errorsOf(kybWithAddress({ country: undefined }))).to.deep.equal([
        { path: '$.company_profile.registered_address.country', rule: 'is required' },
      ]);
    });

    for (const field of ['street', 'city', 'state_province', 'postal_code']) {
      it(`rejects a non-string address ${field}, naming $.company_profile.registered_address.${field}`, () => {
        expect(errorsOf(kybWithAddress({ [field]: 10 }))).to.deep.equal([
          { path: `$.company_profile.registered_address.${field}`, rule: 'must be a string' },
        ]);
      });
    }

    it('reports every missing company field together', () => {
      expect(errorsOf(kyb({ company_profile: { registered_address: {} } }))).to.have.deep.members([
        { path: '$.company_profile.registered_name', rule: 'is required' },
        { path: '$.company_profile.registration_number', rule: 'is required' },
        { path: '$.company_profile.country_of_incorporation', rule: 'is required' },
        { path: '$.company_profile.registered_address.country', rule: 'is required' },
      ]);
    });
  });

  describe('rejecting malformed beneficial owners', () => {
    for (const pct of [-0.1, 100.1, -1, 1000]) {
      it(`rejects an ownership percentage of ${pct}, naming $.beneficial_owners[0].ownership_percentage`, () => {
        expect(errorsOf(kybWithOwner(owner({ ownership_percentage: pct })))).to.deep.equal([
          { path: '$.beneficial_owners[0].ownership_percentage', rule: 'must be a number from 0 to 100 inclusive' },
        ]);
      });
    }

    it('rejects an ownership percentage given as a string', () => {
      expect(pathsOf(errorsOf(kybWithOwner(owner({ ownership_percentage: '50' }))))).to.deep.equal([
        '$.beneficial_owners[0].ownership_percentage',
      ]);
    });

    it('rejects a beneficial owner without person_details, naming $.beneficial_owners[0].person_details as "is required"', () => {
      expect(errorsOf(kybWithOwner({ ownership_percentage: 10 }))).to.deep.equal([
        { path: '$.beneficial_owners[0].person_details', rule: 'is required' },
      ]);
    });

    it("names the nested path of a beneficial owner's missing firstname", () => {
      expect(errorsOf(kybWithOwner({ person_details: { lastname: 'Liskov' } }))).to.deep.equal([
        { path: '$.beneficial_owners[0].person_details.firstname', rule: 'is required' },
      ]);
    });

    it('rejects person_details that is not an object', () => {
      expect(errorsOf(kybWithOwner({ person_details: 'Barbara Liskov' }))).to.deep.equal([
        { path: '$.beneficial_owners[0].person_details', rule: 'must be an object' },
      ]);
    });

    it('rejects types_of_control that is not an array, naming $.beneficial_owners[0].types_of_control', () => {
      expect(errorsOf(kybWithOwner(owner({ types_of_control: 'SHARES' })))).to.deep.equal([
        { path: '$.beneficial_owners[0].types_of_control', rule: 'must be an array' },
      ]);
    });

    it('rejects a non-string control type, naming its index', () => {
      expect(errorsOf(kybWithOwner(owner({ types_of_control: ['SHARES', 7] })))).to.deep.equal([
        { path: '$.beneficial_owners[0].types_of_control[1]', rule: 'must be a string' },
      ]);
    });

    for (const isUbo of ['yes', 1, 'true']) {
      it(`rejects is_ubo ${JSON.stringify(isUbo)}, naming $.beneficial_owners[0].is_ubo as "must be a boolean"`, () => {
        expect(errorsOf(kybWithOwner(owner({ is_ubo: isUbo })))).to.deep.equal([
          { path: '$.beneficial_owners[0].is_ubo', rule: 'must be a boolean' },
        ]);
      });
    }

    it('rejects beneficial_owners that is not an array, naming $.beneficial_owners', () => {
      expect(errorsOf(kyb({ beneficial_owners: owner() }))).to.deep.equal([{ path: '$.beneficial_owners', rule: 'must be an array' }]);
    });

    it('rejects a beneficial owner that is not an object, naming its index', () => {
      expect(errorsOf(kyb({ beneficial_owners: [owner(), 'Liskov'] }))).to.deep.equal([
        { path: '$.beneficial_owners[1]', rule: 'must be an object' },
      ]);
    });

    it('rejects a KYC message with beneficial owners, naming $.beneficial_owners', () => {
      const errors = errorsOf(kyc({ beneficial_owners: [owner({ ownership_percentage: 30 })] }));
      expect(pathsOf(errors)).to.deep.equal(['$.beneficial_owners']);
      expect(ruleAt(errors, '$.beneficial_owners')).to.match(/KYC/);
    });

    it('applies the KYC beneficial-owner rule whatever the letter case of traitement_type', () => {
      expect(pathsOf(errorsOf(kyc({ traitement_type: 'kyc', beneficial_owners: [owner()] })))).to.deep.equal(['$.beneficial_owners']);
    });
  });

  describe('reporting several errors at once', () => {
    it('names every failing field of a message with many problems, each with its rule', () => {
      const errors = errorsOf({
        client_id: 1,
        version: '2.0',
        traitement_type: 'KYB',
        persons: [{ firstname: 'Grace' }, { firstname: 2, lastname: 'X' }],
        company_profile: { registered_name: 'X', registration_number: 'R', registered_address: { city: 'Paris' } },
        beneficial_owners: [owner({ ownership_percentage: 100.1 }), { person_details: {}, is_ubo: 'no' }],
      });
      expect(errors).to.have.deep.members([
        { path: '$.client_id', rule: 'must be a string' },
        { path: '$.version', rule: 'must be exactly "1.0"' },
        { path: '$.type', rule: 'is required' },
        { path: '$.persons[0].lastname', rule: 'is required' },
        { path: '$.persons[1].firstname', rule: 'must be a string' },
        { path: '$.company_profile.country_of_incorporation', rule: 'is required' },
        { path: '$.company_profile.registered_address.country', rule: 'is required' },
        { path: '$.beneficial_owners[0].ownership_percentage', rule: 'must be a number from 0 to 100 inclusive' },
        { path: '$.beneficial_owners[1].person_details.firstname', rule: 'is required' },
        { path: '$.beneficial_owners[1].person_details.lastname', rule: 'is required' },
        { path: '$.beneficial_owners[1].is_ubo', rule: 'must be a boolean' },
      ]);
      expect(errors).to.have.length(11);
    });

    it('reports the missing KYB company profile beside other field errors', () => {
      const raw = withoutField(kyb({ client_id: 5, persons: [{ firstname: 'A' }] }), 'company_profile');
      expect(errorsOf(raw)).to.have.deep.members([
        { path: '$.client_id', rule: 'must be a string' },
        { path: '$.persons[0].lastname', rule: 'is required' },
        { path: '$.company_profile', rule: 'is required when traitement_type is KYB' },
      ]);
    });

    it('reports KYC beneficial owners beside other field errors', () => {
      const errors = errorsOf(withoutField(kyc({ beneficial_owners: [owner()] }), 'type'));
      expect(pathsOf(errors)).to.have.members(['$.type', '$.beneficial_owners']);
    });

    it('names each failing path only once', () => {
      const errors = errorsOf(kyc({ beneficial_owners: 'not-a-list', persons: 'nobody' }));
      const paths = pathsOf(errors);
      expect(paths).to.have.length(new Set(paths).size);
      expect(paths).to.include('$.persons');
    });
  });
});
