// What a JWT's unverified claims say: its expiry and the account it names. Read with jwt-decode.
import { jwtDecode } from 'jwt-decode';

/** The claims of a JWT that name an account, each a non-empty string when present. */
export interface JwtAccount {
  readonly sub?: string;
  readonly preferred_username?: string;
  readonly email?: string;
  readonly name?: string;
}

/** Access tokens are often opaque; only a JWT with a numeric exp tells its expiry. */
export function jwtExpiry(token: string): number | undefined {
  try {
    const { exp } = jwtDecode<{ exp?: unknown }>(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The account a JWT's claims name (nothing verifies them: callers decide how far to trust it);
 * undefined for an opaque token.
 */
export function jwtAccount(token: string): JwtAccount | undefined {
  let claims: unknown;
  try {
    claims = jwtDecode<unknown>(token);
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const text = (key: keyof JwtAccount) => {
    const v = (claims as Record<string, unknown>)[key];
    return typeof v === 'string' && v ? v : undefined;
  };
  return { sub: text('sub'), preferred_username: text('preferred_username'), email: text('email'), name: text('name') };
}
