// Regular expressions from settings (an endpoint's read and ends.body rules), run by RE2 (re2js):
// matching costs time linear in the answer, so no answer a server writes can keep the shared
// extension host busy, whatever the pattern. JavaScript's own engine backtracks.
import type * as Re2 from 're2js';

let re2: typeof Re2 | undefined;
/** re2js is a file of its own in the package (esbuild.mjs), read on the first pattern, not at every start. */
function engine(): typeof Re2 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, as for undici in http.ts
  return (re2 ??= require('re2js') as typeof Re2);
}

/** Why a pattern cannot be used; `unsupported`: valid JavaScript, but beyond what a linear-time engine can run. */
export class PatternError extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
  ) {
    super(message);
  }
}

export class Pattern {
  private constructor(
    /** The pattern as written in the setting. */
    readonly source: string,
    /** Some of `i`, `m`, `s`. */
    readonly flags: string,
    private readonly compiled: Re2.RE2JS,
  ) {}

  /**
   * Compiles a pattern written in JavaScript syntax. Backreferences and lookaround are refused
   * (PatternError with `unsupported`): no linear-time engine can run them.
   */
  static compile(source: string, flags: string): Pattern {
    const { RE2JS } = engine();
    let bits = 0;
    if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
    if (flags.includes('m')) bits |= RE2JS.MULTILINE;
    if (flags.includes('s')) bits |= RE2JS.DOTALL;
    try {
      // JavaScript spellings RE2 writes otherwise (\u0041, \cA) are translated first.
      return new Pattern(source, flags, RE2JS.compile(RE2JS.translateRegExp(source), bits));
    } catch (err) {
      // RE2 names what is wrong, then quotes the pattern from there on: a setting may hold a secret,
      // so only the name is kept.
      const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '').replace(/: `[\s\S]*$/, '') : '';
      let javascript = true;
      try {
        new RegExp(source, flags);
      } catch {
        javascript = false;
      }
      throw new PatternError(reason, javascript);
    }
  }

  /** How many capture groups the pattern has. */
  get groups(): number {
    return this.compiled.groupCount();
  }

  /** Whether the pattern matches anywhere in the text. */
  test(text: string): boolean {
    return this.compiled.test(text);
  }

  /** Capture group 1 of the first match, or undefined. */
  capture(text: string): string | undefined {
    const matcher = this.compiled.matcher(text);
    return matcher.find() ? (matcher.group(1) ?? undefined) : undefined;
  }

  /** How a configuration compares and prints it (engine.ts tells a changed configuration by its JSON). */
  toJSON(): string {
    return `/${this.source}/${this.flags}`;
  }
}
