// Keeping secrets out of text: the redactor knows every token value the engine has seen and the
// shapes tokens take in URLs, JSON and headers; foreignText cleans what a server wrote.
import { withoutControls } from './plainText';

export const MASK = '[redacted]';
const SECRET_PARAMS = 'access_token|refresh_token|id_token|code|code_verifier|client_secret|token|assertion|device_code';
const patterns: Array<[RegExp, string]> = [
  // Compact JWS/JWE (RFC 7515 §7.1): any base64url header starting with `{"` encodes to `eyJ`.
  [/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){0,3}/g, MASK],
  [new RegExp(`\\b(${SECRET_PARAMS})=[^&\\s"']+`, 'gi'), `$1=${MASK}`],
  [new RegExp(`"(${SECRET_PARAMS}|accessToken|refreshToken|idToken)"\\s*:\\s*"[^"]*"`, 'gi'), `"$1":"${MASK}"`],
  [/\b(Bearer|DPoP|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${MASK}`],
];

/**
 * Secrets remembered at most: every live token of a thousand accounts and their recent
 * predecessors. Rotated-out tokens are dead, and the patterns still mask their shapes.
 */
const REMEMBERED = 16_384;
/** Secrets are found by their first characters, so a line costs the same however many are known. */
const PREFIX = 8;

export class Redactor {
  /** Every secret, oldest first. */
  private readonly secrets = new Set<string>();
  /** The secrets by their first PREFIX characters. */
  private readonly byPrefix = new Map<string, Set<string>>();

  /** Remembers a secret so that any later log line containing it is masked. */
  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; real tokens are far longer.
    if (!secret || secret.length < PREFIX) return;
    if (this.secrets.delete(secret)) {
      this.secrets.add(secret);
      return;
    }
    this.secrets.add(secret);
    const prefix = secret.slice(0, PREFIX);
    let bucket = this.byPrefix.get(prefix);
    if (!bucket) this.byPrefix.set(prefix, (bucket = new Set()));
    bucket.add(secret);
    // Oldest first: a long-running window renews forever and must not keep every token it saw.
    if (this.secrets.size > REMEMBERED) this.forget(this.secrets.values().next().value!);
  }

  redact(text: string): string {
    let out = this.maskKnown(text);
    for (const [re, replacement] of patterns) out = out.replace(re, replacement);
    return out;
  }

  /** Masks every known secret in the text, longest first where two start at the same place. */
  private maskKnown(text: string): string {
    if (!this.byPrefix.size || text.length < PREFIX) return text;
    let out = '';
    let copied = 0;
    for (let i = 0; i + PREFIX <= text.length;) {
      const bucket = this.byPrefix.get(text.slice(i, i + PREFIX));
      let longest = 0;
      if (bucket) for (const s of bucket) if (s.length > longest && text.startsWith(s, i)) longest = s.length;
      if (longest) {
        out += text.slice(copied, i) + MASK;
        i += longest;
        copied = i;
      } else i++;
    }
    return copied ? out + text.slice(copied) : text;
  }

  private forget(secret: string): void {
    this.secrets.delete(secret);
    const prefix = secret.slice(0, PREFIX);
    const bucket = this.byPrefix.get(prefix);
    bucket?.delete(secret);
    if (bucket && !bucket.size) this.byPrefix.delete(prefix);
  }
}

/** Process-wide redactor: tokens enter it at the one place they enter the engine (OAuth client, store). */
export const redactor = new Redactor();

// Long unbroken runs of token alphabet characters: a token, or a piece of one, we were never told about.
const TOKEN_LIKE = /[A-Za-z0-9_~+/=.-]{24,}/g;

/**
 * Text written by a server (an OAuth `error_description`, a callback's `error`) on its way into a
 * message, the log or stored state: control characters and escape codes removed, anything shaped
 * like a token masked, every token we know redacted, and cut to `max` characters.
 */
export function foreignText(text: unknown, max = 200): string {
  if (typeof text !== 'string') return '';
  const cleaned = withoutControls(redactor.redact(text.slice(0, 200_000)))
    .replace(TOKEN_LIKE, MASK)
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
