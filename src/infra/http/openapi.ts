import { DocumentStatus, EntityType, ErasureSubjectKind } from '../../domain/caseCommand.js';
import { DEFAULT_PAGE_LIMIT, MAX_ID_LENGTH } from './apiCodecs.js';
import type { ApiLimits } from './apiLimits.js';

/**
 * The OpenAPI 3.0 description of casestream's HTTP API, served at GET /openapi.json with the bounds
 * the server was started with. Hand-written; a unit test checks it names every route.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ 'application/json': { schema } });
const response = (description: string, schema: unknown) => ({ description, content: jsonContent(schema) });

const idSchema = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH };
const dateTime = { type: 'string', format: 'date-time' };
const nullableString = { type: 'string', nullable: true };

const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: idSchema });
const pageParams = (limits: ApiLimits) => [
  {
    name: 'limit',
    in: 'query',
    required: false,
    description: `Most items returned (default ${Math.min(DEFAULT_PAGE_LIMIT, limits.maxPageSize)}, at most ${limits.maxPageSize}: API_MAX_PAGE_SIZE).`,
    schema: { type: 'integer', minimum: 1, maximum: limits.maxPageSize, default: Math.min(DEFAULT_PAGE_LIMIT, limits.maxPageSize) },
  },
  {
    name: 'skip',
    in: 'query',
    required: false,
    description: `Items skipped first (at most ${limits.maxSkip}: API_MAX_SKIP).`,
    schema: { type: 'integer', minimum: 0, maximum: limits.maxSkip, default: 0 },
  },
];

const idempotencyKeyParam = (limits: ApiLimits) => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: a request with a key already used for the same request (method, route, path parameters and JSON body) answers the same `command_id` ' +
    'and creates and publishes nothing; the same key with another request answers 409. Keys are kept for RETENTION_API_IDEMPOTENCY (default 30 days).',
  schema: { type: 'string', minLength: 1, maxLength: limits.maxIdempotencyKeyLength, pattern: '^[\\x21-\\x7e]+$' },
});

const errors = {
  400: { $ref: '#/components/responses/MalformedPath' },
  401: { $ref: '#/components/responses/Unauthorized' },
  422: { $ref: '#/components/responses/ValidationFailed' },
  500: { $ref: '#/components/responses/InternalError' },
  503: { $ref: '#/components/responses/Unavailable' },
};
const notFound = { 404: { $ref: '#/components/responses/NotFound' } };

const listOf = (schema: string) => ({ type: 'array', items: ref(schema) });

const get = (operationId: string, summary: string, parameters: unknown[], ok: unknown, extra: Record<string, unknown> = {}) => ({
  get: {
    operationId,
    summary,
    tags: ['read models'],
    parameters,
    responses: { 200: response('OK', ok), ...extra, ...errors },
  },
});

const commandErrors = {
  403: { $ref: '#/components/responses/Forbidden' },
  409: { $ref: '#/components/responses/IdempotencyConflict' },
  413: { $ref: '#/components/responses/TooLarge' },
  415: { $ref: '#/components/responses/UnsupportedMediaType' },
};

const commandAccepted = {
  202: {
    description: 'Accepted: published to the command topic (key = case id); follow it at /api/v1/commands/{command_id}.',
    headers: { Location: { description: 'The command status URL.', schema: { type: 'string' } } },
    content: jsonContent(ref('CommandAccepted')),
  },
};

export const openApiDocument = (limits: ApiLimits) => ({
  openapi: '3.0.3',
  info: {
    title: 'casestream API',
    version: '1.0.0',
    description:
      'Read models of the KYC/KYB case-management stream processor, and case commands that go through the same per-case pipeline as the Kafka command topic. ' +
      'Errors are `{"detail": ...}`; invalid input is 422 with `detail` a list of `{path, rule}` (`$.field` for bodies, `$.query.<name>` and `$.path.<name>` for parameters). ' +
      'When API tokens are configured every route except /health, /health/live and /health/ready requires `Authorization: Bearer <token>`; ' +
      'without a known token every other request, to a known path or not, answers 401. ' +
      'Each token has a name and a scope: `read` serves the GET routes, `write` also the commands, `admin` also erasures and legal holds; a token without the scope a route needs answers 403. ' +
      'The actor recorded on a command is the name of the token it was sent with (`anonymous` when no token is configured), never a field of the body. ' +
      'Paths are split on `/` before percent-decoding, each segment decoded once; dot segments and segments decoding to `/`, `\\` or control characters answer 400; ' +
      'literal segments are case-sensitive, `;` is an ordinary character and one trailing `/` is ignored. ' +
      `JSON bodies need \`Content-Type: application/json\` (415 otherwise), at most ${limits.maxBodyBytes} bytes (413), ` +
      `nesting at most ${limits.maxJsonDepth} deep, no keys starting with \`$\` and only finite numbers (422 otherwise). ` +
      'A 500 answer carries an `error_id` that the service logs with the failure.',
  },
  servers: [{ url: '/' }],
  tags: [
    {
      name: 'read models',
      description: 'Cases, persons, companies, beneficial owners, document requirements, events and notifications.',
    },
    { name: 'commands', description: 'Case commands, processed asynchronously by the case pipeline.' },
    {
      name: 'operations',
      description: 'Health and readiness (no token needed), metrics and this document (a read or write token when tokens are configured).',
    },
  ],
  security: [{ bearerAuth: [] }],
  paths: {
    '/api/v1/cases': get('listCases', 'Cases, newest first by created_at.', pageParams(limits), listOf('Case')),
    '/api/v1/cases/{case_id}': get('getCase', 'One case.', [pathParam('case_id', 'The case id.')], ref('Case'), notFound),
    '/api/v1/cases/{case_id}/events': get(
      'getCaseEvents',
      "The case stream's domain events in version order (empty when the case is unknown).",
      [pathParam('case_id', 'The case id.')],
      listOf('DomainEvent'),
    ),
    '/api/v1/cases/{case_id}/notifications': get(
      'getCaseNotifications',
      "The case's NotificationRequired events in version order: why each was sent (`payload.provenance`) and whether Kafka acknowledged it (`published`); 404 when the case does not exist.",
      [pathParam('case_id', 'The case id.'), ...pageParams(limits)],
      listOf('CaseNotification'),
      notFound,
    ),
    '/api/v1/persons/case/{case_id}': get(
      'getPersonsOfCase',
      'The persons of a case.',
      [pathParam('case_id', 'The case id.')],
      listOf('Person'),
    ),
    '/api/v1/companies/{company_id}': get(
      'getCompany',
      'One company.',
      [pathParam('company_id', 'The company id.')],
      ref('Company'),
      notFound,
    ),
    '/api/v1/companies/{company_id}/beneficial-owners': get(
      'getBeneficialOwners',
      'The beneficial owners of a company.',
      [pathParam('company_id', 'The company id.')],
      listOf('BeneficialOwner'),
    ),
    '/api/v1/documents/{document_requirement_id}': get(
      'getDocumentRequirement',
      'One document requirement.',
      [pathParam('document_requirement_id', 'The document requirement id.')],
      ref('DocumentRequirement'),
      notFound,
    ),
    '/api/v1/documents/case/{case_id}': get(
      'getDocumentRequirementsOfCase',
      'The document requirements of a case, optionally filtered.',
      [
        pathParam('case_id', 'The case id.'),
        { name: 'entity_id', in: 'query', required: false, schema: idSchema },
        { name: 'entity_type', in: 'query', required: false, schema: { type: 'string', enum: [...EntityType] } },
        { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: [...DocumentStatus] } },
        { name: 'is_required', in: 'query', required: false, schema: { type: 'boolean' } },
      ],
      listOf('DocumentRequirement'),
    ),
    '/api/v1/events/raw': get(
      'listRawEvents',
      'Client messages as received, newest first by received_at.',
      pageParams(limits),
      listOf('RawEvent'),
    ),
    '/api/v1/cases/{case_id}/close': {
      post: {
        operationId: 'closeCase',
        summary:
          'Close a case (command CloseCase): its documents change no more, and RETENTION_CASE_CLOSED runs from its closing. Closing a closed case records nothing.',
        tags: ['commands'],
        parameters: [pathParam('case_id', 'The case id.'), idempotencyKeyParam(limits)],
        requestBody: { required: true, content: jsonContent(ref('CloseCaseRequest')) },
        responses: { ...commandAccepted, ...notFound, ...commandErrors, ...errors },
      },
    },
    '/api/v1/cases/{case_id}/erasures': {
      post: {
        operationId: 'eraseSubject',
        summary:
          'Erase (mask) the personal data of a person or beneficial owner of a case everywhere casestream keeps it (command EraseSubject).',
        description:
          'Needs a token with the admin scope; the request is recorded with the token as `requested_by`, with the reason, in a PersonalDataErased event (never the data). ' +
          'Refused (the command is rejected) while the case is under legal hold, or for a subject the case does not have; erasing an erased subject records nothing.',
        tags: ['commands'],
        parameters: [pathParam('case_id', 'The case id.'), idempotencyKeyParam(limits)],
        requestBody: { required: true, content: jsonContent(ref('EraseSubjectRequest')) },
        responses: { ...commandAccepted, ...notFound, ...commandErrors, ...errors },
      },
    },
    '/api/v1/cases/{case_id}/legal-hold': {
      post: {
        operationId: 'placeLegalHold',
        summary: 'Place a case under legal hold (command PlaceLegalHold): its personal data may not be erased until the hold is lifted.',
        description: 'Needs a token with the admin scope, recorded as `placed_by`. Placing a hold on a case under hold records nothing.',
        tags: ['commands'],
        parameters: [pathParam('case_id', 'The case id.'), idempotencyKeyParam(limits)],
        requestBody: { required: true, content: jsonContent(ref('LegalHoldRequest')) },
        responses: { ...commandAccepted, ...notFound, ...commandErrors, ...errors },
      },
      delete: {
        operationId: 'liftLegalHold',
        summary: "Lift a case's legal hold (command LiftLegalHold), with why; the body is required.",
        description: 'Needs a token with the admin scope, recorded as `lifted_by`. Lifting a hold from a case without one records nothing.',
        tags: ['commands'],
        parameters: [pathParam('case_id', 'The case id.'), idempotencyKeyParam(limits)],
        requestBody: { required: true, content: jsonContent(ref('LegalHoldRequest')) },
        responses: { ...commandAccepted, ...notFound, ...commandErrors, ...errors },
      },
    },
    '/api/v1/documents/determine-requirements': {
      post: {
        operationId: 'determineDocumentRequirements',
        summary: 'Determine the document requirements of one entity of a case (command DetermineDocumentRequirements).',
        description: 'Needs a token with the write scope.',
        tags: ['commands'],
        parameters: [idempotencyKeyParam(limits)],
        requestBody: { required: true, content: jsonContent(ref('DetermineRequirementsRequest')) },
        responses: { ...commandAccepted, ...notFound, ...commandErrors, ...errors },
      },
    },
    '/api/v1/documents/{document_requirement_id}/status': {
      put: {
        operationId: 'updateDocumentStatus',
        summary: "Change a document requirement's status (command UpdateDocumentStatus; the case is the requirement's).",
        description:
          "Needs a token with the write scope. The command's actor is the token: `updated_by_actor_type` `API_TOKEN` and `updated_by_actor_id` its name " +
          '(`ANONYMOUS` and `anonymous` when no token is configured), recorded as the `updated_by` of the DocumentStatusUpdated event.',
        tags: ['commands'],
        parameters: [pathParam('document_requirement_id', 'The document requirement id.'), idempotencyKeyParam(limits)],
        requestBody: { required: true, content: jsonContent(ref('UpdateDocumentStatusRequest')) },
        responses: { ...commandAccepted, ...notFound, ...commandErrors, ...errors },
      },
    },
    '/api/v1/commands/{command_id}': {
      get: {
        operationId: 'getCommandStatus',
        summary: 'What became of a command accepted by this API.',
        tags: ['commands'],
        parameters: [pathParam('command_id', 'The command id answered by the 202.')],
        responses: { 200: response('OK', ref('CommandStatus')), ...notFound, ...errors },
      },
    },
    '/health': {
      get: {
        operationId: 'health',
        summary: 'Health of the service and its dependencies; 503 when Kafka or MongoDB is down.',
        tags: ['operations'],
        security: [],
        responses: {
          200: response('ok or degraded', ref('HealthReport')),
          503: response('down (or the check failed: Error)', ref('HealthReport')),
        },
      },
    },
    '/health/live': {
      get: {
        operationId: 'live',
        summary: 'Liveness: 200 while the process runs.',
        tags: ['operations'],
        security: [],
        responses: {
          200: response('alive', { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } }),
        },
      },
    },
    '/health/ready': {
      get: {
        operationId: 'ready',
        summary:
          'Readiness: the consumer has joined its group and the database answers (Redis and the Configuration Service do not count).',
        tags: ['operations'],
        security: [],
        responses: {
          200: response('ready', { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ready'] } } }),
          503: response('not ready', ref('Error')),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary:
          'Prometheus metrics (text exposition format 0.0.4); they name topics and partitions, so they need a token when tokens are configured.',
        tags: ['operations'],
        responses: {
          200: { description: 'metrics', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } },
          401: { $ref: '#/components/responses/Unauthorized' },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document (needs a token when tokens are configured).',
        tags: ['operations'],
        responses: { 200: response('OpenAPI 3.0 document', { type: 'object' }), 401: { $ref: '#/components/responses/Unauthorized' } },
      },
    },
  },
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    responses: {
      NotFound: response('Unknown id.', ref('Error')),
      MalformedPath: response(
        'The path has a dot segment, bad percent-encoding, or a segment that decodes to "/", "\\" or a control character.',
        ref('Error'),
      ),
      Unauthorized: {
        description:
          'Missing or unknown bearer token (only when tokens are configured); answered for every path but the public ones, known or not.',
        headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
        content: jsonContent(ref('Error')),
      },
      Forbidden: {
        description: 'The token is known but lacks the scope the route needs (a read token sending a command); `detail` names the scope.',
        headers: { 'WWW-Authenticate': { schema: { type: 'string', example: 'Bearer error="insufficient_scope", scope="write"' } } },
        content: jsonContent(ref('Error')),
      },
      ValidationFailed: response(
        `Invalid parameters, headers or body: the failing fields (at most ${limits.maxErrorDetails}) and the rules they broke.`,
        ref('ValidationError'),
      ),
      Unavailable: response('The database is unavailable, or the command could not be published; try again.', ref('Error')),
      TooLarge: response(`The body is larger than ${limits.maxBodyBytes} bytes (HTTP_MAX_BODY_BYTES).`, ref('Error')),
      UnsupportedMediaType: response('The request has no `Content-Type: application/json` (or another `+json` type).', ref('Error')),
      IdempotencyConflict: response('The Idempotency-Key was already used for a different request.', ref('Error')),
      InternalError: response('An unexpected failure; the service logged it with the same error_id.', ref('InternalError')),
    },
    schemas: {
      Error: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } },
      InternalError: {
        type: 'object',
        required: ['detail', 'error_id'],
        properties: { detail: { type: 'string' }, error_id: { type: 'string', format: 'uuid', description: 'Logged with the failure.' } },
      },
      FieldError: {
        type: 'object',
        required: ['path', 'rule'],
        properties: {
          path: { type: 'string', example: '$.query.limit' },
          rule: { type: 'string', example: `must be an integer from 1 to ${limits.maxPageSize}` },
        },
      },
      ValidationError: { type: 'object', required: ['detail'], properties: { detail: { type: 'array', items: ref('FieldError') } } },
      Case: {
        type: 'object',
        required: ['id', 'client_id', 'version', 'type', 'traitement_type', 'company_id', 'status', 'created_at', 'updated_at'],
        properties: {
          id: { type: 'string' },
          client_id: { type: 'string' },
          version: { type: 'string', description: 'The client message version ("1.0").' },
          type: { type: 'string', example: 'INDIVIDUAL_STANDARD' },
          traitement_type: { type: 'string', enum: ['KYC', 'KYB'] },
          company_id: nullableString,
          status: { type: 'string', enum: ['OPEN', 'CLOSED'] },
          closed_at: { ...dateTime, description: 'When the case was closed; absent while it is open.' },
          closure_reason: { type: 'string', description: 'Why it was closed; absent while it is open.' },
          closed_by: { type: 'string', description: 'The actor who closed it; absent while it is open.' },
          legal_hold: {
            type: 'object',
            nullable: true,
            required: ['since', 'reason'],
            properties: { since: dateTime, reason: { type: 'string' } },
            description: 'The legal hold the case is under; null once lifted, absent when none was ever placed.',
          },
          created_at: dateTime,
          updated_at: dateTime,
        },
      },
      Person: {
        type: 'object',
        required: ['id', 'case_id', 'company_id', 'firstname', 'lastname', 'created_at', 'updated_at'],
        properties: {
          id: { type: 'string' },
          case_id: { type: 'string' },
          company_id: nullableString,
          firstname: { type: 'string' },
          lastname: { type: 'string' },
          birthdate: nullableString,
          role_in_company: nullableString,
          created_at: dateTime,
          updated_at: dateTime,
        },
      },
      Address: {
        type: 'object',
        required: ['country'],
        properties: {
          street: nullableString,
          city: nullableString,
          state_province: nullableString,
          postal_code: nullableString,
          country: { type: 'string' },
        },
      },
      Company: {
        type: 'object',
        required: [
          'id',
          'case_id',
          'registered_name',
          'registration_number',
          'country_of_incorporation',
          'registered_address',
          'created_at',
          'updated_at',
        ],
        properties: {
          id: { type: 'string' },
          case_id: { type: 'string' },
          registered_name: { type: 'string' },
          trading_name: nullableString,
          registration_number: { type: 'string' },
          registration_date: nullableString,
          country_of_incorporation: { type: 'string' },
          registered_address: ref('Address'),
          business_type: nullableString,
          industry_sector: nullableString,
          created_at: dateTime,
          updated_at: dateTime,
        },
      },
      BeneficialOwner: {
        type: 'object',
        required: ['id', 'company_id', 'case_id', 'firstname', 'lastname', 'types_of_control', 'is_ubo', 'created_at', 'updated_at'],
        properties: {
          id: { type: 'string' },
          company_id: { type: 'string' },
          case_id: { type: 'string' },
          firstname: { type: 'string' },
          lastname: { type: 'string' },
          birthdate: nullableString,
          ownership_percentage: { type: 'number', minimum: 0, maximum: 100, nullable: true },
          types_of_control: { type: 'array', items: { type: 'string' } },
          is_ubo: { type: 'boolean' },
          created_at: dateTime,
          updated_at: dateTime,
        },
      },
      DocumentRequirement: {
        type: 'object',
        required: [
          'id',
          'case_id',
          'entity_id',
          'entity_type',
          'document_type',
          'status',
          'is_required',
          'metadata',
          'notes',
          'created_at',
          'updated_at',
        ],
        properties: {
          id: { type: 'string' },
          case_id: { type: 'string' },
          entity_id: { type: 'string' },
          entity_type: { type: 'string', enum: [...EntityType] },
          document_type: { type: 'string', example: 'PASSPORT' },
          status: { type: 'string', enum: [...DocumentStatus] },
          is_required: { type: 'boolean' },
          metadata: { type: 'object', additionalProperties: true },
          notes: { type: 'array', items: { type: 'string' } },
          created_at: dateTime,
          updated_at: dateTime,
        },
      },
      DomainEvent: {
        type: 'object',
        required: ['event_id', 'event_type', 'aggregate_id', 'timestamp', 'version', 'payload', 'metadata'],
        properties: {
          event_id: { type: 'string' },
          event_type: {
            type: 'string',
            enum: [
              'CaseCreated',
              'PersonAddedToCase',
              'DocumentRequirementDetermined',
              'DocumentStatusUpdated',
              'NotificationRequired',
              'CaseClosed',
              'PersonalDataErased',
              'LegalHoldPlaced',
              'LegalHoldLifted',
            ],
          },
          aggregate_id: { type: 'string' },
          timestamp: dateTime,
          version: { type: 'integer', minimum: 1 },
          payload: { type: 'object', additionalProperties: true },
          metadata: {
            type: 'object',
            required: ['correlation_id', 'causation_id'],
            properties: { correlation_id: { type: 'string' }, causation_id: { type: 'string' } },
          },
        },
      },
      NotificationProvenance: {
        type: 'object',
        description: 'Why the notification was sent: the rule that asked for it and where the rule lookup answer came from.',
        required: ['trigger', 'rule_id', 'rule_version', 'source', 'answer_source', 'fetched_at'],
        properties: {
          trigger: { type: 'string', example: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD' },
          rule_id: { type: 'string', description: 'The rule id as the Configuration Service returned it.' },
          rule_version: {
            description: 'The rule version as the Configuration Service returned it; null when it gave none.',
            oneOf: [{ type: 'string', nullable: true }, { type: 'number' }],
          },
          source: {
            type: 'string',
            enum: ['fresh', 'cache', 'stale', 'retry'],
            description:
              'fresh: the Configuration Service answered the lookup; cache: a cached answer still fresh; ' +
              'stale: an expired cached answer, served because the service failed or its circuit was open; ' +
              'retry: a retry of a failed lookup (RetryNotificationLookup) found the rule.',
          },
          answer_source: {
            type: 'string',
            enum: ['fresh', 'cache', 'stale'],
            description: "Where the deciding lookup's answer came from (for a retry, the retry's own lookup).",
          },
          fetched_at: {
            ...dateTime,
            description: 'When the Configuration Service gave that answer (for a cached answer, when it was cached).',
          },
        },
      },
      CaseNotification: {
        type: 'object',
        required: ['event_id', 'event_type', 'aggregate_id', 'timestamp', 'version', 'payload', 'metadata', 'published'],
        properties: {
          event_id: { type: 'string' },
          event_type: { type: 'string', enum: ['NotificationRequired'] },
          aggregate_id: { type: 'string', description: 'The case id.' },
          timestamp: dateTime,
          version: { type: 'integer', minimum: 1 },
          payload: {
            type: 'object',
            required: ['notification_type', 'recipient_details', 'template_id', 'language_code', 'context_data', 'provenance'],
            properties: {
              notification_type: { type: 'string', example: 'EMAIL' },
              recipient_details: {
                type: 'object',
                required: ['case_id', 'client_id'],
                properties: { case_id: { type: 'string' }, client_id: { type: 'string' }, primary_contact_name: { type: 'string' } },
              },
              template_id: nullableString,
              language_code: nullableString,
              context_data: { type: 'object', additionalProperties: true },
              provenance: {
                type: 'object',
                nullable: true,
                description: 'null for a notification recorded before casestream kept provenance.',
                allOf: [ref('NotificationProvenance')],
              },
            },
          },
          metadata: {
            type: 'object',
            required: ['correlation_id', 'causation_id'],
            properties: {
              correlation_id: { type: 'string' },
              causation_id: {
                type: 'string',
                description: 'The command that decided it: the case creation, or a RetryNotificationLookup.',
              },
            },
          },
          published: { type: 'boolean', description: 'Kafka acknowledged it on the notification topic (it is no longer in the outbox).' },
        },
      },
      RawEvent: {
        type: 'object',
        required: ['id', 'event_type', 'payload', 'received_at', 'processed_at', 'status'],
        properties: {
          id: { type: 'string' },
          event_type: { type: 'string', enum: ['KAFKA_MESSAGE_RAW_STORED'] },
          payload: { type: 'object', additionalProperties: true },
          received_at: dateTime,
          processed_at: dateTime,
          legal_hold: {
            type: 'boolean',
            description: 'Present (true) while its case is under legal hold: it is kept whatever RETENTION_RAW_EVENTS says.',
          },
          status: { type: 'string', enum: ['processed', 'rejected'] },
          error: {
            type: 'object',
            properties: { reason: { type: 'string' }, details: { type: 'array', items: ref('FieldError') } },
          },
        },
      },
      CloseCaseRequest: {
        type: 'object',
        required: ['reason'],
        properties: { reason: { ...idSchema, example: 'business relationship ended' } },
      },
      EraseSubjectRequest: {
        type: 'object',
        required: ['subject', 'reason'],
        description: 'Who asks is the token: a body with `requested_by`, whatever its value, answers 422.',
        properties: {
          subject: {
            type: 'object',
            required: ['kind', 'id'],
            properties: { kind: { type: 'string', enum: [...ErasureSubjectKind] }, id: idSchema },
          },
          reason: { ...idSchema, example: 'GDPR art. 17 request #4711' },
        },
      },
      LegalHoldRequest: {
        type: 'object',
        required: ['reason'],
        description: 'Who does it is the token: a body with `placed_by` or `lifted_by`, whatever its value, answers 422.',
        properties: { reason: { ...idSchema, example: 'AML investigation 2024-17' } },
      },
      DetermineRequirementsRequest: {
        type: 'object',
        required: ['case_id', 'entity_id', 'entity_type'],
        properties: { case_id: idSchema, entity_id: idSchema, entity_type: { type: 'string', enum: [...EntityType] } },
      },
      UpdateDocumentStatusRequest: {
        type: 'object',
        required: ['new_status'],
        description:
          'The actor is the token the request is sent with: a body with `updated_by_actor_type` or `updated_by_actor_id`, whatever their value, answers 422.',
        properties: {
          new_status: { type: 'string', enum: [...DocumentStatus] },
          metadata_changes: {
            type: 'object',
            nullable: true,
            additionalProperties: true,
            description:
              'Merged into the requirement\'s metadata; keys are plain field names (no ".", no leading "$"), no arrays inside arrays.',
          },
          notes_to_add: { type: 'array', nullable: true, items: { type: 'string' } },
        },
      },
      CommandAccepted: { type: 'object', required: ['command_id'], properties: { command_id: { type: 'string', format: 'uuid' } } },
      CommandStatus: {
        oneOf: [
          { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['pending'] } } },
          {
            type: 'object',
            required: ['status', 'event_ids'],
            properties: { status: { type: 'string', enum: ['processed'] }, event_ids: { type: 'array', items: { type: 'string' } } },
          },
          {
            type: 'object',
            required: ['status', 'reason'],
            properties: { status: { type: 'string', enum: ['rejected'] }, reason: { type: 'string' } },
          },
        ],
      },
      ComponentHealth: {
        type: 'object',
        required: ['status'],
        properties: { status: { type: 'string', enum: ['up', 'down', 'degraded', 'disabled'] }, detail: { type: 'string' } },
      },
      HealthReport: {
        type: 'object',
        required: ['status', 'components'],
        properties: {
          status: { type: 'string', enum: ['ok', 'degraded', 'down'] },
          components: {
            type: 'object',
            required: ['kafka', 'mongodb', 'redis', 'config_service'],
            properties: {
              kafka: ref('ComponentHealth'),
              mongodb: ref('ComponentHealth'),
              redis: ref('ComponentHealth'),
              config_service: ref('ComponentHealth'),
            },
          },
        },
      },
    },
  },
});
