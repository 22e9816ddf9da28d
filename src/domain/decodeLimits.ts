/**
 * How much one inbound message may hold. Every bound is a setting (see settings.ts); the defaults
 * here equal the settings' defaults so that tests and benchmarks can decode without settings.
 */
export interface DecodeLimits {
  /** Bytes of a record value (MAX_RECORD_BYTES). */
  readonly maxRecordBytes: number;
  /** Bytes of a record's headers, names and values together (MAX_HEADER_BYTES). */
  readonly maxHeaderBytes: number;
  /** Characters of the `message-id` header (MAX_IDEMPOTENCY_KEY_LENGTH). */
  readonly maxIdempotencyKeyLength: number;
  /** Nesting of arrays and objects in the value (MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
  /** Characters of any string field (MAX_STRING_LENGTH). */
  readonly maxStringLength: number;
  readonly maxPersons: number;
  readonly maxBeneficialOwners: number;
  /** Items of any other list, and keys of `metadata_changes` (MAX_LIST_ITEMS). */
  readonly maxListItems: number;
  /** Items of `notes_to_add` (MAX_NOTES_PER_COMMAND). */
  readonly maxNotesPerCommand: number;
  /** Failing fields a rejection lists; the rest are counted (MAX_ERROR_DETAILS). */
  readonly maxErrorDetails: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxRecordBytes: 1_048_576,
  maxHeaderBytes: 16_384,
  maxIdempotencyKeyLength: 256,
  maxJsonDepth: 32,
  maxStringLength: 4_096,
  maxPersons: 200,
  maxBeneficialOwners: 200,
  maxListItems: 100,
  maxNotesPerCommand: 20,
  maxErrorDetails: 20,
};
