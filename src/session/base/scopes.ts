// Scope sets (RFC 6749 §3.3): space-delimited, case-sensitive, order-insensitive.

/** Splits, trims, removes duplicates and sorts, so equal sets compare equal. */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const s of scopes) for (const part of s.split(/\s+/)) if (part) set.add(part);
  return [...set].sort();
}

/**
 * A session serves a request when it was granted every scope the request names. Order and
 * duplicates do not matter; an empty request is served by any session.
 */
export function scopesSatisfy(granted: readonly string[], requested: readonly string[]): boolean {
  const have = new Set(granted);
  return normalizeScopes(requested).every((s) => have.has(s));
}

/** The scopes a sign-in asks for: the provider's defaults plus what the caller needs. */
export function requestScopes(defaults: readonly string[], requested: readonly string[]): string[] {
  return normalizeScopes([...defaults, ...requested]);
}
