// The API client: @hey-api/openapi-ts generates ./client from the OpenAPI
// document examples/notebooks serves (../notebooks/openapi.json).
import { client } from './client/client.gen';
import type { Auth } from './client/core/auth.gen';

// The API runs on its own origin: VITE_API_URL, by default the example's
// address.
export const apiURL: string = import.meta.env.VITE_API_URL ?? 'http://127.0.0.1:8000';

client.setConfig({ baseUrl: apiURL });

// bearer answers the client's auth callback with the access token for the
// bearer scheme only: routes that take either backend list the cookie too,
// and a browser may not set a Cookie header.
export function bearer(token: string): (auth: Auth) => string | undefined {
  return (auth) => (auth.scheme === 'bearer' ? token : undefined);
}

// FieldErrors maps a field ("email", "password", "title", ...) to what
// is wrong with it; "" holds what concerns no one field.
export type FieldErrors = Record<string, string>;

// Words for the error codes a user may meet here.
const words: Record<string, string> = {
  LOGIN_BAD_CREDENTIALS: 'Wrong email or password.',
  LOGIN_USER_NOT_VERIFIED: 'Verify your email first.',
  REGISTER_USER_ALREADY_EXISTS: 'This email has an account already.',
  TOO_MANY_REQUESTS: 'Too many attempts; try again in a while.',
  REFRESH_TOKEN_INVALID: 'Your session has ended; log in again.',
};

// fieldErrors reads an error body of the contract ({"detail": ...}): a code,
// a password-policy failure {code, reason}, or FastAPI's 422 list, whose
// loc names the field.
export function fieldErrors(error: unknown, status: number): FieldErrors {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  if (Array.isArray(detail)) {
    const out: FieldErrors = {};
    for (const e of detail as { loc?: unknown[]; msg?: string }[]) {
      const field = e.loc && e.loc.length > 1 ? String(e.loc[e.loc.length - 1]) : '';
      out[field] ??= e.msg ?? 'Invalid.';
    }
    return out;
  }
  if (detail && typeof detail === 'object' && 'reason' in detail) {
    return { password: String((detail as { reason: unknown }).reason) };
  }
  if (typeof detail === 'string') {
    if (detail === 'REGISTER_USER_ALREADY_EXISTS') return { email: words[detail] };
    return { '': words[detail] ?? detail };
  }
  return { '': `The server answered ${status}.` };
}
