import * as t from 'io-ts';
import type * as E from 'fp-ts/lib/Either.js';
import { arrayOf, decodeWith, jsonObject, nonEmptyStr, nullable, objectOf, oneOf, optional, str } from './codecs.js';
import { unstorableBecause } from './storableDocument.js';
import type { FieldError } from './rejection.js';

/** Commands on topic KAFKA_COMMAND_TOPIC (key = case id), as the README documents them. */

export const EntityType = ['PERSON', 'COMPANY'] as const;
export type EntityType = (typeof EntityType)[number];

export const DocumentStatus = [
  'AWAITING_UPLOAD',
  'UPLOADED',
  'VERIFIED_SYSTEM',
  'VERIFIED_MANUAL',
  'REJECTED',
  'NOT_APPLICABLE',
] as const;
export type DocumentStatus = (typeof DocumentStatus)[number];

/** Free-form metadata, as long as it can be stored as a document. */
const metadataObject = new t.Type<Record<string, unknown>, Record<string, unknown>, unknown>(
  'a storable object',
  (u): u is Record<string, unknown> => jsonObject.is(u) && unstorableBecause(u) === null,
  (u, c) => {
    if (!jsonObject.is(u)) return t.failure(u, c, 'must be an object');
    const why = unstorableBecause(u);
    return why === null ? t.success(u) : t.failure(u, c, `must be storable: it ${why}`);
  },
  t.identity,
);

const determineDocumentRequirements = objectOf('DetermineDocumentRequirements', {
  command_type: oneOf(['DetermineDocumentRequirements'] as const),
  command_id: nonEmptyStr,
  case_id: nonEmptyStr,
  entity_id: nonEmptyStr,
  entity_type: oneOf(EntityType),
});
export type DetermineDocumentRequirements = t.TypeOf<typeof determineDocumentRequirements>;

const updateDocumentStatus = objectOf('UpdateDocumentStatus', {
  command_type: oneOf(['UpdateDocumentStatus'] as const),
  command_id: nonEmptyStr,
  case_id: nonEmptyStr,
  document_requirement_id: nonEmptyStr,
  new_status: oneOf(DocumentStatus),
  updated_by_actor_type: nullable(str),
  updated_by_actor_id: nullable(str),
  metadata_changes: optional(metadataObject, {} as Record<string, unknown>),
  notes_to_add: optional(arrayOf(str), [] as string[]),
});
export type UpdateDocumentStatus = t.TypeOf<typeof updateDocumentStatus>;

export type CaseCommand = DetermineDocumentRequirements | UpdateDocumentStatus;

const commandType = objectOf('case command', {
  command_type: oneOf(['DetermineDocumentRequirements', 'UpdateDocumentStatus'] as const),
});

const decodeType = decodeWith(commandType);
const decodeDetermine = decodeWith(determineDocumentRequirements);
const decodeUpdate = decodeWith(updateDocumentStatus);

/** Decodes a parsed JSON value into a case command, or every field error it has. */
export const decodeCaseCommand = (input: unknown): E.Either<FieldError[], CaseCommand> => {
  const kind = decodeType(input);
  if (kind._tag === 'Left') return kind;
  return kind.right.command_type === 'DetermineDocumentRequirements' ? decodeDetermine(input) : decodeUpdate(input);
};
