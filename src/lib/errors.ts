/** A thrown value as an Error (a non-Error is wrapped with its text). */
export const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** A short description of a thrown value for logs and reasons (message only, no stack, no payload). */
export const describeError = (err: unknown): string => {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
};
