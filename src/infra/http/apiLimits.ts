/** The bounds the HTTP API puts on each request; every one comes from a setting (see service.ts). */
export interface ApiLimits {
  /** Largest accepted request body, bytes (HTTP_MAX_BODY_BYTES). */
  readonly maxBodyBytes: number;
  /** Largest `limit` of a paged route (API_MAX_PAGE_SIZE). */
  readonly maxPageSize: number;
  /** Largest `skip` of a paged route (API_MAX_SKIP): a deep skip makes the database walk that many documents. */
  readonly maxSkip: number;
  /** Deepest nesting of objects and arrays in a JSON body (MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
  /** Longest Idempotency-Key header (MAX_IDEMPOTENCY_KEY_LENGTH). */
  readonly maxIdempotencyKeyLength: number;
  /** How many failing paths one 422 lists (MAX_ERROR_DETAILS). */
  readonly maxErrorDetails: number;
}

/** The settings' defaults. */
export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 1_048_576,
  maxPageSize: 500,
  maxSkip: 100_000,
  maxJsonDepth: 32,
  maxIdempotencyKeyLength: 256,
  maxErrorDetails: 20,
};
