// Durations in words: one rule for where the units change, and the three ways the views say it.
import * as l10n from '@vscode/l10n';

/** Whole seconds, rounded as every duration text rounds them. */
export function wholeSeconds(ms: number): number {
  return Math.max(0, Math.round(ms / 1000));
}

/**
 * Seconds under two minutes, so a short-lived token visibly counts down; then whole minutes, and
 * from an hour hours and minutes. Every renderer uses this, so all texts change at the same instants.
 */
export function durationParts(ms: number): { seconds: number } | { hours: number; minutes: number } {
  const s = wholeSeconds(ms);
  if (s < 120) return { seconds: s };
  const m = Math.floor(s / 60);
  return { hours: Math.floor(m / 60), minutes: m % 60 };
}

/** "42 min", "90 s", "3 h 5 min": rows, tooltips and quick picks. */
export function formatDuration(ms: number): string {
  const d = durationParts(ms);
  if ('seconds' in d) return l10n.t('{0} s', d.seconds);
  if (!d.hours) return l10n.t('{0} min', d.minutes);
  return d.minutes ? l10n.t('{0} h {1} min', d.hours, d.minutes) : l10n.t('{0} h', d.hours);
}

/** "42m", "1h 5m", "90s": the status bar. */
export function formatShortDuration(ms: number): string {
  const d = durationParts(ms);
  if ('seconds' in d) return l10n.t('{0}s', d.seconds);
  if (!d.hours) return l10n.t('{0}m', d.minutes);
  return d.minutes ? l10n.t('{0}h {1}m', d.hours, d.minutes) : l10n.t('{0}h', d.hours);
}

/** "42 minutes", "1 hour and 5 minutes", "1 second": for screen readers. */
export function formatLongDuration(ms: number): string {
  const d = durationParts(ms);
  if ('seconds' in d) return d.seconds === 1 ? l10n.t('1 second') : l10n.t('{0} seconds', d.seconds);
  const minutes = (n: number) => (n === 1 ? l10n.t('1 minute') : l10n.t('{0} minutes', n));
  if (!d.hours) return minutes(d.minutes);
  const hours = d.hours === 1 ? l10n.t('1 hour') : l10n.t('{0} hours', d.hours);
  return d.minutes ? l10n.t('{0} and {1}', hours, minutes(d.minutes)) : hours;
}
