// Text on its way to a terminal or a notification: a terminal obeys escape sequences (OSC 52 writes
// the clipboard) and bidi controls reorder what the user reads, so nobody else's text keeps them.
// The rule for which characters go is the one all foreign text shares (session/base/plainText.ts).
import { hasControlChars, withoutControls } from '../session/base/plainText';

/** True when the text holds any character `oneLine` would remove. */
export const hasControls = hasControlChars;

/**
 * One line of plain text: escape sequences removed whole, every other control character (line
 * breaks and tabs too) turned into a space, runs of spaces collapsed, cut to `max` characters.
 */
export function oneLine(text: string, max = 2_000): string {
  const cleaned = withoutControls(text.slice(0, max * 4))
    .replace(/ {2,}/g, ' ')
    .trim();
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
