/**
 * The persons and beneficial owners of the integration tests' KYB messages: a director (with a
 * role, so linked to the company), a person without a role, a UBO with control types and a minor
 * holder with neither birthdate nor control types.
 */
export const kybPersons = () => [
  { firstname: 'Jane', lastname: 'Director', birthdate: '1985-03-20', role_in_company: 'Director' },
  { firstname: 'Sam', lastname: 'Assistant' },
];

export const kybOwners = () => [
  {
    person_details: { firstname: 'Ultimate', lastname: 'Owner', birthdate: '1975-11-10' },
    ownership_percentage: 75,
    types_of_control: ['SHAREHOLDING_OVER_25'],
    is_ubo: true,
  },
  { person_details: { firstname: 'Minor', lastname: 'Holder' }, ownership_percentage: 25 },
];
