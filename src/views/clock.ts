// Absolute instants in the display language: rows and tooltips show these instead of countdowns,
// so they never need a timer. Today's instants show the time only.
export function timeFormatter(locale: string | undefined, now: () => number, timeZone?: string): (ms: number) => string {
  const make = (options: Intl.DateTimeFormatOptions) => {
    try {
      return new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      // An unknown display language must not break the views.
      return new Intl.DateTimeFormat(undefined, { ...options, timeZone });
    }
  };
  const time = make({ timeStyle: 'medium' });
  const dateTime = make({ dateStyle: 'medium', timeStyle: 'short' });
  const day = make({ year: 'numeric', month: 'numeric', day: 'numeric' });
  return (ms) => (day.format(ms) === day.format(now()) ? time.format(ms) : dateTime.format(ms));
}
