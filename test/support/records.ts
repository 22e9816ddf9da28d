import type { InboundRecord } from '../../src/streams/records.js';

export const CLIENT_TOPIC = 'kyc_events';
export const COMMAND_TOPIC = 'case_commands';

/** A Kafka record as the consumer would hand it over. */
export const recordOf = (
  value: unknown,
  at: { topic?: string; partition?: number; offset: number; headers?: Record<string, string> },
): InboundRecord => ({
  topic: at.topic ?? CLIENT_TOPIC,
  partition: at.partition ?? 0,
  offset: String(at.offset),
  key: null,
  value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(JSON.stringify(value)),
  headers: at.headers ?? {},
  timestamp: '1767225600000',
});

export const kycMessage = (client_id: string, persons = 1) => ({
  client_id,
  version: '1.0',
  type: 'INDIVIDUAL_STANDARD',
  traitement_type: 'kyc',
  persons: Array.from({ length: persons }, (_, i) => ({ firstname: `First${i}`, lastname: `Last${i}`, birthdate: '1990-01-15' })),
});

export const kybMessage = (client_id: string, type = 'COMPANY_STANDARD') => ({
  client_id,
  version: '1.0',
  type,
  traitement_type: 'KYB',
  company_profile: {
    registered_name: 'Test Corp Ltd',
    registration_number: 'C09876',
    country_of_incorporation: 'GB',
    registered_address: { street: '1 Business Park', city: 'London', country: 'GB', postal_code: 'E14 5HQ' },
  },
  persons: [
    { firstname: 'Jane', lastname: 'Director', birthdate: '1985-03-20', role_in_company: 'Director' },
    { firstname: 'Sam', lastname: 'Clerk', birthdate: null },
  ],
  beneficial_owners: [
    {
      person_details: { firstname: 'Ultimate', lastname: 'Owner', birthdate: '1975-11-10' },
      ownership_percentage: 75,
      types_of_control: ['SHAREHOLDING_OVER_25'],
      is_ubo: true,
    },
  ],
});
