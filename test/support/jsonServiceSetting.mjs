// The `sessionKeeper.providers` entry for the JSON session service (jsonSessionService.ts), as a
// user writes it (the README's first example): the pasted Cookie header in, a POST renewal with
// the cookies, the token at /token and its expiry date at /expiresAt. Plain JavaScript, so the
// in-editor launcher and the demo use it as they are, beside the tests and benchmarks.

/**
 * @param {string} origin the service's origin, e.g. http://127.0.0.1:12345
 * @param {{ id: string, label: string }} names
 */
export function jsonServiceSetting(origin, { id, label }) {
  return {
    kind: 'endpoint',
    id,
    label,
    inputs: ['cookies'],
    renew: { method: 'POST', url: `${origin}/session` },
    read: { token: { json: '/token' } },
    expiry: { json: '/expiresAt', as: 'date' },
    serve: 'token',
  };
}
