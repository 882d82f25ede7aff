// What a discovery document may list: its endpoints, each an https URL (or http on this computer).
import type * as oauth from 'oauth4webapi';
import { isSecureOrLocal } from '../../base/urls';

/** Endpoints a discovery document may list; each is fetched or opened in a browser. */
export const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'device_authorization_endpoint',
  'introspection_endpoint',
  'end_session_endpoint',
  'pushed_authorization_request_endpoint',
] as const;

export class UnsafeEndpoint extends Error {
  constructor(readonly field: string) {
    super(`unsafe ${field}`);
  }
}

/**
 * RFC 8414 §2: endpoints are https URLs. Plain http is accepted only on this computer; anything
 * else (`javascript:`, `command:`, `file:`, a non-URL) would otherwise reach a browser or a fetch.
 */
export function checkEndpoints(as: oauth.AuthorizationServer): void {
  for (const field of ENDPOINTS) {
    const value = (as as Record<string, unknown>)[field];
    if (value === undefined) continue;
    let url: URL;
    try {
      if (typeof value !== 'string') throw new Error('not a string');
      url = new URL(value);
    } catch {
      throw new UnsafeEndpoint(field);
    }
    // Whether this host's loopback is the user's computer is decided for every request (http.ts).
    if (!isSecureOrLocal(url, true) || url.username || url.password) throw new UnsafeEndpoint(field);
  }
  if (as.token_endpoint === undefined) throw new UnsafeEndpoint('token_endpoint');
}
