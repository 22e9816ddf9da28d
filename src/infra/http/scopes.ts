/**
 * What an API token may do. `read` serves the GET routes (read models, metrics, the OpenAPI
 * document); `write` also sends case commands; `admin` also erases personal data and places or
 * lifts legal holds, which a regulated business grants to few. Levels, not sets: a write token may read.
 */
export const SCOPES = ['read', 'write', 'admin'] as const;

export type Scope = (typeof SCOPES)[number];

/** True when a token holding `held` may use a route that needs `needed`. */
export const grants = (held: Scope, needed: Scope): boolean => SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
