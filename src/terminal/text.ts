// Text on its way to a terminal or a notification: a terminal obeys escape sequences (OSC 52 writes
// the clipboard) and bidi controls reorder what the user reads, so nobody else's text keeps them.

// ANSI/VT escape sequences: CSI; OSC, DCS, SOS, PM and APC strings (ended by BEL or ST); two-character escapes.
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[ -/]*[0-~]?)/g;
// C0, DEL and C1 (0x9b is CSI to 8-bit terminals), the line and paragraph separators, and the bidi
// marks, embeddings, overrides and isolates.
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const CONTROLS = new RegExp(`[${CONTROL}]+`, 'g');
const ANY_CONTROL = new RegExp(`[${CONTROL}]`);

/** True when the text holds any character `plainText` would remove. */
export function hasControls(text: string): boolean {
  return ANY_CONTROL.test(text);
}

/**
 * One line of plain text: escape sequences removed whole, every other control character (line
 * breaks and tabs too) turned into a space, runs of spaces collapsed, cut to `max` characters.
 */
export function plainText(text: string, max = 2_000): string {
  const cleaned = text
    .slice(0, max * 4)
    .replace(ESCAPES, '')
    .replace(CONTROLS, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
