// Text from outside (issuers, services, claims, settings, terminal callers) made plain: one rule for
// the characters that change how text reads, and, per place VS Code shows text, exactly the markup it
// parses there made inert, so that a name or an issuer's message is shown as the text it is.

/**
 * The one rule for characters no foreign text keeps: C0 and C1 controls and DEL (`\p{Cc}`: newlines,
 * tabs, ESC), the line and paragraph separators, and Unicode's bidi controls (embeddings,
 * overrides, isolates and the marks), which reorder what is shown.
 */
export const CONTROL_CHARS = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;
const CONTROL_RUNS = new RegExp(`${CONTROL_CHARS.source}+`, 'gu');
const EACH_CONTROL = new RegExp(CONTROL_CHARS.source, 'gu');
/** ANSI/VT escape sequences (CSI; OSC, DCS, SOS, PM and APC strings ended by BEL or ST; two-character escapes): removed whole, not only their ESC. */
const ESCAPE_SEQUENCES = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[ -/]*[0-~]?)/g;

export function hasControlChars(text: string): boolean {
  return CONTROL_CHARS.test(text);
}

/** Escape sequences removed, and every run of other control characters turned into one space. */
export function withoutControls(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(CONTROL_RUNS, ' ');
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Every control character written as an escape (`\n`, `\u001b`): the text stays on one line, and what was there still shows. */
export function controlsEscaped(text: string): string {
  return text.replace(EACH_CONTROL, (c) => SHORT_ESCAPES[c] ?? `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** The longest account label kept; longer ones end in "…". */
export const MAX_LABEL = 96;

/**
 * A label made from foreign text (a claim, a name typed for an account, a setting): no control
 * characters, whitespace collapsed to single spaces, at most `max` characters.
 */
export function cleanLabel(text: string, max = MAX_LABEL): string {
  const chars = [...withoutControls(text).replace(/\s+/g, ' ').trim()];
  return chars.length > max
    ? `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`
    : chars.join('');
}

/**
 * Where a text is shown, named by what VS Code (1.139) parses there:
 * - `notification`: `show*Message` text. In a toast `[label](https:…|command:…|file:…)` is a link,
 *   and a command link runs its command when clicked (parseLinkedText in base/common/linkedText.ts).
 *   Modal dialogs show plain text, which the same treatment leaves readable.
 * - `label`: quick pick labels, descriptions and details, the status bar text, and the titles of
 *   window progress (shown in the status bar): `$(name)` is drawn as a codicon (iconLabels.ts).
 * - `progress`: a notification progress's title and message. The toast parses links and drops
 *   `$(name)`; the status bar entry that stands in for a hidden toast draws it as an icon.
 * - `prompt`: an input box's prompt and validation message: links and icons (quickInput's message).
 * Tree item labels and descriptions, and quick input titles and placeholders, are plain text.
 * Tooltips are MarkdownStrings whose values go in through appendText (views/tooltip.ts), VS Code's
 * own escaping for markdown; theme icons and command links stay off there.
 */
export type Surface = 'notification' | 'label' | 'progress' | 'prompt';

const PARSES: Readonly<Record<Surface, { readonly links: boolean; readonly icons: boolean }>> = {
  notification: { links: true, icons: false },
  label: { links: false, icons: true },
  progress: { links: true, icons: true },
  prompt: { links: true, icons: true },
};

// VS Code's link is `[label](target)` with nothing between `]` and `(`: a space there breaks every
// link, whatever its scheme, case or %-encoding, and nested brackets cannot rebuild one.
const LINK_JOINT = /\]\(/g;
// iconLabels.ts: `$(` name [`~`modifier] `)`. A backslash before it makes it text (the backslash
// is not shown); one before an already escaped icon keeps that backslash on screen as typed.
const ICON = /\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/g;

/** `text` as it must go to `surface`: without control characters, and with nothing VS Code would render as a link or an icon. */
export function plainText(text: string, surface: Surface): string {
  const { links, icons } = PARSES[surface];
  let out = withoutControls(text);
  if (links) out = out.replace(LINK_JOINT, '] (');
  if (icons) out = out.replace(ICON, '\\$&');
  return out;
}
