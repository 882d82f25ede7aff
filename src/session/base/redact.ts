// Keeping secrets out of text: the redactor knows every token value the engine has seen and the
// shapes tokens take in URLs, JSON and headers; foreignText cleans what a server wrote.

export const MASK = '[redacted]';
const SECRET_PARAMS = 'access_token|refresh_token|id_token|code|code_verifier|client_secret|token|assertion|device_code';
const patterns: Array<[RegExp, string]> = [
  // Compact JWS/JWE (RFC 7515 §7.1): any base64url header starting with `{"` encodes to `eyJ`.
  [/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){0,3}/g, MASK],
  [new RegExp(`\\b(${SECRET_PARAMS})=[^&\\s"']+`, 'gi'), `$1=${MASK}`],
  [new RegExp(`"(${SECRET_PARAMS}|accessToken|refreshToken|idToken)"\\s*:\\s*"[^"]*"`, 'gi'), `"$1":"${MASK}"`],
  [/\b(Bearer|DPoP|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${MASK}`],
];

/** Tokens remembered at most; rotated-out tokens are dead, and the patterns still mask their shapes. */
const REMEMBERED = 512;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remembers a secret so that any later log line containing it is masked. */
  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; real tokens are far longer.
    if (!secret || secret.length < 8) return;
    this.secrets.delete(secret);
    this.secrets.add(secret);
    // Oldest first: a long-running window renews forever and must not keep every token it saw.
    if (this.secrets.size > REMEMBERED) this.secrets.delete(this.secrets.values().next().value!);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    for (const [re, replacement] of patterns) out = out.replace(re, replacement);
    return out;
  }
}

/** Process-wide redactor: tokens enter it at the one place they enter the engine (OAuth client, store). */
export const redactor = new Redactor();

// ANSI/VT escape sequences (CSI, OSC and two-character escapes), then every other control character.
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;
// Long unbroken runs of token alphabet characters: a token, or a piece of one, we were never told about.
const TOKEN_LIKE = /[A-Za-z0-9_~+/=.-]{24,}/g;

/**
 * Text written by a server (an OAuth `error_description`, a callback's `error`) on its way into a
 * message, the log or stored state: control characters and escape codes removed, anything shaped
 * like a token masked, every token we know redacted, and cut to `max` characters.
 */
export function foreignText(text: unknown, max = 200): string {
  if (typeof text !== 'string') return '';
  const cleaned = redactor
    .redact(text.slice(0, 200_000))
    .replace(ESCAPES, '')
    .replace(CONTROLS, ' ')
    .replace(TOKEN_LIKE, MASK)
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
