import * as t from 'io-ts';
import type * as E from 'fp-ts/lib/Either.js';
import { arrayOf, decodeWith, jsonObject, nonEmptyStr, nullable, objectOf, oneOf, optional, str, withMaxLength } from './codecs.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decodeLimits.js';
import { unstorableBecause } from './storableDocument.js';
import type { FieldError } from './rejection.js';

/** Commands on topic KAFKA_COMMAND_TOPIC (key = case id), as the README documents them. */

export const EntityType = ['PERSON', 'COMPANY'] as const;
export type EntityType = (typeof EntityType)[number];

export const DocumentStatus = ['AWAITING_UPLOAD', 'UPLOADED', 'VERIFIED_SYSTEM', 'VERIFIED_MANUAL', 'REJECTED', 'NOT_APPLICABLE'] as const;
export type DocumentStatus = (typeof DocumentStatus)[number];

/** Whose personal data an erasure is about: a person of the case, or a beneficial owner of its company. */
export const ErasureSubjectKind = ['person', 'beneficial_owner'] as const;
export type ErasureSubjectKind = (typeof ErasureSubjectKind)[number];

export interface ErasureSubject {
  readonly kind: ErasureSubjectKind;
  readonly id: string;
}

/** Free-form metadata of at most `maxKeys` keys, as long as it can be stored as a document. */
const metadataObject = (maxKeys: number) =>
  new t.Type<Record<string, unknown>, Record<string, unknown>, unknown>(
    'a storable object',
    (u): u is Record<string, unknown> => jsonObject.is(u) && Object.keys(u).length <= maxKeys && unstorableBecause(u) === null,
    (u, c) => {
      if (!jsonObject.is(u)) return t.failure(u, c, 'must be an object');
      if (Object.keys(u).length > maxKeys) return t.failure(u, c, `must have at most ${maxKeys} keys`);
      const why = unstorableBecause(u);
      return why === null ? t.success(u) : t.failure(u, c, `must be storable: it ${why}`);
    },
    t.identity,
  );

/** The codecs of the commands under the given limits: built once per limits, not once per message. */
const commandCodecs = (limits: DecodeLimits) => {
  const id = withMaxLength(nonEmptyStr, limits.maxStringLength);
  const text = withMaxLength(str, limits.maxStringLength);
  return {
    determine: objectOf('DetermineDocumentRequirements', {
      command_type: oneOf(['DetermineDocumentRequirements'] as const),
      command_id: id,
      case_id: id,
      entity_id: id,
      entity_type: oneOf(EntityType),
    }),
    update: objectOf('UpdateDocumentStatus', {
      command_type: oneOf(['UpdateDocumentStatus'] as const),
      command_id: id,
      case_id: id,
      document_requirement_id: id,
      new_status: oneOf(DocumentStatus),
      updated_by_actor_type: nullable(text),
      updated_by_actor_id: nullable(text),
      metadata_changes: optional(metadataObject(limits.maxListItems), {} as Record<string, unknown>),
      notes_to_add: optional(arrayOf(text, limits.maxNotesPerCommand), [] as string[]),
    }),
    retry: objectOf('RetryNotificationLookup', {
      command_type: oneOf(['RetryNotificationLookup'] as const),
      command_id: id,
      case_id: id,
      trigger: id,
    }),
    close: objectOf('CloseCase', {
      command_type: oneOf(['CloseCase'] as const),
      command_id: id,
      case_id: id,
      reason: id,
      /** Who closes it: the API sets its authenticated actor. */
      closed_by: nullable(text),
    }),
    erase: objectOf('EraseSubject', {
      command_type: oneOf(['EraseSubject'] as const),
      command_id: id,
      case_id: id,
      subject: objectOf('erasure subject', { kind: oneOf(ErasureSubjectKind), id }),
      reason: id,
      requested_by: id,
    }),
    placeHold: objectOf('PlaceLegalHold', {
      command_type: oneOf(['PlaceLegalHold'] as const),
      command_id: id,
      case_id: id,
      reason: id,
      placed_by: id,
    }),
    liftHold: objectOf('LiftLegalHold', {
      command_type: oneOf(['LiftLegalHold'] as const),
      command_id: id,
      case_id: id,
      reason: id,
      lifted_by: id,
    }),
  };
};

type Codecs = ReturnType<typeof commandCodecs>;
export type DetermineDocumentRequirements = t.TypeOf<Codecs['determine']>;
export type UpdateDocumentStatus = t.TypeOf<Codecs['update']>;
/**
 * An operations command (`casestream notifications retry` sends it): ask again for the rule of
 * `trigger`, whose lookup failed when the case was created, and notify if one matches now.
 */
export type RetryNotificationLookup = t.TypeOf<Codecs['retry']>;

/** Ends a case (with why): its record is final, and RETENTION_CASE_CLOSED runs from its closing. */
export type CloseCase = t.TypeOf<Codecs['close']>;

/** Erases the personal data of one person or beneficial owner of the case (see personalData.ts), with why and at whose request. */
export type EraseSubject = t.TypeOf<Codecs['erase']>;

/** Puts the case under legal hold (with why and by whom): its personal data may not be erased until the hold is lifted. */
export type PlaceLegalHold = t.TypeOf<Codecs['placeHold']>;
export type LiftLegalHold = t.TypeOf<Codecs['liftHold']>;

export type DocumentCommand = DetermineDocumentRequirements | UpdateDocumentStatus;
export type LegalHoldCommand = PlaceLegalHold | LiftLegalHold;
export type CaseCommand = DocumentCommand | RetryNotificationLookup | CloseCase | EraseSubject | LegalHoldCommand;

const commandType = objectOf('case command', {
  command_type: oneOf([
    'DetermineDocumentRequirements',
    'UpdateDocumentStatus',
    'RetryNotificationLookup',
    'CloseCase',
    'EraseSubject',
    'PlaceLegalHold',
    'LiftLegalHold',
  ] as const),
});

const decodeType = decodeWith(commandType);

/** A decoder of parsed JSON values into case commands (or every field error) under `limits`. */
export const caseCommandDecoder = (limits: DecodeLimits) => {
  const codecs = commandCodecs(limits);
  const decodeDetermine = decodeWith(codecs.determine);
  const decodeUpdate = decodeWith(codecs.update);
  const decodeRetry = decodeWith(codecs.retry);
  const decodeClose = decodeWith(codecs.close);
  const decodeErase = decodeWith(codecs.erase);
  const decodePlaceHold = decodeWith(codecs.placeHold);
  const decodeLiftHold = decodeWith(codecs.liftHold);
  return (input: unknown): E.Either<FieldError[], CaseCommand> => {
    const kind = decodeType(input);
    if (kind._tag === 'Left') return kind;
    switch (kind.right.command_type) {
      case 'DetermineDocumentRequirements':
        return decodeDetermine(input);
      case 'UpdateDocumentStatus':
        return decodeUpdate(input);
      case 'RetryNotificationLookup':
        return decodeRetry(input);
      case 'CloseCase':
        return decodeClose(input);
      case 'EraseSubject':
        return decodeErase(input);
      case 'PlaceLegalHold':
        return decodePlaceHold(input);
      case 'LiftLegalHold':
        return decodeLiftHold(input);
    }
  };
};

/** Decodes a parsed JSON value into a case command under the default limits. */
export const decodeCaseCommand = caseCommandDecoder(DEFAULT_DECODE_LIMITS);
